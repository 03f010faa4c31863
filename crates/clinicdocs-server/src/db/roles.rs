//! PostgreSQL roles: migrations run as the database's owner role, and the server as a role of
//! its own that the owner grants no more than the server needs — every table's rows, except
//! that audit rows may only be added and read (no UPDATE, DELETE or TRUNCATE), and the
//! migrations' own table only read. Not owning the tables, the server's role cannot switch off
//! or drop the append-only trigger either. [`audit_protection`] checks what a role may do.

use sqlx::AnyPool;

/// `name` quoted as an SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The role a pool's connections run as.
pub async fn current_user(pool: &AnyPool) -> sqlx::Result<String> {
    let (u,): (String,) = sqlx::query_as("SELECT current_user::text").fetch_one(pool).await?;
    Ok(u)
}

/// Grants the server's role (`server`) what the server needs in the owner's schema, after the
/// owner's migrations. Run at every start, so tables added by a migration are granted too.
pub async fn grant_server_role(owner: &AnyPool, server: &str) -> sqlx::Result<()> {
    let (schema,): (String,) = sqlx::query_as("SELECT current_schema()::text").fetch_one(owner).await?;
    let (schema, role) = (ident(&schema), ident(server));
    for sql in [
        format!("GRANT USAGE ON SCHEMA {schema} TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}"),
        format!("REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON audit_events FROM {role}"),
        format!("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON _sqlx_migrations FROM {role}"),
    ] {
        sqlx::query(&sql).execute(owner).await?;
    }
    Ok(())
}

/// What the pool's role may do to the audit log beyond adding and reading rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditProtection {
    pub role: String,
    /// Each way the role could change or remove audit rows; empty when it cannot.
    pub holes: Vec<&'static str>,
}

/// Checks whether the pool's role could change or remove audit rows.
pub async fn audit_protection(pool: &AnyPool) -> sqlx::Result<AuditProtection> {
    type Row = (String, bool, bool, bool, bool, bool, bool, i64, i64);
    let (role, superuser, owner, update, delete, truncate, trigger, ours, others): Row = sqlx::query_as(
        "SELECT current_user::text, \
            (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), \
            pg_has_role(current_user, c.relowner, 'MEMBER'), \
            has_table_privilege(c.oid, 'UPDATE') OR has_any_column_privilege(c.oid, 'UPDATE'), \
            has_table_privilege(c.oid, 'DELETE'), \
            has_table_privilege(c.oid, 'TRUNCATE'), \
            has_table_privilege(c.oid, 'TRIGGER'), \
            (SELECT COUNT(*) FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgenabled IN ('O', 'A') \
                AND t.tgname IN ('audit_events_no_update', 'audit_events_no_truncate')), \
            (SELECT COUNT(*) FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal \
                AND t.tgname NOT IN ('audit_events_no_update', 'audit_events_no_truncate')) \
         FROM pg_class c WHERE c.oid = 'audit_events'::regclass",
    )
    .fetch_one(pool)
    .await?;
    let mut holes = Vec::new();
    for (yes, what) in [
        (superuser, "it is a superuser"),
        (owner, "it owns the audit table (or acts as its owner): it can switch off the append-only trigger"),
        (update, "it may UPDATE audit rows"),
        (delete, "it may DELETE audit rows"),
        (truncate, "it may TRUNCATE the audit table"),
        (trigger, "it may add triggers to the audit table (one could rewrite rows as they are added)"),
        (ours < 2, "the append-only triggers are missing or switched off"),
        (others > 0, "the audit table has triggers of someone else's (they could rewrite rows as they are added)"),
    ] {
        if yes {
            holes.push(what);
        }
    }
    Ok(AuditProtection { role, holes })
}
