-- One word for a patient's visit: the table is `visits` (a document's column keeps FHIR's
-- `encounter_id`, as the wire does). Audit actions get one grammar — the thing, then what
-- happened to it — and old rows are renamed to it, the append-only trigger lifted only inside
-- this migration's transaction.
ALTER TABLE encounters RENAME TO visits;
ALTER INDEX encounters_patient RENAME TO visits_patient;

ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update;
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
ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update;
