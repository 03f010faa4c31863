//! What the audit trail records: one action per kind of event, named by one grammar — the
//! thing, then what happened to it, in the past tense (`document_uploaded`,
//! `document_link_issued`, `sign_in_failed`). The database keeps the wire spelling.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every action the audit trail records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A staff member signed in.
    SignInSucceeded,
    /// A sign-in with a wrong email or password.
    SignInFailed,
    /// An attempt the access policy refused, or on another clinic's (or no) record.
    AccessRefused,
    PatientCreated,
    VisitCreated,
    /// A patient's or practitioner's profile picture was set.
    ProfileImageSet,
    DocumentUploaded,
    /// Renamed, recategorised, relinked or its notes changed.
    DocumentUpdated,
    DocumentDeleted,
    /// A signed download link was handed out.
    DocumentLinkIssued,
    /// The bytes went to a client (through this server's signed `/files` link).
    DocumentDownloaded,
    /// A `/files` link was refused (bad signature, expired, no such document).
    DownloadRefused,
    AnnotationCreated,
    AnnotationUpdated,
    AnnotationDeleted,
    /// An administrator added a staff member (with a setup code to hand over).
    StaffAdded,
    /// A staff member's name or role changed.
    StaffUpdated,
    /// A staff member's access ended: every session of theirs closed.
    StaffDeactivated,
    StaffReactivated,
    /// A new one-time setup code was made for a staff member (the old one voided).
    SetupCodeIssued,
    /// A staff member chose a password with a setup code.
    PasswordSet,
    /// A staff member changed their own password; their other sessions ended.
    PasswordChanged,
    /// The operator created the clinic (`clinicdocs-server clinic create`).
    ClinicCreated,
    /// The clinic's plan, limits or settings changed.
    ClinicChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 24] = [
        AuditAction::SignInSucceeded,
        AuditAction::SignInFailed,
        AuditAction::AccessRefused,
        AuditAction::PatientCreated,
        AuditAction::VisitCreated,
        AuditAction::ProfileImageSet,
        AuditAction::DocumentUploaded,
        AuditAction::DocumentUpdated,
        AuditAction::DocumentDeleted,
        AuditAction::DocumentLinkIssued,
        AuditAction::DocumentDownloaded,
        AuditAction::DownloadRefused,
        AuditAction::AnnotationCreated,
        AuditAction::AnnotationUpdated,
        AuditAction::AnnotationDeleted,
        AuditAction::StaffAdded,
        AuditAction::StaffUpdated,
        AuditAction::StaffDeactivated,
        AuditAction::StaffReactivated,
        AuditAction::SetupCodeIssued,
        AuditAction::PasswordSet,
        AuditAction::PasswordChanged,
        AuditAction::ClinicCreated,
        AuditAction::ClinicChanged,
    ];

    /// The wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignInSucceeded => "sign_in_succeeded",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::AccessRefused => "access_refused",
            AuditAction::PatientCreated => "patient_created",
            AuditAction::VisitCreated => "visit_created",
            AuditAction::ProfileImageSet => "profile_image_set",
            AuditAction::DocumentUploaded => "document_uploaded",
            AuditAction::DocumentUpdated => "document_updated",
            AuditAction::DocumentDeleted => "document_deleted",
            AuditAction::DocumentLinkIssued => "document_link_issued",
            AuditAction::DocumentDownloaded => "document_downloaded",
            AuditAction::DownloadRefused => "download_refused",
            AuditAction::AnnotationCreated => "annotation_created",
            AuditAction::AnnotationUpdated => "annotation_updated",
            AuditAction::AnnotationDeleted => "annotation_deleted",
            AuditAction::StaffAdded => "staff_added",
            AuditAction::StaffUpdated => "staff_updated",
            AuditAction::StaffDeactivated => "staff_deactivated",
            AuditAction::StaffReactivated => "staff_reactivated",
            AuditAction::SetupCodeIssued => "setup_code_issued",
            AuditAction::PasswordSet => "password_set",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::ClinicCreated => "clinic_created",
            AuditAction::ClinicChanged => "clinic_changed",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an audit event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AuditTarget {
    User,
    Patient,
    Visit,
    Practitioner,
    Document,
    /// A stored object named by a `/files` link.
    Object,
    Annotation,
    Audit,
    Storage,
    /// The clinic itself (its plan, limits and settings).
    Clinic,
}

impl AuditTarget {
    pub const ALL: [AuditTarget; 10] = [
        AuditTarget::User,
        AuditTarget::Patient,
        AuditTarget::Visit,
        AuditTarget::Practitioner,
        AuditTarget::Document,
        AuditTarget::Object,
        AuditTarget::Annotation,
        AuditTarget::Audit,
        AuditTarget::Storage,
        AuditTarget::Clinic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditTarget::User => "user",
            AuditTarget::Patient => "patient",
            AuditTarget::Visit => "visit",
            AuditTarget::Practitioner => "practitioner",
            AuditTarget::Document => "document",
            AuditTarget::Object => "object",
            AuditTarget::Annotation => "annotation",
            AuditTarget::Audit => "audit",
            AuditTarget::Storage => "storage",
            AuditTarget::Clinic => "clinic",
        }
    }

    pub fn parse(s: &str) -> Option<AuditTarget> {
        AuditTarget::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_the_thing_then_what_happened_and_round_trips() {
        for a in AuditAction::ALL {
            let s = a.as_str();
            assert_eq!(AuditAction::parse(s), Some(a));
            assert_eq!(serde_json::to_string(&a).expect("json"), format!("\"{s}\""));
            let verb = s.rsplit('_').next().unwrap_or_default();
            assert!(
                verb.ends_with("ed") || ["set"].contains(&verb),
                "{s}: an action ends with what happened, in the past tense"
            );
        }
        for t in AuditTarget::ALL {
            assert_eq!(AuditTarget::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_string(&t).expect("json"), format!("\"{}\"", t.as_str()));
        }
    }
}
