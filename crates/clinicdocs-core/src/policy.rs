//! The access policy: one table of role × action × category scope, used by every server
//! route (and by the desktop app to hide what a role may not do). docs/DESIGN.md §3.

use crate::{Category, Role};

/// Something a user may try to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// List documents, read metadata, get a signed URL, read annotations.
    View,
    /// Upload a new document.
    Upload,
    /// Rename, recategorise or relink a document.
    Edit,
    /// Create, change or delete annotations.
    Annotate,
    /// Soft-delete a document.
    Delete,
    /// Read the audit log.
    ReadAudit,
    /// Read the clinic's storage report.
    StorageReport,
    /// Share a document with an external contact.
    Share,
    /// Create patients and visits.
    ManagePatients,
    /// Add staff, change their roles, end their access, issue setup codes; change the clinic's settings.
    ManageStaff,
}

/// What the policy says for one role, action and category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Allowed,
    /// Allowed only on documents the user uploaded.
    OwnUploadsOnly,
    Denied,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Every category but insurance.
    Clinical,
    Insurance,
    /// Not tied to a category.
    Any,
}

use Access::{Allowed as A, Denied as D, OwnUploadsOnly as O};

/// Columns: admin, doctor, receptionist, billing.
const TABLE: &[(Action, Scope, [Access; 4])] = &[
    (Action::View, Scope::Clinical, [A, A, O, D]),
    (Action::View, Scope::Insurance, [A, A, A, A]),
    (Action::Upload, Scope::Clinical, [A, A, A, D]),
    (Action::Upload, Scope::Insurance, [A, A, A, A]),
    (Action::Edit, Scope::Clinical, [A, A, O, D]),
    (Action::Edit, Scope::Insurance, [A, A, A, A]),
    (Action::Annotate, Scope::Any, [A, A, D, D]),
    (Action::Delete, Scope::Any, [A, D, D, D]),
    (Action::ReadAudit, Scope::Any, [A, D, D, D]),
    (Action::StorageReport, Scope::Any, [A, D, D, D]),
    (Action::Share, Scope::Any, [A, A, D, D]),
    (Action::ManagePatients, Scope::Any, [A, A, A, D]),
    (Action::ManageStaff, Scope::Any, [A, D, D, D]),
];

fn column(role: Role) -> usize {
    match role {
        Role::Admin => 0,
        Role::Doctor => 1,
        Role::Receptionist => 2,
        Role::Billing => 3,
    }
}

fn scope_matches(scope: Scope, category: Option<Category>) -> bool {
    match (scope, category) {
        (Scope::Any, _) => true,
        (Scope::Clinical, Some(c)) => c.is_clinical(),
        (Scope::Insurance, Some(c)) => !c.is_clinical(),
        (_, None) => false,
    }
}

/// The policy's answer. Actions on a document other than `View`/`Upload`/`Edit` also require
/// that the user may view it; `permits` applies that rule.
pub fn access(role: Role, action: Action, category: Option<Category>) -> Access {
    TABLE
        .iter()
        .find(|(a, scope, _)| *a == action && scope_matches(*scope, category))
        .map(|(_, _, row)| row[column(role)])
        .unwrap_or(Access::Denied)
}

/// Whether `role` may do `action` on a document of `category` uploaded by the user
/// (`own` = the user uploaded it). For document-level actions the user must also be allowed
/// to view the document.
pub fn permits(role: Role, action: Action, category: Option<Category>, own: bool) -> bool {
    let ok = |a: Access| match a {
        Access::Allowed => true,
        Access::OwnUploadsOnly => own,
        Access::Denied => false,
    };
    let needs_view = category.is_some() && !matches!(action, Action::View | Action::Upload);
    ok(access(role, action, category)) && (!needs_view || ok(access(role, Action::View, category)))
}

/// For listing: the categories `role` sees entirely, and those it sees only for its own uploads.
pub fn visible_categories(role: Role) -> (Vec<Category>, Vec<Category>) {
    let mut all = Vec::new();
    let mut own = Vec::new();
    for c in Category::ALL {
        match access(role, Action::View, Some(c)) {
            Access::Allowed => all.push(c),
            Access::OwnUploadsOnly => own.push(c),
            Access::Denied => {}
        }
    }
    (all, own)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receptionist_sees_clinical_documents_only_when_she_uploaded_them() {
        assert!(permits(Role::Receptionist, Action::View, Some(Category::Imaging), true));
        assert!(!permits(Role::Receptionist, Action::View, Some(Category::Imaging), false));
        assert!(permits(Role::Receptionist, Action::View, Some(Category::Insurance), false));
    }

    #[test]
    fn billing_only_touches_insurance() {
        for c in Category::ALL {
            assert_eq!(permits(Role::Billing, Action::Upload, Some(c), true), c == Category::Insurance);
            assert_eq!(permits(Role::Billing, Action::View, Some(c), true), c == Category::Insurance);
        }
    }

    #[test]
    fn only_admin_deletes_reads_audit_and_manages_staff() {
        for r in Role::ALL {
            assert_eq!(permits(r, Action::Delete, Some(Category::Lab), true), r == Role::Admin);
            assert_eq!(permits(r, Action::ReadAudit, None, false), r == Role::Admin);
            assert_eq!(permits(r, Action::ManageStaff, None, false), r == Role::Admin);
        }
    }

    #[test]
    fn visible_categories_follow_the_table() {
        let (all, own) = visible_categories(Role::Receptionist);
        assert_eq!(all, vec![Category::Insurance]);
        assert_eq!(own.len(), 8);
        let (all, own) = visible_categories(Role::Billing);
        assert_eq!(all, vec![Category::Insurance]);
        assert!(own.is_empty());
    }
}
