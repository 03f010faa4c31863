// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit by hand:
// CLINICDOCS_WRITE_BINDINGS=1 cargo test -p clinicdocs-desktop bindings

export type Category = "lab" | "imaging" | "prescription" | "referral" | "consent" | "insurance" | "photo" | "clinical-note" | "other";

export type Role = "admin" | "doctor" | "receptionist" | "billing";

export type Plan = "professional" | "basic";

export type PlanLimits = { documents_enabled: boolean, pool_bytes: number, max_file_bytes: number, max_files_per_visit: number, };

export type ErrorCode = "bad_request" | "unauthorized" | "invalid_credentials" | "forbidden" | "not_found" | "conflict" | "plan_required" | "quota_exceeded" | "visit_limit_reached" | "file_too_large" | "empty_file" | "unsupported_type" | "executable_refused" | "password_protected_pdf" | "corrupt_file" | "image_too_large" | "invalid_name" | "idempotency_conflict" | "batch_failed" | "signature_invalid" | "link_expired" | "range_not_satisfiable" | "too_many_attempts" | "method_not_allowed" | "too_large" | "weak_password" | "setup_code_invalid" | "last_admin" | "not_configured" | "send_failed" | "busy" | "internal";

export type User = { id: string, name: string, email: string, role: Role, org_id: string, };

export type Org = { id: string, name: string, plan: Plan, documents_enabled: boolean, 
/**
 * The limits this server applies to the clinic: clients check uploads against these, not
 * against a plan's defaults.
 */
limits: PlanLimits, 
/**
 * A session nobody used for this long ends (besides its absolute lifetime).
 */
session_idle_minutes: number, };

export type Me = { user: User, org: Org, };

export type Patient = { id: string, name: string, 
/**
 * `YYYY-MM-DD`.
 */
date_of_birth: string, created_at: string, sex: Sex | null, phone: string | null, email: string | null, 
/**
 * The clinic's own number for the patient, unique within the clinic.
 */
patient_number: string | null, };

export type Sex = "female" | "male" | "other" | "unknown";

export type NewPatient = { name: string, date_of_birth: string, sex: Sex | null, phone: string | null, email: string | null, patient_number: string | null, };

export type PatientPatch = { name: string | null, date_of_birth: string | null, sex: Sex | null, phone: string | null, email: string | null, patient_number: string | null, };

export type Practitioner = { id: string, name: string, };

export type NewVisit = { date: string, reason: string, 
/**
 * Who the patient sees: a practitioner of the clinic (`GET /api/v1/practitioners`).
 */
practitioner_id: string | null, };

export type Visit = { id: string, patient_id: string, 
/**
 * `YYYY-MM-DD`.
 */
date: string, reason: string, document_count: number, 
/**
 * Who the patient sees.
 */
practitioner_id: string | null, };

export type Document = { id: string, org_id: string, patient_id: string, encounter_id: string | null, title: string, category: Category, 
/**
 * Decided from the file's bytes.
 */
content_type: string, file_size: number, sha256: string, has_thumbnail: boolean, page_count: number | null, notes: string | null, uploaded_by: string, uploaded_by_name: string, created_at: string, updated_at: string, };

export type SortKey = "date" | "name" | "uploader";

export type SortOrder = "asc" | "desc";

export type DocumentPatch = { title: string | null, category: Category | null, encounter_id?: string | null | null, notes: string | null, };

export type StorageUsage = { used_bytes: number, quota_bytes: number, document_count: number, };

export type StorageReport = { used_bytes: number, quota_bytes: number, document_count: number, 
/**
 * Every type with at least one document, largest first.
 */
by_category: Array<CategoryUsage>, 
/**
 * The ten patients whose documents take the most, largest first.
 */
top_patients: Array<PatientUsage>, };

export type CategoryUsage = { category: Category, documents: number, bytes: number, };

export type PatientUsage = { patient_id: string, name: string, documents: number, bytes: number, };

