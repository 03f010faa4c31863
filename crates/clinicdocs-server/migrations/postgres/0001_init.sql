-- Clinic Documents schema (PostgreSQL dialect). Times are Unix milliseconds; ids are UUID text.
CREATE TABLE orgs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    domain TEXT NOT NULL UNIQUE,
    plan TEXT NOT NULL,
    used_bytes BIGINT NOT NULL DEFAULT 0 CHECK (used_bytes >= 0),
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    photo_key TEXT,
    photo_thumb_key TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE patients (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    photo_key TEXT,
    photo_thumb_key TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX patients_org_name ON patients (org_id, name_lower);

CREATE TABLE encounters (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    patient_id TEXT NOT NULL REFERENCES patients(id),
    date TEXT NOT NULL,
    reason TEXT NOT NULL,
    document_count BIGINT NOT NULL DEFAULT 0 CHECK (document_count >= 0),
    created_at BIGINT NOT NULL
);
CREATE INDEX encounters_patient ON encounters (org_id, patient_id, date);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    patient_id TEXT NOT NULL REFERENCES patients(id),
    encounter_id TEXT REFERENCES encounters(id),
    title TEXT NOT NULL,
    title_lower TEXT NOT NULL,
    category TEXT NOT NULL,
    content_type TEXT NOT NULL,
    storage_key TEXT NOT NULL UNIQUE,
    thumb_key TEXT,
    file_size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    page_count BIGINT,
    notes TEXT,
    uploaded_by TEXT NOT NULL REFERENCES users(id),
    idempotency_key TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT,
    deleted_by TEXT REFERENCES users(id)
);
CREATE UNIQUE INDEX documents_idempotency ON documents (org_id, idempotency_key);
CREATE INDEX documents_patient_date ON documents (org_id, patient_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX documents_org_date ON documents (org_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX documents_thumb ON documents (thumb_key);

CREATE TABLE annotations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    document_id TEXT NOT NULL REFERENCES documents(id),
    page_number BIGINT NOT NULL,
    shape TEXT NOT NULL,
    style TEXT NOT NULL,
    body TEXT,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX annotations_document ON annotations (org_id, document_id, page_number);

CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    org_id TEXT,
    at BIGINT NOT NULL,
    actor_id TEXT,
    actor_email TEXT,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT,
    detail TEXT,
    remote_addr TEXT
);
CREATE INDEX audit_org ON audit_events (org_id, id);

-- The audit log is append-only: the database itself refuses changes and deletions.
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
