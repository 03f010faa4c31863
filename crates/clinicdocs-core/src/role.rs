//! Staff roles within a clinic.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Doctor,
    Receptionist,
    Billing,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Doctor, Role::Receptionist, Role::Billing];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Doctor => "doctor",
            Role::Receptionist => "receptionist",
            Role::Billing => "billing",
        }
    }

    /// The role's name as staff read it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Doctor => "Doctor",
            Role::Receptionist => "Receptionist",
            Role::Billing => "Billing",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}
