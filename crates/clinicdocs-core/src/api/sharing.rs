//! The sharing contract: the clinic's external contacts, its share security setting, and
//! shares — documents of one patient sent to a contact or to the patient through an emailed
//! portal link (docs/DESIGN.md, "Shares").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Someone outside the clinic documents are shared with: a specialist, a lab, a hospital.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Contact {
    pub id: Uuid,
    pub name: String,
    #[serde(default)]
    pub organisation: Option<String>,
    pub email: String,
    /// A mobile number, for the SMS code when the clinic asks for one.
    #[serde(default)]
    pub phone: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub name: String,
    #[serde(default)]
    pub organisation: Option<String>,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
}

/// Changes to a contact; absent fields stay, an empty organisation or phone clears it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    pub name: Option<String>,
    pub organisation: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// What a recipient must do before seeing shared documents: open the link (`link`), or also
/// enter a one-time code sent to their mobile (`sms`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ShareSecurity {
    #[default]
    Link,
    Sms,
}

impl ShareSecurity {
    pub fn as_str(self) -> &'static str {
        match self {
            ShareSecurity::Link => "link",
            ShareSecurity::Sms => "sms",
        }
    }
    pub fn parse(s: &str) -> Option<ShareSecurity> {
        [ShareSecurity::Link, ShareSecurity::Sms].into_iter().find(|x| x.as_str() == s)
    }
}

/// The clinic's sharing settings, and what the server can do for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SharingSettings {
    pub security: ShareSecurity,
    /// Whether this server can send email (without it nothing can be shared).
    pub email_available: bool,
    /// Whether this server can send SMS codes (without it `sms` cannot be chosen).
    pub sms_available: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct SharingSettingsUpdate {
    pub security: ShareSecurity,
}

/// Documents to share, and with whom: a contact of the clinic, or the patient themself. Every
/// document is of one patient (a patient only ever receives their own).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    pub document_ids: Vec<Uuid>,
    #[serde(default)]
    pub contact_id: Option<Uuid>,
    #[serde(default)]
    pub patient_id: Option<Uuid>,
}

/// Who a share went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum RecipientKind {
    Contact,
    Patient,
}

impl RecipientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientKind::Contact => "contact",
            RecipientKind::Patient => "patient",
        }
    }
    pub fn parse(s: &str) -> Option<RecipientKind> {
        [RecipientKind::Contact, RecipientKind::Patient].into_iter().find(|x| x.as_str() == s)
    }
}

/// Where a share stands for its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ShareState {
    /// Its email could not be sent: the link works nowhere until a resend goes through.
    NotSent,
    /// Sent, not opened yet; it expires unused at `expires_unused_at`.
    Waiting,
    /// Opened: it keeps working until the clinic revokes it.
    Opened,
    /// Not opened in time: a resend sends a new link.
    Expired,
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SharedDocument {
    pub id: Uuid,
    pub title: String,
}

/// A share as the clinic sees it (its link's token is never shown: only the email carries it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Share {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub recipient_kind: RecipientKind,
    /// The contact's or the patient's id.
    pub recipient_id: Uuid,
    /// Name and address as they were when it was sent.
    pub recipient_name: String,
    pub recipient_email: String,
    pub documents: Vec<SharedDocument>,
    pub created_by: Uuid,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Unless opened before then, the link stops working at this moment.
    pub expires_unused_at: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub state: ShareState,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct ShareQuery {
    /// Shares holding this document.
    pub document_id: Option<Uuid>,
    /// Shares of this patient's documents.
    pub patient_id: Option<Uuid>,
}
