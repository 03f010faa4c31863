-- Clinics set up without demo data: each clinic keeps its own limits (NULL: the server's
-- defaults for its plan) and its session idle timeout; staff can be deactivated (their rows
-- stay) and have no password until they choose one with a one-time setup code, kept hashed;
-- a session remembers when it was last used.
ALTER TABLE orgs ADD COLUMN pool_bytes BIGINT;
ALTER TABLE orgs ADD COLUMN max_file_bytes BIGINT;
ALTER TABLE orgs ADD COLUMN max_files_per_visit BIGINT;
ALTER TABLE orgs ADD COLUMN session_idle_minutes BIGINT NOT NULL DEFAULT 30;
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE setup_codes (
    code_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX setup_codes_user ON setup_codes (user_id);
