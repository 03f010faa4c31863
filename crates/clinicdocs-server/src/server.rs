//! Starting the server: open the database and store, optionally seed demo data, bind, print
//! `listening on http://ADDR:PORT`, serve until SIGINT/SIGTERM.

use crate::config::{CommonArgs, ServeArgs, StorageConfig};
use crate::db::Db;
use crate::routes::app;
use crate::session_reads::SessionReads;
use crate::state::{AppState, Clock};
use crate::storage::{signing_key, Storage};
use anyhow::Context;
use std::io::Write;
use std::time::Duration;

/// The longest lifetime S3 and R2 accept for a presigned URL (seven days).
const MAX_PRESIGN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Opens database and storage from the common flags.
pub async fn open(common: &CommonArgs, base_url: String) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(&common.data_dir)
        .with_context(|| format!("cannot create data folder {}", common.data_dir.display()))?;
    let storage_cfg = common.storage()?;
    // S3 and R2 refuse presigned URLs valid for more than seven days.
    if common.signed_url_ttl() > MAX_PRESIGN_TTL || common.signed_url_ttl().is_zero() {
        anyhow::bail!("CLINICDOCS_SIGNED_URL_TTL_SECS must be between 1 second and 7 days");
    }
    let db = Db::connect_as(&common.database_url(), common.database_owner_url().as_deref())
        .await
        .context("cannot open the database")?;
    let secret = signing_key(&common.data_dir)?;
    let sharing = std::sync::Arc::new(crate::config::SharingConfig::none(base_url.clone()));
    let link_secret = match storage_cfg {
        StorageConfig::Local { .. } => secret.clone(),
        _ => Vec::new(),
    };
    let storage = Storage::open(&storage_cfg, link_secret, base_url)?;
    let spool_dir = common.data_dir.join("spool");
    std::fs::create_dir_all(&spool_dir)?;
    Ok(AppState {
        sessions: SessionReads::new(db.clone()),
        db,
        storage,
        professional: common.professional_limits(),
        signed_url_ttl: common.signed_url_ttl(),
        spool_dir,
        clock: Clock::from_env(),
        list_cache: Default::default(),
        sign_ins: std::sync::Arc::new(crate::sign_ins::SignIns::new(common.signin_pause())),
        sharing,
        secret: secret.into(),
        pdf_thumbnails: Default::default(),
    })
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    if args.demo && !args.listen.ip().is_loopback() {
        anyhow::bail!(
            "--demo serves well-known passwords, so it only listens on loopback (e.g. 127.0.0.1:8080), not {}",
            args.listen
        );
    }
    if !args.listen.ip().is_loopback() && args.public_url.as_deref().is_none_or(|u| u.trim().is_empty()) {
        anyhow::bail!(
            "listening on {} (beyond loopback) needs --public-url (or CLINICDOCS_PUBLIC_URL): the https:// address \
             clients reach this server at, which signed links point to",
            args.listen
        );
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let base_url = args.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let sharing = args.sharing(base_url.clone())?;
    let mut state = open(&args.common, base_url).await?;
    if sharing.mailer.is_none() {
        tracing::info!("no mail server (CLINICDOCS_SMTP_URL): documents cannot be shared until one is set");
    }
    state.sharing = std::sync::Arc::new(sharing);
    if state.db.dialect == crate::db::Dialect::Postgres {
        let p = crate::db::roles::audit_protection(&state.db.pool).await?;
        for h in &p.holes {
            tracing::warn!(role = %p.role, "the server's database role can change the audit log: {h} (see the README, \"PostgreSQL roles\")");
        }
        // Asked to run with separate roles, it does not run without them.
        if args.common.database_owner_url().is_some() && !p.holes.is_empty() {
            anyhow::bail!(
                "DATABASE_OWNER_URL is set, yet the server's role {} can change the audit log: {} (see the README, \
                 \"PostgreSQL roles\"; the tables must belong to the owner role)",
                p.role,
                p.holes.join("; ")
            );
        }
    }
    if args.demo {
        let logins = crate::demo::seed(&state).await?;
        println!("demo data ready; every password is `demo`:");
        for l in logins {
            println!("  {l}");
        }
    }
    if let Some(lib) = crate::drawing::configure(args.pdfium.clone()) {
        tracing::info!(library = %lib.display(), "PDF pages are drawn (thumbnails, the sharing portal)");
    }
    crate::pdf_thumbnails::start(state.clone());
    println!("listening on http://{addr}");
    std::io::stdout().flush()?;
    let proxies = crate::client_addr::TrustedProxies::new(&args.trusted_proxies);
    crate::connections::serve(listener, app(state), args.connection_limits(), proxies, shutdown()).await?;
    Ok(())
}

async fn shutdown() {
    let term = async {
        #[cfg(unix)]
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
