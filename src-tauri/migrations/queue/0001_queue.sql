-- The durable upload queue on the workstation. One row per file handed to the app; the file
-- itself lives in the spool folder under the row's id.
CREATE TABLE queue_items (
    id              TEXT PRIMARY KEY,          -- uuid; also the spool file's name
    idempotency_key TEXT NOT NULL UNIQUE,      -- made when queued, sent with every attempt
    server_url      TEXT NOT NULL,             -- sent only to this server …
    user_id         TEXT NOT NULL,             -- … by this user's session
    patient_id      TEXT NOT NULL,
    encounter_id    TEXT,
    category        TEXT NOT NULL,
    title           TEXT NOT NULL,
    notes           TEXT,
    file_name       TEXT NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('waiting', 'sending', 'done', 'refused')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,          -- unix ms
    error_code      TEXT,
    error_message   TEXT,
    document_id     TEXT,
    queued_at       INTEGER NOT NULL,          -- unix ms
    updated_at      INTEGER NOT NULL
);
CREATE INDEX queue_items_ready ON queue_items (state, next_attempt_at);
