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
    /// A patient's name, date of birth or other details changed.
    PatientUpdated,
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
    /// The audit trail was exported (as CSV).
    AuditExported,
    /// An external contact was added to the clinic's contacts.
    ContactCreated,
    ContactUpdated,
    /// A contact was removed (the shares sent to them stay listed).
    ContactDeleted,
    /// Documents were shared with a contact or the patient (a link made, its email next).
    ShareCreated,
    /// The email with the portal link reached the mail server (a resend: a new link).
    ShareEmailSent,
    /// The email with the portal link could not be sent; the message says why.
    ShareEmailFailed,
    /// The recipient opened the portal (first, then at most once an hour).
    ShareOpened,
    /// A shared document's bytes went to the recipient through the portal.
    ShareDownloaded,
    /// A one-time code for the portal was texted to the recipient's mobile.
    ShareCodeSent,
    /// A code could not be sent, or a wrong one was entered (the detail says which).
    ShareCodeFailed,
    /// The clinic withdrew a share: its link stopped working.
    ShareRevoked,
}

impl AuditAction {
    pub const ALL: [AuditAction; 37] = [
        AuditAction::SignInSucceeded,
        AuditAction::SignInFailed,
        AuditAction::AccessRefused,
        AuditAction::PatientCreated,
        AuditAction::PatientUpdated,
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
        AuditAction::AuditExported,
        AuditAction::ContactCreated,
        AuditAction::ContactUpdated,
        AuditAction::ContactDeleted,
        AuditAction::ShareCreated,
        AuditAction::ShareEmailSent,
        AuditAction::ShareEmailFailed,
        AuditAction::ShareOpened,
        AuditAction::ShareDownloaded,
        AuditAction::ShareCodeSent,
        AuditAction::ShareCodeFailed,
        AuditAction::ShareRevoked,
    ];

    /// The wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignInSucceeded => "sign_in_succeeded",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::AccessRefused => "access_refused",
            AuditAction::PatientCreated => "patient_created",
            AuditAction::PatientUpdated => "patient_updated",
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
            AuditAction::AuditExported => "audit_exported",
            AuditAction::ContactCreated => "contact_created",
            AuditAction::ContactUpdated => "contact_updated",
            AuditAction::ContactDeleted => "contact_deleted",
            AuditAction::ShareCreated => "share_created",
            AuditAction::ShareEmailSent => "share_email_sent",
            AuditAction::ShareEmailFailed => "share_email_failed",
            AuditAction::ShareOpened => "share_opened",
            AuditAction::ShareDownloaded => "share_downloaded",
            AuditAction::ShareCodeSent => "share_code_sent",
            AuditAction::ShareCodeFailed => "share_code_failed",
            AuditAction::ShareRevoked => "share_revoked",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl AuditAction {
    /// What the actor did, as the audit screen says it: "downloaded", "registered".
    pub fn verb(self) -> &'static str {
        use AuditAction as A;
        match self {
            A::SignInSucceeded => "signed in",
            A::SignInFailed => "failed to sign in",
            A::AccessRefused => "was refused access to",
            A::PatientCreated => "registered",
            A::PatientUpdated => "changed the details of",
            A::VisitCreated => "opened a visit for",
            A::ProfileImageSet => "set the profile picture of",
            A::DocumentUploaded => "uploaded",
            A::DocumentUpdated => "edited",
            A::DocumentDeleted => "deleted",
            A::DocumentLinkIssued => "opened",
            A::DocumentDownloaded => "downloaded",
            A::DownloadRefused => "was refused a download of",
            A::AnnotationCreated => "marked",
            A::AnnotationUpdated => "changed a mark on",
            A::AnnotationDeleted => "removed a mark from",
            A::StaffAdded => "added",
            A::StaffUpdated => "changed the account of",
            A::StaffDeactivated => "ended the access of",
            A::StaffReactivated => "restored the access of",
            A::SetupCodeIssued => "issued a setup code for",
            A::PasswordSet => "chose a password with a setup code",
            A::PasswordChanged => "changed their password",
            A::ClinicCreated => "created the clinic",
            A::ClinicChanged => "changed the clinic's plan or settings",
            A::AuditExported => "exported the audit trail",
            A::ContactCreated => "added a contact",
            A::ContactUpdated => "changed a contact",
            A::ContactDeleted => "removed a contact",
            A::ShareCreated => "shared",
            A::ShareEmailSent => "sent the share link for",
            A::ShareEmailFailed => "could not send the share link for",
            A::ShareOpened => "opened",
            A::ShareDownloaded => "received",
            A::ShareCodeSent => "was texted a code for",
            A::ShareCodeFailed => "failed a code for",
            A::ShareRevoked => "revoked the share of",
        }
    }

