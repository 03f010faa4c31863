-- Tamper evidence for the audit log on SQLite, where whoever can write the database file can
-- lift the append-only triggers: the server seals every event it writes, in the same
-- transaction, with a SHA-256 over the event and the seal before it (a hash chain), and
-- `clinicdocs-server audit verify` names the first event changed, removed or slipped in.
-- Seals are append-only too. Events written before this migration are sealed at start-up.
CREATE TABLE audit_seals (
    event_id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL
);
CREATE TRIGGER audit_seals_no_update BEFORE UPDATE ON audit_seals
BEGIN
    SELECT RAISE(ABORT, 'audit_seals is append-only');
END;
CREATE TRIGGER audit_seals_no_delete BEFORE DELETE ON audit_seals
BEGIN
    SELECT RAISE(ABORT, 'audit_seals is append-only');
END;