export type SignedUrl = { url: string, expires_at: string, };

export type Point = { x: number, y: number, };

export type Shape = { "kind": "marker", "geometry": Point } | { "kind": "drawing", "geometry": { points: Array<Point>, } } | { "kind": "text", "geometry": Point } | { "kind": "highlight", "geometry": { x: number, y: number, w: number, h: number, } } | { "kind": "arrow", "geometry": { from: Point, to: Point, } } | { "kind": "measure", "geometry": { from: Point, to: Point, } } | { "kind": "angle", "geometry": { from: Point, vertex: Point, to: Point, } };

export type Style = { 
/**
 * `#rrggbb` or `#rrggbbaa`.
 */
color: string, 
/**
 * Stroke width as a fraction of the page width (0..=0.1).
 */
width: number, };

export type Annotation = { id: string, document_id: string, 
/**
 * 1-based; 1 for images.
 */
page_number: number, style: Style, text: string | null, created_by: string, created_by_name: string, created_at: string, updated_at: string, 
/**
 * Increases with every change; send it back on update to detect conflicting edits.
 */
version: number, } & ({ "kind": "marker", "geometry": Point } | { "kind": "drawing", "geometry": { points: Array<Point>, } } | { "kind": "text", "geometry": Point } | { "kind": "highlight", "geometry": { x: number, y: number, w: number, h: number, } } | { "kind": "arrow", "geometry": { from: Point, to: Point, } } | { "kind": "measure", "geometry": { from: Point, to: Point, } } | { "kind": "angle", "geometry": { from: Point, vertex: Point, to: Point, } });

export type NewAnnotation = { 
/**
 * The client's own id for the mark (a fresh UUID), so a create sent again after its
 * answer was lost (the offline queue) stores it once: the same id on the same document by
 * the same person answers the stored mark; an id used otherwise answers 409. Made by the
 * server when absent.
 */
id?: string, page_number: number, style: Style, text: string | null, } & ({ "kind": "marker", "geometry": Point } | { "kind": "drawing", "geometry": { points: Array<Point>, } } | { "kind": "text", "geometry": Point } | { "kind": "highlight", "geometry": { x: number, y: number, w: number, h: number, } } | { "kind": "arrow", "geometry": { from: Point, to: Point, } } | { "kind": "measure", "geometry": { from: Point, to: Point, } } | { "kind": "angle", "geometry": { from: Point, vertex: Point, to: Point, } });

export type AnnotationUpdate = { style: Style, text: string | null, 
/**
 * The version the edit was based on; a different current version answers 409.
 */
version: number, } & ({ "kind": "marker", "geometry": Point } | { "kind": "drawing", "geometry": { points: Array<Point>, } } | { "kind": "text", "geometry": Point } | { "kind": "highlight", "geometry": { x: number, y: number, w: number, h: number, } } | { "kind": "arrow", "geometry": { from: Point, to: Point, } } | { "kind": "measure", "geometry": { from: Point, to: Point, } } | { "kind": "angle", "geometry": { from: Point, vertex: Point, to: Point, } });

export type StaffMember = { id: string, name: string, email: string, role: Role, 
/**
 * False once an administrator ended their access: they cannot sign in.
 */
active: boolean, 
/**
 * False until they chose a password with their setup code.
 */
password_set: boolean, created_at: string, };

export type NewStaff = { email: string, name: string, role: Role, };

export type StaffPatch = { name: string | null, role: Role | null, active: boolean | null, };

export type SetupCode = { 
/**
 * As people write it: `7KQ2-M9XD-…`; dashes, spaces and case do not matter when typed.
 */
code: string, expires_at: string, };

export type StaffAdded = { user: StaffMember, setup: SetupCode, };

export type ClinicPatch = { 
/**
 * Minutes without a request before a session ends: 5 to 720.
 */
session_idle_minutes: number | null, };

