-- Sharing: the clinic's external contacts (removed ones stay, so the shares sent to them keep
-- their recipient), its share security, and shares: documents of one patient sent to a
-- contact or to the patient. A share's link token is kept only as a SHA-256 hash; the
-- recipient's name and address are kept as they were when it was sent.
CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    organisation TEXT,
    email TEXT NOT NULL,
    phone TEXT,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX contacts_org_name ON contacts (org_id, name_lower);

ALTER TABLE orgs ADD COLUMN share_security TEXT NOT NULL DEFAULT 'link';

CREATE TABLE shares (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    patient_id TEXT NOT NULL REFERENCES patients(id),
    recipient_kind TEXT NOT NULL,
    recipient_id TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    recipient_email TEXT NOT NULL,
    recipient_phone TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    expires_unused_at BIGINT NOT NULL,
    opened_at BIGINT,
    last_opened_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX shares_org_patient ON shares (org_id, patient_id);

CREATE TABLE share_documents (
    share_id TEXT NOT NULL REFERENCES shares(id),
    document_id TEXT NOT NULL REFERENCES documents(id),
    position BIGINT NOT NULL,
    PRIMARY KEY (share_id, document_id)
);
CREATE INDEX share_documents_document ON share_documents (document_id);
