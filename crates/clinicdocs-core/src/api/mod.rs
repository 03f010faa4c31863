//! The HTTP API contract (docs/DESIGN.md §7): request and response bodies shared by the server and
//! its clients. Field names are the wire names.

use crate::annotation::{Shape, Style};
use crate::audit::{AuditAction, AuditTarget};
pub use crate::error_code::ErrorCode;
use crate::limits::{Plan, PlanLimits};
use crate::{Category, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

mod sharing;
pub use sharing::*;

/// Secrets (passwords, setup codes, session tokens) never reach a log through `{:?}`.
macro_rules! redacted_debug {
    ($($t:ident { $($shown:ident),* }),* $(,)?) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t))$(.field(stringify!($shown), &self.$shown))*.finish_non_exhaustive()
            }
        }
    )*};
}

redacted_debug!(
    LoginRequest { email },
    LoginResponse { user },
    SetupRequest {},
    PasswordChange {},
    SetupCode { expires_at },
);

/// Every error body: `{ "error": { "code", "message" } }`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorDetail {
    /// Machine-readable; clients branch on it.
    pub code: ErrorCode,
    /// A sentence for the person at the screen.
    pub message: String,
}

#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoginResponse {
    pub token: String,
    pub user: User,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub org_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Org {
    pub id: Uuid,
    pub name: String,
    pub plan: Plan,
    pub documents_enabled: bool,
    /// The limits this server applies to the clinic: clients check uploads against these, not
    /// against a plan's defaults.
    pub limits: PlanLimits,
    /// A session nobody used for this long ends (besides its absolute lifetime).
    pub session_idle_minutes: u32,
}

/// What an administrator may change about the clinic (`PATCH /api/v1/clinic`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct ClinicPatch {
    /// Minutes without a request before a session ends: 5 to 720.
    pub session_idle_minutes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Me {
    pub user: User,
    pub org: Org,
}

/// A staff member as the clinic's administrator sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StaffMember {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// False once an administrator ended their access: they cannot sign in.
    pub active: bool,
    /// False until they chose a password with their setup code.
    pub password_set: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// Changes to a staff member; absent fields stay as they are. `active: false` ends their
/// access at once (their documents and audit rows stay).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct StaffPatch {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// A one-time code with which a staff member chooses their password. It is shown once: only
/// its hash is kept.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SetupCode {
    /// As people write it: `7KQ2-M9XD-…`; dashes, spaces and case do not matter when typed.
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// A staff member just added, with the setup code to hand over.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StaffAdded {
    pub user: StaffMember,
    pub setup: SetupCode,
}

/// First sign-in: the setup code and the password chosen.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    pub code: String,
    pub password: String,
}

#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Patient {
    pub id: Uuid,
    pub name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub sex: Option<Sex>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// The clinic's own number for the patient, unique within the clinic.
    #[serde(default)]
    pub patient_number: Option<String>,
}

/// A patient's sex as the clinic records it (FHIR's administrative gender).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

