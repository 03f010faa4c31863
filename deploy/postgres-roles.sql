-- The PostgreSQL roles of a Clinic Documents install (run once, as a superuser:
--   sudo -u postgres psql -f deploy/postgres-roles.sql
-- after replacing the two passwords; use the same ones in /etc/clinicdocs/server.env).
-- The owner role owns the tables and runs the migrations at each start; the server's role
-- is granted only what it needs, and may add and read audit rows but never change them.
CREATE ROLE clinicdocs_owner LOGIN PASSWORD 'CHANGE-ME-owner';
CREATE ROLE clinicdocs_server LOGIN PASSWORD 'CHANGE-ME-server';
CREATE DATABASE clinicdocs OWNER clinicdocs_owner;
\connect clinicdocs
-- PostgreSQL 14 and older let every role create tables in the public schema; 15 and newer
-- do not. Harmless on 15+.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