export type AuditAction = "sign_in_succeeded" | "sign_in_failed" | "access_refused" | "patient_created" | "patient_updated" | "visit_created" | "profile_image_set" | "document_uploaded" | "document_updated" | "document_deleted" | "document_link_issued" | "document_downloaded" | "download_refused" | "annotation_created" | "annotation_updated" | "annotation_deleted" | "staff_added" | "staff_updated" | "staff_deactivated" | "staff_reactivated" | "setup_code_issued" | "password_set" | "password_changed" | "clinic_created" | "clinic_changed" | "audit_exported" | "contact_created" | "contact_updated" | "contact_deleted" | "share_created" | "share_email_sent" | "share_email_failed" | "share_opened" | "share_downloaded" | "share_code_sent" | "share_code_failed" | "share_revoked";

export type AuditTarget = "user" | "patient" | "visit" | "practitioner" | "document" | "object" | "annotation" | "audit" | "storage" | "clinic" | "contact" | "share";

export type AuditEvent = { id: number, at: string, actor_id: string | null, actor_email: string | null, action: AuditAction, target_type: AuditTarget, target_id: string | null, detail: string | null, remote_addr: string | null, 
/**
 * The actor's name, as their account has it now.
 */
actor_name: string | null, 
/**
 * The document it is about (directly, or through one of its marks), titled as it is now.
 */
document_id: string | null, document_title: string | null, 
/**
 * The patient it is about (directly, or through a document or a visit).
 */
patient_id: string | null, patient_name: string | null, 
/**
 * The staff member it is about (staff changes, setup codes, sign-ins).
 */
staff_name: string | null, 
/**
 * What happened, in words: "Dr. Dana Doctor downloaded ‘CBC-Report-Apr2026’ of Maria Garcia".
 */
summary: string, };

export type AuditPage = { items: Array<AuditEvent>, next_before: number | null, };

export type AuditFormat = "json" | "csv";

export type AuditQuery = { limit: number | null, 
/**
 * Events with an id below this one (for paging backwards).
 */
before: number | null, action: AuditAction | null, 
/**
 * Events by this staff member.
 */
user_id: string | null, 
/**
 * Events about this patient, their documents, marks and visits.
 */
patient_id: string | null, 
/**
 * Events about this document and its marks.
 */
document_id: string | null, 
/**
 * From this moment (RFC 3339) or day (`YYYY-MM-DD`, from its start, UTC).
 */
from: string | null, 
/**
 * Until this moment (RFC 3339, not included) or day (`YYYY-MM-DD`, included, UTC).
 */
to: string | null, 
/**
 * `csv`: every matching event (newest first, at most 100,000) as a CSV file.
 */
format: AuditFormat | null, };

export type Contact = { id: string, name: string, organisation: string | null, email: string, 
/**
 * A mobile number, for the SMS code when the clinic asks for one.
 */
phone: string | null, created_at: string, };

export type ContactPatch = { name: string | null, organisation: string | null, email: string | null, phone: string | null, };

export type NewContact = { name: string, organisation: string | null, email: string, phone: string | null, };

export type NewShare = { document_ids: Array<string>, contact_id: string | null, patient_id: string | null, };

export type Share = { id: string, patient_id: string, recipient_kind: RecipientKind, 
/**
 * The contact's or the patient's id.
 */
recipient_id: string, 
/**
 * Name and address as they were when it was sent.
 */
recipient_name: string, recipient_email: string, documents: Array<SharedDocument>, created_by: string, created_by_name: string, created_at: string, sent_at: string | null, 
/**
 * Unless opened before then, the link stops working at this moment.
 */
expires_unused_at: string, opened_at: string | null, revoked_at: string | null, state: ShareState, };

export type ShareState = "not_sent" | "waiting" | "opened" | "expired" | "revoked";

export type RecipientKind = "contact" | "patient";

export type SharedDocument = { id: string, title: string, };

