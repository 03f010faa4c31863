-- Annotation changes made while the server could not be reached (or failed), waiting in the
-- same queue file as the uploads. At most one row per mark: later changes fold into it (a
-- create then an edit is one create; an edit then a delete is one delete). `rev` counts the
-- folds, so the worker can tell whether the row changed while its send was on the way.
CREATE TABLE mark_changes (
    annotation_id   TEXT PRIMARY KEY,
    server_url      TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    document_id     TEXT NOT NULL,
    page_number     INTEGER NOT NULL,
    op              TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    body            TEXT,                      -- JSON {kind, geometry, style, text}; NULL for a delete
    base_version    INTEGER,                   -- the server version an update or delete is based on
    rev             INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL CHECK (state IN ('waiting', 'sending', 'refused')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,          -- unix ms
    error_code      TEXT,
    error_message   TEXT,
    queued_at       INTEGER NOT NULL,          -- unix ms
    updated_at      INTEGER NOT NULL
);
CREATE INDEX mark_changes_ready ON mark_changes (state, next_attempt_at);
