-- A clinic's document version: bumped by the database itself whenever any of its documents is
-- added, changed or (soft-)deleted, or a user's name changes (listed as the uploader). Listing
-- pages are kept in memory under the version they were read at (list_cache.rs); a new version
-- makes them stale at once, on every server instance sharing this database.
ALTER TABLE orgs ADD COLUMN doc_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER documents_version_insert AFTER INSERT ON documents
BEGIN
    UPDATE orgs SET doc_version = doc_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER documents_version_update AFTER UPDATE ON documents
BEGIN
    UPDATE orgs SET doc_version = doc_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER documents_version_delete AFTER DELETE ON documents
BEGIN
    UPDATE orgs SET doc_version = doc_version + 1 WHERE id = OLD.org_id;
END;
CREATE TRIGGER users_name_version AFTER UPDATE OF name ON users
BEGIN
    UPDATE orgs SET doc_version = doc_version + 1 WHERE id = NEW.org_id;
END;