impl Sex {
    pub const ALL: [Sex; 4] = [Sex::Female, Sex::Male, Sex::Other, Sex::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Sex> {
        Sex::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewPatient {
    pub name: String,
    pub date_of_birth: String,
    #[serde(default)]
    pub sex: Option<Sex>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub patient_number: Option<String>,
}

/// Changes to a patient's details; absent fields stay, an empty text clears one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct PatientPatch {
    pub name: Option<String>,
    pub date_of_birth: Option<String>,
    pub sex: Option<Sex>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub patient_number: Option<String>,
}

/// Someone a visit can be with: an active doctor or administrator of the clinic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Practitioner {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct PatientQuery {
    /// Part of the name, or a date of birth `YYYY-MM-DD`.
    pub q: Option<String>,
    pub limit: Option<i64>,
    /// With `date_of_birth` instead of `q`: the patients with exactly this name (any case) and
    /// date of birth — the possible duplicates of one about to be registered.
    pub name: Option<String>,
    pub date_of_birth: Option<String>,
}

/// A patient's visit to the clinic. (The wire keeps FHIR's word: a document's visit is its
/// `encounter_id`, and a patient's visits are at `/patients/{id}/encounters`.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Visit {
    pub id: Uuid,
    pub patient_id: Uuid,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub reason: String,
    pub document_count: i64,
    /// Who the patient sees.
    #[serde(default)]
    pub practitioner_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewVisit {
    pub date: String,
    pub reason: String,
    /// Who the patient sees: a practitioner of the clinic (`GET /api/v1/practitioners`).
    #[serde(default)]
    pub practitioner_id: Option<Uuid>,
}

/// A document's metadata (FHIR DocumentReference-like). Bytes are fetched through signed URLs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Document {
    pub id: Uuid,
    pub org_id: Uuid,
    pub patient_id: Uuid,
    pub encounter_id: Option<Uuid>,
    pub title: String,
    pub category: Category,
    /// Decided from the file's bytes.
    pub content_type: String,
    pub file_size: i64,
    pub sha256: String,
    pub has_thumbnail: bool,
    pub page_count: Option<i64>,
    pub notes: Option<String>,
    pub uploaded_by: Uuid,
    pub uploaded_by_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    #[default]
    Date,
    Name,
    Uploader,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct DocumentQuery {
    pub patient_id: Option<Uuid>,
    pub category: Option<Category>,
    pub encounter_id: Option<Uuid>,
    /// Inclusive lower bound on the upload time (RFC 3339 or `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Exclusive upper bound on the upload time (RFC 3339 or `YYYY-MM-DD`, whole day included).
    pub to: Option<String>,
    pub sort: Option<SortKey>,
    pub order: Option<SortOrder>,
    pub limit: Option<i64>,
    /// Opaque, from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DocumentPage {
    pub items: Vec<Document>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignedUrl {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UploadResponse {
    pub document: Document,
    pub download_url: SignedUrl,
}

/// One file's fields in a batch upload's `manifest` part (a JSON array, one entry per `file`
/// part, in the same order).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct BatchItem {
    pub patient_id: Uuid,
    pub category: Category,
    pub title: String,
    pub notes: Option<String>,
    pub encounter_id: Option<Uuid>,
    /// The file's own idempotency key, as the `Idempotency-Key` header of a single upload: a
    /// batch sent again (its answer was lost) returns the documents stored the first time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum BatchFileState {
    /// Stored (the whole batch succeeded).
    Stored,
    /// This file was refused; see `error`.
    Refused,
    /// This file was fine, but the batch was not stored because another file was refused.
    NotStored,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BatchFileStatus {
    pub index: usize,
    pub title: Option<String>,
    pub status: BatchFileState,
    pub error: Option<ErrorDetail>,
    pub document: Option<Document>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BatchResponse {
    /// True when every file was stored; false when none was.
    pub stored: bool,
    pub files: Vec<BatchFileStatus>,
    /// Present when the batch failed as a whole.
    pub error: Option<ErrorDetail>,
}

/// PATCH body: fields left out stay as they are. `encounter_id: null` unlinks the visit.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct DocumentPatch {
    pub title: Option<String>,
    pub category: Option<Category>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    #[cfg_attr(feature = "ts", ts(as = "Option<Option<Uuid>>", optional = nullable))]
    pub encounter_id: Option<Option<Uuid>>,
    pub notes: Option<String>,
}

/// Distinguishes an absent field from an explicit `null`.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum UrlVariant {
    #[default]
    Original,
    Thumbnail,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct UrlQuery {
    pub variant: Option<UrlVariant>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Annotation {
    pub id: Uuid,
    pub document_id: Uuid,
    /// 1-based; 1 for images.
    pub page_number: i64,
    #[serde(flatten)]
    pub shape: Shape,
    pub style: Style,
    pub text: Option<String>,
    pub created_by: Uuid,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases with every change; send it back on update to detect conflicting edits.
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewAnnotation {
    /// The client's own id for the mark (a fresh UUID), so a create sent again after its
    /// answer was lost (the offline queue) stores it once: the same id on the same document by
    /// the same person answers the stored mark; an id used otherwise answers 409. Made by the
    /// server when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub id: Option<Uuid>,
    pub page_number: i64,
    #[serde(flatten)]
    pub shape: Shape,
    pub style: Style,
    pub text: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AnnotationUpdate {
    #[serde(flatten)]
    pub shape: Shape,
    pub style: Style,
    pub text: Option<String>,
    /// The version the edit was based on; a different current version answers 409.
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StorageUsage {
    pub used_bytes: i64,
    pub quota_bytes: i64,
    pub document_count: i64,
}

/// What fills the clinic's pool (admins only): by document type, and the patients whose
/// documents take the most. Live documents only; the bytes add up to `used_bytes`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StorageReport {
    pub used_bytes: i64,
    pub quota_bytes: i64,
    pub document_count: i64,
    /// Every type with at least one document, largest first.
    pub by_category: Vec<CategoryUsage>,
    /// The ten patients whose documents take the most, largest first.
    pub top_patients: Vec<PatientUsage>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CategoryUsage {
    pub category: Category,
    pub documents: i64,
    pub bytes: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PatientUsage {
    pub patient_id: Uuid,
    pub name: String,
    pub documents: i64,
    pub bytes: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<String>,
    pub action: AuditAction,
    pub target_type: AuditTarget,
    pub target_id: Option<String>,
    pub detail: Option<String>,
    pub remote_addr: Option<String>,
    /// The actor's name, as their account has it now.
    pub actor_name: Option<String>,
    /// The document it is about (directly, or through one of its marks), titled as it is now.
    pub document_id: Option<Uuid>,
    pub document_title: Option<String>,
    /// The patient it is about (directly, or through a document or a visit).
    pub patient_id: Option<Uuid>,
    pub patient_name: Option<String>,
    /// The staff member it is about (staff changes, setup codes, sign-ins).
    pub staff_name: Option<String>,
    /// What happened, in words: "Dr. Dana Doctor downloaded ‘CBC-Report-Apr2026’ of Maria Garcia".
    pub summary: String,
}

/// How the audit trail is answered: JSON pages, or every matching event as CSV.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum AuditFormat {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub limit: Option<i64>,
    /// Events with an id below this one (for paging backwards).
    pub before: Option<i64>,
    pub action: Option<AuditAction>,
    /// Events by this staff member.
    pub user_id: Option<Uuid>,
    /// Events about this patient, their documents, marks and visits.
    pub patient_id: Option<Uuid>,
    /// Events about this document and its marks.
    pub document_id: Option<Uuid>,
    /// From this moment (RFC 3339) or day (`YYYY-MM-DD`, from its start, UTC).
    pub from: Option<String>,
    /// Until this moment (RFC 3339, not included) or day (`YYYY-MM-DD`, included, UTC).
    pub to: Option<String>,
    /// `csv`: every matching event (newest first, at most 100,000) as a CSV file.
    pub format: Option<AuditFormat>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditPage {
    pub items: Vec<AuditEvent>,
    pub next_before: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProfileImage {
    pub url: SignedUrl,
    pub avatar_url: SignedUrl,
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let r = super::SetupRequest { code: "7KQ2-M9XD-HT4P-W8NB".into(), password: "granite kettle orbit".into() };
        let c = super::PasswordChange { current: "old secret pw".into(), new: "new secret pw".into() };
        let l = super::LoginRequest { email: "a@b.org".into(), password: "hunter2hunter2".into() };
        let shown = format!("{r:?} {c:?} {l:?}");
        for secret in ["7KQ2", "granite", "old secret", "new secret", "hunter2"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("a@b.org"));
    }
}
