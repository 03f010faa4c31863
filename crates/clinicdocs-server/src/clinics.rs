//! Clinics: what the operator does to them (create one with its first administrator, change
//! plan and limits; `clinic_cli` is the command line over it) and the settings a clinic's
//! administrator changes over the API (session idle timeout). Every change is audited in the
//! clinic's log; no password is ever typed on a command line.

use crate::auth::Caller;
use crate::config::{ClinicCreateArgs, ClinicSetLimitsArgs};
use crate::db::audit::NewAuditEvent;
use crate::db::is_unique_violation;
use crate::db::orgs::{OrgRow, StoredLimits};
use crate::db::users::NewClinic;
use crate::error::{ApiError, ApiResult};
use crate::staff::new_setup_code;
use crate::state::AppState;
use clinicdocs_core::api::{ClinicPatch, Org, SetupCode, User};
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::credentials::normalise_email;
use clinicdocs_core::limits::{format_bytes, Plan, PlanLimits, MAX_FILE_BYTES_CEILING, SESSION_IDLE_CHOICES};
use clinicdocs_core::names::validate_person_name;
use clinicdocs_core::policy::Action;
use clinicdocs_core::Role;
use uuid::Uuid;

/// The shortest and longest session idle timeout a clinic may choose, in minutes.
const IDLE_MINUTES: std::ops::RangeInclusive<u32> =
    SESSION_IDLE_CHOICES[0]..=SESSION_IDLE_CHOICES[SESSION_IDLE_CHOICES.len() - 1];
/// Longest clinic domain (a DNS name's limit).
const MAX_DOMAIN_CHARS: usize = 253;

#[derive(Debug, thiserror::Error)]
pub enum ClinicError {
    #[error("no clinic has the domain {0:?} (`clinicdocs-server clinic list` shows them)")]
    NoSuchClinic(String),
    #[error("a clinic with the domain {0:?} exists already")]
    DomainTaken(String),
    #[error("{0} already has an account; the first administrator needs an email of their own")]
    EmailTaken(String),
    #[error("the domain must be a name like northside-clinic.org: letters, digits, '-' and '.', at most {MAX_DOMAIN_CHARS} characters")]
    BadDomain,
    #[error(
        "a file limit above {} is not taken (the server accepts uploads up to that size)",
        format_bytes(MAX_FILE_BYTES_CEILING)
    )]
    FileLimitTooLarge,
    #[error("no staff member has the email {0:?}")]
    NoSuchStaff(String),
    #[error("{0}'s access has ended; an administrator restores it before a setup code helps")]
    StaffInactive(String),
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ClinicError {
    fn from(e: sqlx::Error) -> Self {
        ClinicError::Other(e.into())
    }
}

/// A clinic's limits in words.
pub fn describe(l: PlanLimits) -> String {
    if !l.documents_enabled {
        return "no Documents on this plan".into();
    }
    format!(
        "pool {}, files up to {}, {} per visit",
        format_bytes(l.pool_bytes),
        format_bytes(l.max_file_bytes),
        l.max_files_per_visit
    )
}

/// An event of the operator's (no actor) about the clinic `org`.
pub fn operator_event(org: Uuid, detail: String) -> NewAuditEvent {
    NewAuditEvent {
        org_id: Some(org),
        target_id: Some(org.to_string()),
        detail: Some(detail),
        ..NewAuditEvent::new(AuditAction::ClinicChanged, AuditTarget::Clinic)
    }
}

/// The clinic with this domain.
pub async fn clinic(state: &AppState, domain: &str) -> Result<OrgRow, ClinicError> {
    let domain = domain.trim().to_lowercase();
    state.db.orgs().by_domain(&domain).await?.ok_or(ClinicError::NoSuchClinic(domain))
}

fn check_domain(raw: &str) -> Result<String, ClinicError> {
    let d = raw.trim().to_lowercase();
    let ok = !d.is_empty()
        && d.chars().count() <= MAX_DOMAIN_CHARS
        && d.contains('.')
        && d.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && d.split('.').all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
    if ok {
        Ok(d)
    } else {
        Err(ClinicError::BadDomain)
    }
}

