-- Sorting by name compares numbers by value ("page 2" before "page 10"): the sort column holds
-- a natural-order key (core's `natural_order::sort_key`) instead of the lowercased title. The
-- key is computed in Rust, so existing rows get theirs when the server next opens the database
-- (rows whose key is NULL).
ALTER TABLE documents DROP COLUMN title_lower;
ALTER TABLE documents ADD COLUMN title_key TEXT;
CREATE INDEX documents_org_title ON documents (org_id, title_key, id) WHERE deleted_at IS NULL;