export type ShareSecurity = "link" | "sms";

export type SharingSettings = { security: ShareSecurity, 
/**
 * Whether this server can send email (without it nothing can be shared).
 */
email_available: boolean, 
/**
 * Whether this server can send SMS codes (without it `sms` cannot be chosen).
 */
sms_available: boolean, };

export type SharingSettingsUpdate = { security: ShareSecurity, };

export type LocalCode = "not_signed_in" | "server_unreachable" | "invalid_server_url" | "keyring" | "file_access" | "pdf_unavailable" | "bad_response";

export type CommandErrorCode = ErrorCode | LocalCode;

export type CommandError = { code: CommandErrorCode, message: string, };

export type CategoryInfo = { value: Category, label: string, };

export type RoleInfo = { value: Role, label: string, };

export type AuditActionInfo = { value: AuditAction, 
/**
 * "Document downloaded".
 */
label: string, };

export type AppInfo = { version: string, 
/**
 * Prefill for the sign-in form: `CLINICDOCS_SERVER_URL`, else the last address used.
 */
server_url: string | null, email: string | null, 
/**
 * Every document type in the shared order, with its label.
 */
categories: Array<CategoryInfo>, max_title_chars: number, max_notes_chars: number, 
/**
 * The shortest password the server takes (it also refuses common ones).
 */
min_password_chars: number, 
/**
 * Every staff role, with its label.
 */
roles: Array<RoleInfo>, 
/**
 * The session idle timeouts a clinic can choose, in minutes.
 */
idle_minute_choices: Array<number>, 
/**
 * Every action the audit trail records, for its filter.
 */
audit_actions: Array<AuditActionInfo>, };

export type Permissions = { upload: Array<Category>, annotate: boolean, delete: boolean, read_audit: boolean, storage_report: boolean, manage_patients: boolean, 
/**
 * Add and remove staff, change the clinic's settings.
 */
manage_staff: boolean, 
/**
 * Share documents with contacts and patients; manage contacts.
 */
share: boolean, 
/**
 * Limits of the clinic's plan, for checks before sending.
 */
max_file_bytes: number, max_files_per_visit: number, documents_enabled: boolean, };

export type SessionInfo = { me: Me, server_url: string, can: Permissions, 
/**
 * Opened with the kept token while the server could not be reached: uploads can be
 * queued, nothing can be read until it is back.
 */
offline: boolean, };

export type PatientFile = { patient: Patient, 
/**
 * Newest first.
 */
visits: Array<Visit>, 
/**
 * The server could not be reached: this is the file as last opened on this computer.
 */
offline: boolean, };

export type RecentPatient = { id: string, name: string, date_of_birth: string, };

export type DocumentItem = { can_edit: boolean, can_delete: boolean, can_annotate: boolean, id: string, org_id: string, patient_id: string, encounter_id: string | null, title: string, category: Category, 
/**
 * Decided from the file's bytes.
 */
content_type: string, file_size: number, sha256: string, has_thumbnail: boolean, page_count: number | null, notes: string | null, uploaded_by: string, uploaded_by_name: string, created_at: string, updated_at: string, };

export type DocumentFilter = { patient_id: string, 
/**
 * `YYYY-MM-DD`, inclusive.
 */
from: string | null, 
/**
 * `YYYY-MM-DD`, inclusive.
 */
to: string | null, sort: SortKey, order: SortOrder, };

export type FileCheck = { path: string, file_name: string, 
/**
 * The file name without its extension: the form's editable title.
 */
suggested_title: string, size: number, 
/**
 * Decided from the bytes; `None` when the file is refused.
 */
content_type: string | null, 
/**
 * Shown as `clinicdocs://…/preview/{id}` while the form is open.
 */
preview_id: string | null, 
/**
 * Every reason the server would refuse it; empty when it can be sent.
 */
problems: Array<CommandError>, };