/// Creates the clinic and its first administrator; the setup code is the only way in.
pub async fn create(state: &AppState, args: &ClinicCreateArgs) -> Result<(OrgRow, User, SetupCode), ClinicError> {
    let domain = check_domain(&args.domain)?;
    let name = validate_person_name(&args.name).map_err(|e| ClinicError::Input(format!("--name: {e}")))?;
    let email = normalise_email(&args.admin_email).map_err(|e| ClinicError::Input(format!("--admin-email: {e}")))?;
    let admin_name = validate_person_name(args.admin_name.as_deref().unwrap_or(&email))
        .map_err(|e| ClinicError::Input(format!("--admin-name: {e}")))?;
    if state.db.orgs().by_domain(&domain).await?.is_some() {
        return Err(ClinicError::DomainTaken(domain));
    }
    if state.db.users().by_email(&email).await?.is_some() {
        return Err(ClinicError::EmailTaken(email));
    }
    let now = state.now();
    let org_id = Uuid::new_v4();
    let admin = User { id: Uuid::new_v4(), name: admin_name, email, role: Role::Admin, org_id };
    let (code, stored) = new_setup_code(now);
    let events = [
        NewAuditEvent {
            org_id: Some(org_id),
            target_id: Some(org_id.to_string()),
            detail: Some(format!("{name} ({domain}) on the {} plan, by the operator", args.plan.as_str())),
            ..NewAuditEvent::new(AuditAction::ClinicCreated, AuditTarget::Clinic)
        },
        NewAuditEvent {
            org_id: Some(org_id),
            target_id: Some(admin.id.to_string()),
            detail: Some(format!("{} <{}> as admin, by the operator", admin.name, admin.email)),
            ..NewAuditEvent::new(AuditAction::StaffAdded, AuditTarget::User)
        },
    ];
    let clinic = NewClinic { name: &name, domain: &domain, plan: args.plan };
    match state.db.users().add_clinic_with_admin(&clinic, &admin, &stored, &events, now).await {
        Ok(()) => {}
        // Created by someone else between the checks and now.
        Err(e) if is_unique_violation(&e) => return Err(ClinicError::DomainTaken(domain)),
        Err(e) => return Err(e.into()),
    }
    let org = clinic_row(state, org_id).await?;
    Ok((org, admin, code))
}

async fn clinic_row(state: &AppState, id: Uuid) -> Result<OrgRow, ClinicError> {
    state.db.orgs().get(id).await?.ok_or_else(|| ClinicError::Other(anyhow::anyhow!("the clinic just written is gone")))
}

/// Gives a clinic limits of its own (or, with `--reset`, its plan's again).
pub async fn set_limits(state: &AppState, args: &ClinicSetLimitsArgs) -> Result<(OrgRow, PlanLimits), ClinicError> {
    let org = clinic(state, &args.domain).await?;
    if args.max_file.is_some_and(|m| m > MAX_FILE_BYTES_CEILING) {
        return Err(ClinicError::FileLimitTooLarge);
    }
    let to_i64 = |v: u64| i64::try_from(v).map_err(|_| ClinicError::Input(format!("{v} is too large")));
    let stored = if args.reset {
        StoredLimits::default()
    } else {
        StoredLimits {
            pool_bytes: args.pool.map(to_i64).transpose()?.or(org.stored.pool_bytes),
            max_file_bytes: args.max_file.map(to_i64).transpose()?.or(org.stored.max_file_bytes),
            max_files_per_visit: args.files_per_visit.map(i64::from).or(org.stored.max_files_per_visit),
        }
    };
    if org.plan == Plan::Basic && !args.reset {
        return Err(ClinicError::Input(format!(
            "{} is on the basic plan, which has no Documents; `clinic set-plan {} professional` first",
            org.domain, org.domain
        )));
    }
    let limits = stored.over(state.plan_defaults(org.plan));
    let event = operator_event(org.id, format!("limits: {}", describe(limits)));
    state.db.orgs().set_plan(org.id, org.plan, stored, &event, state.now()).await?;
    Ok((clinic_row(state, org.id).await?, limits))
}

/// The administrator changes the clinic's settings; the answer is the clinic as `/me` shows it.
pub async fn change_settings(state: &AppState, caller: &Caller, patch: &ClinicPatch) -> ApiResult<Org> {
    let target = (AuditTarget::Clinic, Some(caller.org_id().to_string()));
    caller.check(state, Action::ManageStaff, None, false, target).await?;
    if let Some(m) = patch.session_idle_minutes {
        if !IDLE_MINUTES.contains(&m) {
            return Err(ApiError::BadRequest(format!(
                "Choose an idle timeout between {} and {} minutes.",
                IDLE_MINUTES.start(),
                IDLE_MINUTES.end()
            )));
        }
        let mut event =
            caller.event(AuditAction::ClinicChanged, AuditTarget::Clinic, Some(caller.org_id().to_string()));
        event.detail = Some(format!("session_idle_minutes={m}"));
        state.db.orgs().set_session_idle_minutes(caller.org_id(), m, &event, state.now()).await?;
    }
    let org = state.db.orgs().get(caller.org_id()).await?.ok_or(ApiError::NotFound("Clinic"))?;
    Ok(org.to_api(state.limits(&org)))
}
