-- One word for a patient's visit: the table is `visits` (a document's column keeps FHIR's
-- `encounter_id`, as the wire does). Audit actions get one grammar — the thing, then what
-- happened to it — and old rows are renamed to it, the append-only triggers lifted only for
-- this migration.
ALTER TABLE encounters RENAME TO visits;
DROP INDEX encounters_patient;
CREATE INDEX visits_patient ON visits (org_id, patient_id, date);

DROP TRIGGER audit_events_no_update;
DROP TRIGGER audit_events_no_delete;
UPDATE audit_events SET action = CASE action
    WHEN 'upload' THEN 'document_uploaded'
    WHEN 'delete' THEN 'document_deleted'
    WHEN 'url_issued' THEN 'document_link_issued'
    WHEN 'download' THEN 'document_downloaded'
    WHEN 'login' THEN 'sign_in_succeeded'
    WHEN 'login_failed' THEN 'sign_in_failed'
    WHEN 'encounter_created' THEN 'visit_created'
    ELSE action END;
UPDATE audit_events SET target_type = 'visit' WHERE target_type = 'encounter';
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
