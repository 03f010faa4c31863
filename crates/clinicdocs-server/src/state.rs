//! Shared server state handed to every route, and the clock (time is passed into logic,
//! never read inside it, so tests can move it).

use crate::db::audit::NewAuditEvent;
use crate::db::orgs::OrgRow;
use crate::db::Db;
use crate::error::ApiResult;
use crate::storage::Storage;
use chrono::{DateTime, Utc};
use clinicdocs_core::limits::{Plan, PlanLimits};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where "now" comes from.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(Utc::now))
    }
    pub fn fixed(f: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(f))
    }
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }

    /// The system clock. In debug builds (the API suite's) it runs ahead by the seconds written
    /// in the file `CLINICDOCS_CLOCK_OFFSET_FILE` names, so a story can let hours pass.
    pub fn from_env() -> Clock {
        #[cfg(debug_assertions)]
        if let Some(path) = std::env::var_os("CLINICDOCS_CLOCK_OFFSET_FILE") {
            return Clock::fixed(move || {
                let secs = std::fs::read_to_string(&path).ok().and_then(|s| s.trim().parse::<i64>().ok()).unwrap_or(0);
                Utc::now() + chrono::Duration::seconds(secs)
            });
        }
        Clock::system()
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub storage: Storage,
    /// The Professional plan as configured (overrides applied).
    pub professional: PlanLimits,
    pub signed_url_ttl: Duration,
    /// Where uploads are spooled while they are checked.
    pub spool_dir: PathBuf,
    pub clock: Clock,
    /// Listing pages by caller and query, valid at the clinic's document version.
    pub list_cache: std::sync::Arc<crate::list_cache::ListCache>,
    /// Every request's session read, batched under load.
    pub sessions: crate::session_reads::SessionReads,
    /// Failed sign-ins counted, and password checks a few at a time.
    pub sign_ins: Arc<crate::sign_ins::SignIns>,
    /// How shares reach their recipients (mail server, portal links).
    pub sharing: Arc<crate::config::SharingConfig>,
    /// The server's secret key (`CLINICDOCS_SIGNING_KEY`, else `signing.key` in the data
    /// folder): it signs local file links and keys the stored hashes of texted codes.
    pub secret: Arc<[u8]>,
    /// Nudged after uploads commit: PDFs may be waiting for their tiles (`pdf_thumbnails`).
    pub pdf_thumbnails: Arc<tokio::sync::Notify>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The server's default limits for `plan` (the Professional figures as configured).
    pub fn plan_defaults(&self, plan: Plan) -> PlanLimits {
        match plan {
            Plan::Professional => self.professional,
            Plan::Basic => PlanLimits::BASIC,
        }
    }

    /// The limits a clinic works under: its own where set, else its plan's defaults.
    pub fn limits(&self, org: &OrgRow) -> PlanLimits {
        org.stored.over(self.plan_defaults(org.plan))
    }

    /// Appends an audit event stamped with the current time.
    pub async fn audit(&self, e: NewAuditEvent) -> ApiResult<()> {
        self.db.audit().append(&e, self.now()).await?;
        Ok(())
    }
}