    /// Whether the action is about the actor themselves (nothing to name after the verb).
    fn is_about_oneself(self) -> bool {
        use AuditAction as A;
        matches!(self, A::SignInSucceeded | A::SignInFailed | A::PasswordSet | A::PasswordChanged)
    }
}

/// What an event names, for its sentence.
#[derive(Debug, Clone, Copy, Default)]
pub struct Named<'a> {
    /// Who did it: their name, else the email they used; neither for the operator's commands.
    pub actor: Option<&'a str>,
    pub document: Option<&'a str>,
    pub patient: Option<&'a str>,
    pub staff: Option<&'a str>,
}

/// An event in words: "Dr. Dana Doctor downloaded ‘CBC-Report-Apr2026’ of Maria Garcia",
/// "Alex Admin ended the access of Riley Reception", "The operator created the clinic".
/// Without an actor it is the operator's command, or a signed download link (which names no
/// one: the link's issue, just before, does).
pub fn summary(action: AuditAction, target: AuditTarget, named: Named<'_>) -> String {
    let object = match (named.document, named.patient, named.staff) {
        (None, Some(p), _) if target == AuditTarget::Share => format!("documents of {p}"),
        (None, None, _) if target == AuditTarget::Share => "documents".to_string(),
        (Some(d), Some(p), _) => format!("‘{d}’ of {p}"),
        (Some(d), None, _) => format!("‘{d}’"),
        (None, Some(p), _) => p.to_string(),
        (None, None, Some(u)) => u.to_string(),
        (None, None, None) => format!("a {}", target.noun()),
    };
    let actor = named.actor.filter(|a| !a.trim().is_empty());
    match (actor, action) {
        (None, AuditAction::DocumentDownloaded) => return format!("{object} was downloaded through a signed link"),
        (None, AuditAction::DownloadRefused) => return "A download link was refused".to_string(),
        (None, AuditAction::ShareOpened) => return format!("The recipient opened {object}"),
        (None, AuditAction::ShareDownloaded) => return format!("{object} was received through a share"),
        (None, AuditAction::ShareCodeSent) => return format!("The recipient was texted a code for {object}"),
        (None, AuditAction::ShareCodeFailed) => return format!("A code for {object} failed"),
        _ => {}
    }
    let who = actor.unwrap_or("The operator");
    let alone = action.is_about_oneself()
        || matches!(
            action,
            AuditAction::ClinicCreated
                | AuditAction::ClinicChanged
                | AuditAction::AuditExported
                | AuditAction::ContactCreated
                | AuditAction::ContactUpdated
                | AuditAction::ContactDeleted
        );
    if alone {
        format!("{who} {}", action.verb())
    } else {
        format!("{who} {} {object}", action.verb())
    }
}

impl AuditTarget {
    /// The kind of thing, for a sentence that cannot name it ("was refused access to a document").
    pub fn noun(self) -> &'static str {
        match self {
            AuditTarget::User => "staff account",
            AuditTarget::Patient => "patient",
            AuditTarget::Visit => "visit",
            AuditTarget::Practitioner => "practitioner",
            AuditTarget::Document => "document",
            AuditTarget::Object => "stored file",
            AuditTarget::Annotation => "mark",
            AuditTarget::Audit => "audit trail",
            AuditTarget::Storage => "storage report",
            AuditTarget::Clinic => "clinic",
            AuditTarget::Contact => "contact",
            AuditTarget::Share => "share",
        }
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
    /// An external contact.
    Contact,
    /// A share (documents sent to a contact or the patient).
    Share,
}