export type UploadRequest = { path: string, patient_id: string, category: Category, title: string, notes: string | null, encounter_id: string | null, 
/**
 * Made by the form when it opened: sending the same form twice stores one document.
 */
idempotency_key: string, };

export type ItemState = "waiting" | "sending" | "done" | "refused";

export type QueueItem = { id: string, idempotency_key: string, patient_id: string, encounter_id: string | null, category: Category, title: string, notes: string | null, file_name: string, size: number, sha256: string, state: ItemState, attempts: number, 
/**
 * Unix ms.
 */
next_attempt_at: number, error_code: string | null, error_message: string | null, document_id: string | null, 
/**
 * Unix ms.
 */
queued_at: number, batch_id: string | null, };

export type Requeue = { 
/**
 * Another patient; the visit is unlinked unless `encounter_id` names one of theirs.
 */
patient_id?: string, category: Category | null, title: string | null, 
/**
 * `Some(None)` unlinks the visit.
 */
encounter_id?: string | null, };

export type SavedFile = { path: string, files: number, };

export type Skipped = { path: string, reason: string, };

export type ImportReview = { id: string, 
/**
 * Each file with its content problems (size, type, executable, password, corrupt).
 */
files: Array<FileCheck>, 
/**
 * Hidden, system and unreadable paths left out, and why.
 */
skipped: Array<Skipped>, 
/**
 * Files per all-or-nothing batch: a bigger drop is sent as several batches.
 */
batch_size: number, };

export type ImportLimits = { 
/**
 * False when the server cannot be reached: the pool and visit are checked when it is back.
 */
online: boolean, 
/**
 * For each chosen file, in the order given.
 */
problems: Array<Array<CommandError>>, };

export type ImportFile = { 
/**
 * The file's place in [`ImportReview::files`].
 */
index: number, title: string, category: Category, };

export type ImportRequest = { patient_id: string, encounter_id: string | null, files: Array<ImportFile>, };

export type ScannedInbox = { 
/**
 * `None` until a scanner folder is chosen.
 */
folder: string | null, 
/**
 * Files that have stopped growing, in name order, each checked as the server would.
 */
files: Array<FileCheck>, 
/**
 * Files still being written by the scanner.
 */
growing: number, 
/**
 * Why the folder cannot be read, if it cannot.
 */
problem: string | null, };

export type ScanPage = { path: string, 
/**
 * Clockwise quarter turns: 1 = 90°.
 */
quarter_turns: number, };

export type ScanRequest = { 
/**
 * In the order chosen.
 */
pages: Array<ScanPage>, 
/**
 * One PDF of all the pages; otherwise one document per page.
 */
combine: boolean, patient_id: string, encounter_id: string | null, category: Category, title: string, };

export type MarkOp = "create" | "update" | "delete";

export type MarkChangeState = "waiting" | "sending" | "refused";

export type MarkBody = { style: Style, text: string | null, } & ({ "kind": "marker", "geometry": Point } | { "kind": "drawing", "geometry": { points: Array<Point>, } } | { "kind": "text", "geometry": Point } | { "kind": "highlight", "geometry": { x: number, y: number, w: number, h: number, } } | { "kind": "arrow", "geometry": { from: Point, to: Point, } } | { "kind": "measure", "geometry": { from: Point, to: Point, } } | { "kind": "angle", "geometry": { from: Point, vertex: Point, to: Point, } });

export type MarkChange = { annotation_id: string, document_id: string, 
/**
 * As the window showed it when the change was made.
 */
document_title: string | null, page_number: number, op: MarkOp, body: MarkBody | null, base_version: number | null, state: MarkChangeState, attempts: number, error_code: string | null, error_message: string | null, 
/**
 * Unix ms.
 */
queued_at: number, };

export type SavedMark = { 
/**
 * The mark as the server stored it; `None` after a delete or when queued.
 */
annotation: Annotation | null, 
/**
 * Kept on this computer, to be sent when the server can be reached.
 */
queued: boolean, };

