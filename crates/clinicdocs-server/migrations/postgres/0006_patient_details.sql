-- The front desk registers patients with more than a name: sex, phone, email and the clinic's
-- own patient number (unique within the clinic, not across clinics); a visit can name the
-- practitioner the patient sees.
ALTER TABLE patients ADD COLUMN sex TEXT;
ALTER TABLE patients ADD COLUMN phone TEXT;
ALTER TABLE patients ADD COLUMN email TEXT;
ALTER TABLE patients ADD COLUMN patient_number TEXT;
CREATE UNIQUE INDEX patients_number ON patients (org_id, patient_number) WHERE patient_number IS NOT NULL;
ALTER TABLE visits ADD COLUMN practitioner_id TEXT REFERENCES users(id);
