//! `clinicdocs-server clinic create | list | set-plan | set-limits | setup-code`: the operator's
//! commands over [`crate::clinics`], on the same database and store settings as `serve`.

use crate::clinics::{clinic, create, describe, operator_event, set_limits, ClinicError};
use crate::config::ClinicCommand;
use crate::db::audit::NewAuditEvent;
use crate::db::orgs::StoredLimits;
use crate::server::open;
use crate::staff::new_setup_code;
use clinicdocs_core::api::SetupCode;
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::credentials::normalise_email;
use clinicdocs_core::limits::format_bytes;

/// Runs one `clinic` subcommand and prints what it did.
pub async fn run(cmd: ClinicCommand) -> anyhow::Result<()> {
    match cmd {
        ClinicCommand::Create(args) => {
            let state = open(&args.common, String::new()).await?;
            let (org, admin, code) = create(&state, &args).await?;
            println!("Created the clinic {:?} ({}) on the {} plan.", org.name, org.domain, org.plan.as_str());
            print_code(&admin.email, &code);
        }
        ClinicCommand::List(args) => {
            let state = open(&args.common, String::new()).await?;
            println!(
                "{:<32} {:<13} {:>10} {:>10} {:>9} {:>6}  NAME",
                "DOMAIN", "PLAN", "POOL", "PER FILE", "PER VISIT", "STAFF"
            );
            for (org, staff) in state.db.orgs().all().await? {
                let l = state.limits(&org);
                let own = if org.stored == StoredLimits::default() { "" } else { " (own limits)" };
                println!(
                    "{:<32} {:<13} {:>10} {:>10} {:>9} {:>6}  {}{own}",
                    org.domain,
                    org.plan.as_str(),
                    format_bytes(l.pool_bytes),
                    format_bytes(l.max_file_bytes),
                    l.max_files_per_visit,
                    staff,
                    org.name
                );
            }
        }
        ClinicCommand::SetPlan(args) => {
            let state = open(&args.common, String::new()).await?;
            let org = clinic(&state, &args.domain).await?;
            let event = operator_event(org.id, format!("plan={} limits=plan defaults", args.plan.as_str()));
            state.db.orgs().set_plan(org.id, args.plan, StoredLimits::default(), &event, state.now()).await?;
            let l = state.plan_defaults(args.plan);
            println!("{} is on the {} plan now, with its limits: {}.", org.domain, args.plan.as_str(), describe(l));
        }
        ClinicCommand::SetLimits(args) => {
            let state = open(&args.common, String::new()).await?;
            let (org, limits) = set_limits(&state, &args).await?;
            println!("{} works under these limits now: {}.", org.domain, describe(limits));
        }
        ClinicCommand::SetupCode(args) => {
            let state = open(&args.common, String::new()).await?;
            let email = normalise_email(&args.email).map_err(|e| ClinicError::Input(e.to_string()))?;
            let account = state.db.users().by_email(&email).await?.ok_or(ClinicError::NoSuchStaff(email.clone()))?;
            if !account.active() {
                return Err(ClinicError::StaffInactive(email).into());
            }
            let now = state.now();
            let (code, stored) = new_setup_code(now);
            let event = NewAuditEvent {
                org_id: Some(account.user.org_id),
                target_id: Some(account.user.id.to_string()),
                detail: Some("by the operator (clinicdocs-server clinic setup-code)".into()),
                ..NewAuditEvent::new(AuditAction::SetupCodeIssued, AuditTarget::User)
            };
            state.db.users().renew_setup_code(account.user.org_id, None, account.user.id, &stored, &event, now).await?;
            print_code(&email, &code);
        }
    }
    Ok(())
}

fn print_code(email: &str, code: &SetupCode) {
    println!();
    println!("{email} chooses a password in the app (\"First sign-in\") with this one-time setup code,");
    println!(
        "valid until {} (UTC). Hand it over in person or by phone; it is not shown again:",
        code.expires_at.format("%Y-%m-%d %H:%M")
    );
    println!();
    println!("    {}", code.code);
    println!();
}