export type QueueProgress = { id: string, sent: number, total: number, };

export type MarksSynced = { 
/**
 * Documents whose marks changed on the server: a window showing one reloads them.
 */
documents: Array<string>, 
/**
 * Why each refused change was not applied.
 */
refused: Array<MarkChange>, 
/**
 * Documents that still have changes waiting.
 */
waiting: Array<string>, };

export type Unsent = { uploads: number, marks: number, phrase: string, };

export type ZipProgress = { done: number, total: number, title: string, };

export type PixelSpacing = { x: number, y: number, };

export type ImageScale = { 
/**
 * Pixels across and down, upright.
 */
width: number, height: number, 
/**
 * Millimetres per pixel across and down, upright; `None` when the file does not say.
 */
spacing: PixelSpacing | null, };

export type Window = { center: number, width: number, };

export type DicomDetails = { 
/**
 * As written, e.g. `GARCIA^MARIA`.
 */
patient_name: string | null, patient_id: string | null, 
/**
 * `YYYYMMDD` as written.
 */
study_date: string | null, modality: string | null, body_part: string | null, study_description: string | null, series_description: string | null, 
/**
 * The transfer syntax's name (how the image is encoded).
 */
encoding: string, };

export type SpacingSource = "patient" | "detector";

export type DicomView = { frames: number, width: number, height: number, colour: boolean, 
/**
 * The file's own window, if it states one (the window "Reset" returns to).
 */
window: Window | null, 
/**
 * The window the file's own display amounts to: its window, or the frame's whole range.
 */
start_window: Window | null, 
/**
 * Lowest and highest value of the middle frame (grey images).
 */
value_low: number | null, value_high: number | null, details: DicomDetails, spacing_source: SpacingSource | null, 
/**
 * Why the image cannot be drawn here, when it cannot (the file can still be downloaded).
 */
undisplayable: string | null, };

export type DicomAt = { frame: number, window: Window | null, };

