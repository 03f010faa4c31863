//! Demo data: three clinics (two on Professional, one without Documents), four staff accounts
//! at each (password `demo`), and a few patients with visits. Seeding is idempotent.

use crate::passwords::hash_password;
use crate::state::AppState;
use clinicdocs_core::api::{Patient, User, Visit};
use clinicdocs_core::limits::Plan;
use clinicdocs_core::Role;
use uuid::Uuid;

pub const DEMO_PASSWORD: &str = "demo";

const CLINICS: &[(&str, &str, Plan)] = &[
    ("demo.clinic", "Demo Family Clinic", Plan::Professional),
    ("other.clinic", "Other Street Practice", Plan::Professional),
    ("basic.clinic", "Basic Care Clinic", Plan::Basic),
];

const STAFF: &[(&str, &str, Role)] = &[
    ("admin", "Alex Admin", Role::Admin),
    ("doctor", "Dr. Dana Doctor", Role::Doctor),
    ("reception", "Riley Reception", Role::Receptionist),
    ("billing", "Blair Billing", Role::Billing),
];

const PATIENTS: &[(&str, &str)] = &[
    ("Maria Garcia", "1980-04-23"),
    ("John Smith", "1975-11-02"),
    ("Aisha Khan", "1992-07-15"),
    ("Li Wei", "2001-01-30"),
];

/// Seeds what is missing and returns the logins, one line each.
pub async fn seed(state: &AppState) -> anyhow::Result<Vec<String>> {
    let now = state.now();
    let hash = hash_password(DEMO_PASSWORD)?;
    let mut logins = Vec::new();
    for (domain, name, plan) in CLINICS {
        let org = match state.db.orgs().by_domain(domain).await? {
            Some(o) => o.id,
            None => {
                let id = Uuid::new_v4();
                state.db.orgs().create(id, name, domain, *plan, now).await?;
                for (i, (pname, dob)) in PATIENTS.iter().enumerate() {
                    let p = Patient {
                        id: Uuid::new_v4(),
                        name: pname.to_string(),
                        date_of_birth: dob.to_string(),
                        created_at: now,
                        sex: None,
                        phone: None,
                        email: None,
                        patient_number: None,
                    };
                    state.db.patients().create(id, &p).await?;
                    let visits = [("2026-11-20", "Check-up"), ("2026-11-22", "Follow-up")];
                    for (date, reason) in visits.iter().take(1 + i % 2) {
                        let v = Visit {
                            id: Uuid::new_v4(),
                            patient_id: p.id,
                            date: date.to_string(),
                            reason: reason.to_string(),
                            document_count: 0,
                            practitioner_id: None,
                        };
                        state.db.patients().create_visit(id, &v, now).await?;
                    }
                }
                id
            }
        };
        for (local, uname, role) in STAFF {
            let email = format!("{local}@{domain}");
            if state.db.users().by_email(&email).await?.is_none() {
                let user = User { id: Uuid::new_v4(), name: uname.to_string(), email, role: *role, org_id: org };
                state.db.users().create(&user, &hash, now).await?;
            }
            let email = format!("{local}@{domain}");
            logins.push(format!("{email:<24} {:<13} {name} ({})", role.as_str(), plan.as_str()));
        }
    }
    Ok(logins)
}