impl AuditTarget {
    pub const ALL: [AuditTarget; 12] = [
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
        AuditTarget::Contact,
        AuditTarget::Share,
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
            AuditTarget::Contact => "contact",
            AuditTarget::Share => "share",
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
    fn an_event_reads_as_a_sentence_naming_who_did_what_to_which_document() {
        let named = Named {
            actor: Some("Dr. Dana Doctor"),
            document: Some("CBC-Report-Apr2026"),
            patient: Some("Maria Garcia"),
            staff: None,
        };
        assert_eq!(
            summary(AuditAction::DocumentDownloaded, AuditTarget::Document, named),
            "Dr. Dana Doctor downloaded ‘CBC-Report-Apr2026’ of Maria Garcia"
        );
        let staff = Named { actor: Some("Alex Admin"), staff: Some("Riley Reception"), ..Named::default() };
        assert_eq!(
            summary(AuditAction::StaffDeactivated, AuditTarget::User, staff),
            "Alex Admin ended the access of Riley Reception"
        );
        let me = Named { actor: Some("Riley Reception"), staff: Some("Riley Reception"), ..Named::default() };
        assert_eq!(summary(AuditAction::SignInSucceeded, AuditTarget::User, me), "Riley Reception signed in");
        assert_eq!(
            summary(AuditAction::ClinicCreated, AuditTarget::Clinic, Named::default()),
            "The operator created the clinic"
        );
        let gone = Named { actor: Some("Dr. Dana Doctor"), ..Named::default() };
        assert_eq!(
            summary(AuditAction::AccessRefused, AuditTarget::Document, gone),
            "Dr. Dana Doctor was refused access to a document"
        );
        let link = Named { document: Some("Knee X-ray"), patient: Some("John Smith"), ..Named::default() };
        assert_eq!(
            summary(AuditAction::DocumentDownloaded, AuditTarget::Document, link),
            "‘Knee X-ray’ of John Smith was downloaded through a signed link"
        );
    }

    #[test]
    fn share_events_name_the_patient_whose_documents_went_out() {
        let doctor = Named { actor: Some("Dr. Dana Doctor"), patient: Some("John Smith"), ..Named::default() };
        assert_eq!(
            summary(AuditAction::ShareCreated, AuditTarget::Share, doctor),
            "Dr. Dana Doctor shared documents of John Smith"
        );
        let recipient = Named { patient: Some("John Smith"), ..Named::default() };
        assert_eq!(
            summary(AuditAction::ShareOpened, AuditTarget::Share, recipient),
            "The recipient opened documents of John Smith"
        );
        let file = Named { document: Some("Knee X-ray"), patient: Some("John Smith"), ..Named::default() };
        assert_eq!(
            summary(AuditAction::ShareDownloaded, AuditTarget::Document, file),
            "‘Knee X-ray’ of John Smith was received through a share"
        );
        assert_eq!(
            summary(AuditAction::ShareCodeSent, AuditTarget::Share, recipient),
            "The recipient was texted a code for documents of John Smith"
        );
        assert_eq!(
            summary(AuditAction::ShareCodeFailed, AuditTarget::Share, recipient),
            "A code for documents of John Smith failed"
        );
        let admin = Named { actor: Some("Alex Admin"), ..Named::default() };
        assert_eq!(summary(AuditAction::ContactCreated, AuditTarget::Contact, admin), "Alex Admin added a contact");
    }

    #[test]
    fn every_action_is_the_thing_then_what_happened_and_round_trips() {
        for a in AuditAction::ALL {
            let s = a.as_str();
            assert_eq!(AuditAction::parse(s), Some(a));
            assert_eq!(serde_json::to_string(&a).expect("json"), format!("\"{s}\""));
            let verb = s.rsplit('_').next().unwrap_or_default();
            assert!(
                verb.ends_with("ed") || ["set", "sent"].contains(&verb),
                "{s}: an action ends with what happened, in the past tense"
            );
        }
        for a in AuditAction::ALL {
            assert!(!a.verb().is_empty());
        }
        for t in AuditTarget::ALL {
            assert_eq!(AuditTarget::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_string(&t).expect("json"), format!("\"{}\"", t.as_str()));
        }
    }
}