/** Every command: the arguments the window passes (by name) and what it answers. */
export type Commands = {
  add_contact: [{ new: NewContact }, Contact];
  add_staff: [{ new: NewStaff }, StaffAdded];
  app_info: [Record<string, never>, AppInfo];
  audit_page: [{ filter: AuditQuery }, AuditPage];
  cancel_import: [{ importId: string }, null];
  change_clinic: [{ patch: ClinicPatch }, Org];
  change_contact: [{ id: string; patch: ContactPatch }, Contact];
  change_password: [{ current: string; new: string }, null];
  change_sharing_settings: [{ security: ShareSecurity }, SharingSettings];
  change_staff: [{ id: string; patch: StaffPatch }, StaffMember];
  check_file: [{ path: string; patientId: string; encounterId: string | null }, FileCheck];
  check_import: [{ importId: string; patientId: string; encounterId: string | null; indexes: Array<number> }, ImportLimits];
  choose_patient_photo: [{ patientId: string }, boolean];
  close_anyway: [Record<string, never>, null];
  create_annotation: [{ documentId: string; annotation: NewAnnotation }, SavedMark];
  delete_annotation: [{ documentId: string; pageNumber: number; id: string; version: number }, SavedMark];
  delete_document: [{ id: string }, null];
  dicom_view: [{ id: string }, DicomView];
  discard_mark_change: [{ annotationId: string }, null];
  document_shares: [{ documentId: string }, Array<Share>];
  download_all: [{ ids: Array<string>; zipName: string }, SavedFile | null];
  export_annotated: [{ id: string; dicom: DicomAt | null; page: number | null }, SavedFile | null];
  export_audit: [{ filter: AuditQuery }, SavedFile | null];
  find_patients: [{ query: string }, Array<Patient>];
  first_sign_in: [{ serverUrl: string; code: string; password: string }, SessionInfo];
  image_scale: [{ id: string }, ImageScale | null];
  list_annotations: [{ documentId: string }, Array<Annotation>];
  list_contacts: [Record<string, never>, Array<Contact>];
  list_documents: [{ filter: DocumentFilter }, Array<DocumentItem>];
  list_staff: [Record<string, never>, Array<StaffMember>];
  mark_changes: [Record<string, never>, Array<MarkChange>];
  new_setup_code: [{ id: string }, SetupCode];
  open_patient: [{ patientId: string }, PatientFile];
  open_visit: [{ patientId: string; new: NewVisit }, Visit];
  patient_namesakes: [{ name: string; dateOfBirth: string }, Array<Patient>];
  patient_shares: [{ patientId: string }, Array<Share>];
  pdf_page_count: [{ id: string }, number];
  pick_files: [Record<string, never>, Array<string>];
  pick_scanner_folder: [Record<string, never>, string | null];
  practitioners: [Record<string, never>, Array<Practitioner>];
  queue_discard: [{ id: string }, null];
  queue_import: [{ importId: string; request: ImportRequest }, Array<QueueItem>];
  queue_items: [Record<string, never>, Array<QueueItem>];
  queue_resend: [{ id: string; change: Requeue }, null];
  queue_scanned: [{ request: ScanRequest }, Array<QueueItem>];
  queue_upload: [{ request: UploadRequest }, QueueItem];
  recent_patients: [Record<string, never>, Array<RecentPatient>];
  register_patient: [{ new: NewPatient }, Patient];
  remove_contact: [{ id: string }, null];
  resend_share: [{ id: string }, Share];
  restore_session: [Record<string, never>, SessionInfo | null];
  revoke_share: [{ id: string }, null];
  save_document: [{ id: string }, SavedFile | null];
  scanned_files: [Record<string, never>, ScannedInbox];
  share_documents: [{ new: NewShare }, Share];
  sharing_settings: [Record<string, never>, SharingSettings];
  sign_in: [{ serverUrl: string; email: string; password: string }, SessionInfo];
  sign_out: [Record<string, never>, null];
  storage_report: [Record<string, never>, StorageReport];
  storage_usage: [Record<string, never>, StorageUsage];
  update_annotation: [{ documentId: string; pageNumber: number; id: string; update: AnnotationUpdate }, SavedMark];
  update_document: [{ id: string; patch: DocumentPatch }, DocumentItem];
  update_patient: [{ id: string; patch: PatientPatch }, Patient];
};

/** Every event the app sends the window, and its payload. */
export type Events = {
  "queue-changed": null;
  "queue-progress": QueueProgress;
  "marks-synced": MarksSynced;
  "close-with-unsent": Unsent;
  "zip-progress": ZipProgress;
  "drop-hover": boolean;
  "import-started": number;
  "import-review": ImportReview;
  "scanned-changed": null;
};

/** Sizes and how the shared crate writes them: `formatBytes` must write them alike. */
export const BYTE_SAMPLES: Array<[number, string]> = [
  [0, "0 bytes"],
  [1, "1 byte"],
  [2, "2 bytes"],
  [1023, "1023 bytes"],
  [1024, "1 KB"],
  [1536, "1.5 KB"],
  [1280, "1.3 KB"],
  [1075, "1 KB"],
  [102349, "100 KB"],
  [102400, "100 KB"],
  [102912, "101 KB"],
  [480256, "469 KB"],
  [1024000, "1000 KB"],
  [1048575, "1 MB"],
  [1048576, "1 MB"],
  [10485760, "10 MB"],
  [10485761, "10 MB"],
  [14680064, "14 MB"],
  [2621440, "2.5 MB"],
  [1073741824, "1 GB"],
  [3328599654, "3.1 GB"],
  [5368709120, "5 GB"],
  [5368708096, "5 GB"],
  [1099511627776, "1 TB"],
  [3377699720527872, "3072 TB"],
];
