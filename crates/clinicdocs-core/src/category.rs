//! Document categories: the one list used by the server, the desktop app and the UI.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What kind of clinical document a file is. Serialised in kebab-case (`clinical-note`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Lab,
    Imaging,
    Prescription,
    Referral,
    Consent,
    Insurance,
    Photo,
    ClinicalNote,
    Other,
}

impl Category {
    /// Every category, in the order the UI shows them.
    pub const ALL: [Category; 9] = [
        Category::Lab,
        Category::Imaging,
        Category::Prescription,
        Category::Referral,
        Category::Consent,
        Category::Insurance,
        Category::Photo,
        Category::ClinicalNote,
        Category::Other,
    ];

    /// The wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Lab => "lab",
            Category::Imaging => "imaging",
            Category::Prescription => "prescription",
            Category::Referral => "referral",
            Category::Consent => "consent",
            Category::Insurance => "insurance",
            Category::Photo => "photo",
            Category::ClinicalNote => "clinical-note",
            Category::Other => "other",
        }
    }

    /// The label staff see.
    pub fn label(self) -> &'static str {
        match self {
            Category::Lab => "Lab Report",
            Category::Imaging => "X-Ray",
            Category::Prescription => "Prescription",
            Category::Referral => "Referral",
            Category::Consent => "Consent",
            Category::Insurance => "Insurance",
            Category::Photo => "Photo",
            Category::ClinicalNote => "Clinical note",
            Category::Other => "Other",
        }
    }

    /// Parses the wire spelling; `None` for anything else.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Clinical categories carry medical content; only `insurance` is administrative.
    pub fn is_clinical(self) -> bool {
        self != Category::Insurance
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spelling_round_trips_through_serde_and_parse() {
        for c in Category::ALL {
            let json = serde_json::to_string(&c).expect("serialise");
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        assert_eq!(Category::parse("x-ray"), None);
    }
}
