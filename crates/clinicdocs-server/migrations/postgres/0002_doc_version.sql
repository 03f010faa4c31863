-- A clinic's document version: bumped by the database itself whenever any of its documents is
-- added, changed or (soft-)deleted, or a user's name changes (listed as the uploader). Listing
-- pages are kept in memory under the version they were read at (list_cache.rs); a new version
-- makes them stale at once, on every server instance sharing this database.
ALTER TABLE orgs ADD COLUMN doc_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION orgs_bump_doc_version() RETURNS trigger AS $$
BEGIN
    UPDATE orgs SET doc_version = doc_version + 1
     WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.org_id ELSE NEW.org_id END);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER documents_version AFTER INSERT OR UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION orgs_bump_doc_version();
CREATE TRIGGER users_name_version AFTER UPDATE OF name ON users
    FOR EACH ROW EXECUTE FUNCTION orgs_bump_doc_version();
