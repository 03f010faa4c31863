//! All configuration, from command-line flags and environment variables, in one place.

use clap::{Args, Parser, Subcommand};
use clinicdocs_core::limits::{Plan, PlanLimits, GIB, KIB, MIB, SHARE_LINK_TTL, SIGNED_URL_TTL};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(name = "clinicdocs-server", version, about = "Clinic Documents API server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API server.
    Serve(ServeArgs),
    /// Report stored objects without a document, and documents whose object is missing.
    Orphans(OrphansArgs),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Set up clinics: create one with its first administrator, list them, change plans and limits.
    #[command(subcommand)]
    Clinic(ClinicCommand),
    /// (Internal) Draw one page of the PDF on stdin as a JPEG on stdout: the child process
    /// the server draws PDF pages in (`drawing`).
    #[command(hide = true)]
    DrawPdfPage(DrawPdfPageArgs),
    /// (Internal) Draw the HEIC photo on stdin as a JPEG on stdout: the child process the
    /// server decodes HEIC photos in (`drawing`).
    #[command(hide = true)]
    DrawPhoto(DrawPhotoArgs),
}

#[derive(Debug, Args)]
pub struct DrawPhotoArgs {
    /// Pixels on the longest side (a smaller photo keeps its size).
    #[arg(long)]
    pub long_edge: u32,
    /// JPEG quality, 1–100.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub quality: u8,
}

#[derive(Debug, Args)]
pub struct DrawPdfPageArgs {
    /// The libpdfium shared library to bind.
    #[arg(long)]
    pub library: PathBuf,
    /// The page, from 1.
    #[arg(long, default_value_t = 1)]
    pub page: u16,
    /// Pixels wide.
    #[arg(long, conflicts_with = "long_edge")]
    pub width: Option<u32>,
    /// Pixels on the longest side.
    #[arg(long)]
    pub long_edge: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum ClinicCommand {
    /// Create a clinic and its first administrator, and print the one-time setup code (valid
    /// 24 hours) with which that administrator chooses a password.
    Create(ClinicCreateArgs),
    /// List the clinics: domain, plan, limits, active staff.
    List(ClinicListArgs),
    /// Change a clinic's plan; its limits become the new plan's defaults.
    SetPlan(ClinicSetPlanArgs),
    /// Give a clinic limits of its own (sizes like 20GB, 25MB or a number of bytes).
    SetLimits(ClinicSetLimitsArgs),
    /// Print a new one-time setup code for a staff member (the earlier ones stop working): for
    /// an administrator who lost theirs, when no other administrator can issue one.
    SetupCode(ClinicSetupCodeArgs),
}

#[derive(Debug, Args)]
pub struct ClinicCreateArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The clinic's name as staff and recipients see it.
    #[arg(long)]
    pub name: String,
    /// The clinic's domain, which names it for the operator (e.g. northside-clinic.org).
    #[arg(long)]
    pub domain: String,
    #[arg(long, value_parser = parse_plan)]
    pub plan: Plan,
    /// The first administrator's email; they sign in with it.
    #[arg(long)]
    pub admin_email: String,
    /// The first administrator's full name (default: their email).
    #[arg(long)]
    pub admin_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ClinicListArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct ClinicSetPlanArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    pub domain: String,
    #[arg(value_parser = parse_plan)]
    pub plan: Plan,
}

#[derive(Debug, Args)]
pub struct ClinicSetLimitsArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    pub domain: String,
    /// The clinic's storage pool.
    #[arg(long, value_parser = parse_size)]
    pub pool: Option<u64>,
    /// The largest file (at most 1GB).
    #[arg(long, value_parser = parse_size)]
    pub max_file: Option<u64>,
    /// Documents per visit.
    #[arg(long)]
    pub files_per_visit: Option<u32>,
    /// Forget the clinic's own limits: the plan's defaults apply again.
    #[arg(long, conflicts_with_all = ["pool", "max_file", "files_per_visit"])]
    pub reset: bool,
}

#[derive(Debug, Args)]
pub struct ClinicSetupCodeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The staff member's email.
    pub email: String,
}

/// A command-line value that does not read as what it names.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArgError {
    #[error("unknown plan {0:?}: use professional or basic")]
    Plan(String),
    #[error("{0:?} is not a size: write it like 20GB, 25MB or 1048576")]
    Size(String),
    #[error("{0:?} is too large")]
    SizeTooLarge(String),
}

fn parse_plan(s: &str) -> Result<Plan, ArgError> {
    Plan::parse(&s.trim().to_lowercase()).ok_or_else(|| ArgError::Plan(s.to_string()))
}

/// A size as people write it: `20GB`, `25 MB`, `512KB`, or bytes (`1048576`). The units are
/// the ones the app shows sizes in (1 GB = 1024 MB).
pub fn parse_size(s: &str) -> Result<u64, ArgError> {
    let t = s.trim().to_uppercase().replace(' ', "");
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let unit = match unit {
        "" | "B" => 1,
        "KB" | "K" | "KIB" => KIB,
        "MB" | "M" | "MIB" => MIB,
        "GB" | "G" | "GIB" => GIB,
        "TB" | "T" | "TIB" => 1024 * GIB,
        _ => return Err(ArgError::Size(s.to_string())),
    };
    let n: u64 = digits.parse().map_err(|_| ArgError::Size(s.to_string()))?;
    n.checked_mul(unit).ok_or_else(|| ArgError::SizeTooLarge(s.to_string()))
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// SQLite: check every row's seal and the chain linking them, naming the first row
    /// changed, removed or slipped in. PostgreSQL: check that the server's role may only
    /// add and read audit rows. Exits non-zero when the log is not safe.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// SQLite: a seal noted from an earlier run (`EVENT:HASH`, as it printed the head); the
    /// chain must still pass through it, or the log up to it was rewritten.
    #[arg(long, value_name = "EVENT:HASH")]
    pub expect: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "CLINICDOCS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Seed demo clinics, users (password `demo`) and patients. Loopback only.
    #[arg(long)]
    pub demo: bool,
    /// Base URL that signed local-file links point at (default: `http://<listen address>`).
    #[arg(long, env = "CLINICDOCS_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seconds a client may send nothing while the server waits for its request headers or
    /// body, or read nothing while the server writes its answer; then the connection is cut (a
    /// stalled upload fails and stores nothing).
    #[arg(long, env = "CLINICDOCS_CLIENT_IDLE_SECS", default_value_t = 30)]
    pub client_idle_secs: u64,
    /// Connections one client address may hold open at once (raise it behind a reverse proxy,
    /// whose connections all come from one address).
    #[arg(long, env = "CLINICDOCS_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 512)]
    pub max_connections_per_address: usize,
    /// Connections the server holds open at once, from all addresses together (each costs a
    /// file descriptor and some memory; one more is answered `503` and closed).
    #[arg(long, env = "CLINICDOCS_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// Seconds shutdown (SIGTERM, Ctrl-C) waits for requests in flight, e.g. uploads arriving.
    #[arg(long, env = "CLINICDOCS_SHUTDOWN_GRACE_SECS", default_value_t = 120)]
    pub shutdown_grace_secs: u64,
    /// Reverse proxies (comma-separated addresses) whose `X-Forwarded-For` names the client:
    /// sign-in pauses and the audit log then see each client's own address, not the proxy's.
    #[arg(long, env = "CLINICDOCS_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,
    /// The mail server share emails go through: `smtp://host:25`, `smtp://host:587?tls=required`
    /// or `smtps://user:password@host`. Without it nothing can be shared.
    #[arg(long, env = "CLINICDOCS_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The address share emails come from (they carry the clinic's name).
    #[arg(long, env = "CLINICDOCS_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Seconds a share link works if nobody opens it (once opened, it works until revoked).
    #[arg(long, env = "CLINICDOCS_SHARE_UNUSED_TTL_SECS", default_value_t = SHARE_LINK_TTL.as_secs())]
    pub share_unused_ttl_secs: u64,
    /// An SMS gateway for the portal's one-time codes: this URL is sent JSON `{to, text}` per
    /// message (https, or http to this machine). With it (or `--sms-file`) a clinic can ask
    /// recipients for a code.
    #[arg(long, env = "CLINICDOCS_SMS_WEBHOOK", hide_env_values = true)]
    pub sms_webhook: Option<String>,
    /// Instead of a gateway, write each text message as a JSON file `{to, text}` into this
    /// folder (for tests and evaluation).
    #[arg(long, env = "CLINICDOCS_SMS_FILE")]
    pub sms_file: Option<PathBuf>,
    /// The libpdfium shared library (`libpdfium.so`) PDF pages are drawn with, for PDF
    /// thumbnails and the sharing portal's pages (default: one beside this program). Without
    /// one, PDFs get no server thumbnail and the portal hands them to the browser's viewer.
    #[arg(long, env = "CLINICDOCS_PDFIUM")]
    pub pdfium: Option<PathBuf>,
}

/// Whether emailed links under `base` keep their secret off the wire: `https://`, or plain
/// `http://` to this machine only.
fn safe_for_links(base: &str) -> bool {
    url::Url::parse(base).is_ok_and(|u| safe_for_secrets(&u))
}

/// Whether a secret sent to `u` stays off the wire: `https://`, or plain `http://` to this
/// machine only.
pub fn safe_for_secrets(u: &url::Url) -> bool {
    match u.scheme() {
        "https" => true,
        "http" => match u.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// How shares reach their recipients.
#[derive(Clone)]
pub struct SharingConfig {
    /// `None`: this server sends no email, so nothing can be shared.
    pub mailer: Option<crate::mail::Mailer>,
    /// The base URL portal links start with (the server's public URL).
    pub portal_base: String,
    /// How long a link works unopened.
    pub unused_ttl: Duration,
    /// `None`: no SMS gateway, so clinics cannot ask recipients for a code.
    pub sms: Option<std::sync::Arc<dyn crate::sms::SmsGateway>>,
}

/// Why the sharing settings cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum SharingConfigError {
    #[error(transparent)]
    Mail(#[from] crate::mail::MailConfigError),
    #[error(transparent)]
    Sms(#[from] crate::sms::SmsConfigError),
}

impl SharingConfig {
    /// Whether the portal's pass cookies need `Secure`: everywhere but plain http on loopback.
    pub fn secure_cookies(&self) -> bool {
        !self.portal_base.starts_with("http://")
    }
}

impl SharingConfig {
    /// No mail server: nothing can be shared.
    pub fn none(portal_base: String) -> SharingConfig {
        SharingConfig { mailer: None, portal_base, unused_ttl: SHARE_LINK_TTL, sms: None }
    }
}

impl ServeArgs {
    /// The sharing settings, with portal links under `portal_base`.
    pub fn sharing(&self, portal_base: String) -> Result<SharingConfig, SharingConfigError> {
        let mailer = match self.smtp_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Some(crate::mail::Mailer::new(url, self.mail_from.as_deref())?),
            None => None,
        };
        if mailer.is_some() && !safe_for_links(&portal_base) {
            return Err(crate::mail::MailConfigError::PlainLinks(portal_base).into());
        }
        let sms = sms_gateway(self.sms_webhook.as_deref(), self.sms_file.as_deref())?;
        let unused_ttl = Duration::from_secs(self.share_unused_ttl_secs.clamp(1, 30 * 24 * 3600));
        Ok(SharingConfig { mailer, portal_base: portal_base.trim_end_matches('/').to_string(), unused_ttl, sms })
    }
}

/// The SMS gateway the settings name, if any.
fn sms_gateway(
    webhook: Option<&str>,
    folder: Option<&std::path::Path>,
) -> Result<Option<std::sync::Arc<dyn crate::sms::SmsGateway>>, crate::sms::SmsConfigError> {
    use crate::sms::{FileSink, SmsConfigError, Webhook};
    let webhook = webhook.map(str::trim).filter(|w| !w.is_empty());
    let folder = folder.filter(|f| !f.as_os_str().is_empty());
    Ok(match (webhook, folder) {
        (Some(_), Some(_)) => return Err(SmsConfigError::Both),
        (Some(w), None) => {
            // The error names the fault, not the URL (it may carry a key).
            let url = url::Url::parse(w).map_err(|e| SmsConfigError::Webhook(e.to_string()))?;
            if !safe_for_secrets(&url) {
                return Err(SmsConfigError::Webhook(format!("this one is {}:// to another machine", url.scheme())));
            }
            Some(std::sync::Arc::new(Webhook::new(url)?))
        }
        (None, Some(f)) => Some(std::sync::Arc::new(FileSink::new(f.to_path_buf())?)),
        (None, None) => None,
    })
}

/// The longest idle limit or shutdown grace taken (an hour); larger settings are cut to it.
const MAX_WAIT_SECS: u64 = 3600;

impl ServeArgs {
    pub fn connection_limits(&self) -> crate::connections::ConnectionLimits {
        crate::connections::ConnectionLimits {
            idle: Duration::from_secs(self.client_idle_secs.clamp(1, MAX_WAIT_SECS)),
            per_address: self.max_connections_per_address.max(1),
            total: self.max_connections.max(1),
            grace: Duration::from_secs(self.shutdown_grace_secs.min(MAX_WAIT_SECS)),
        }
    }
}

#[derive(Debug, Args)]
pub struct OrphansArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Remove the orphaned objects (documents with missing objects are only reported).
    #[arg(long)]
    pub delete: bool,
    /// Leave objects younger than this alone: an upload or batch being stored writes its
    /// objects before its rows, so a fresh object without a row is not yet an orphan.
    #[arg(long, default_value_t = 3600)]
    pub grace_secs: u64,
}

#[derive(Debug, Args, Clone)]
pub struct CommonArgs {
    /// Folder for the embedded SQLite database, local object store and signing key.
    #[arg(long, env = "CLINICDOCS_DATA_DIR", default_value = "clinicdocs-data")]
    pub data_dir: PathBuf,
    /// `sqlite:…` or `postgres://…`; default: a SQLite file in the data folder.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// PostgreSQL: the owner role's URL. Migrations run as it, and it grants the role of
    /// DATABASE_URL no more than the server needs (audit rows: add and read only).
    #[arg(long, env = "DATABASE_OWNER_URL", hide_env_values = true)]
    pub database_owner_url: Option<String>,
    /// Where document bytes live.
    #[arg(long, env = "STORAGE_TYPE", value_enum, default_value = "local")]
    pub storage_type: StorageType,
    #[arg(long, env = "S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    #[arg(long, env = "S3_BUCKET")]
    pub s3_bucket: Option<String>,
    #[arg(long, env = "S3_REGION", default_value = "auto")]
    pub s3_region: String,
    #[arg(long, env = "S3_ACCESS_KEY_ID", hide_env_values = true)]
    pub s3_access_key_id: Option<String>,
    #[arg(long, env = "S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,
    #[arg(long, env = "GCS_BUCKET")]
    pub gcs_bucket: Option<String>,
    /// Path of a Google service-account JSON file.
    #[arg(long, env = "GOOGLE_SERVICE_ACCOUNT")]
    pub gcs_service_account: Option<PathBuf>,
    /// Professional plan: clinic storage pool in bytes.
    #[arg(long, env = "CLINICDOCS_POOL_BYTES")]
    pub pool_bytes: Option<u64>,
    /// Professional plan: largest file in bytes.
    #[arg(long, env = "CLINICDOCS_MAX_FILE_BYTES")]
    pub max_file_bytes: Option<u64>,
    /// Professional plan: documents per visit.
    #[arg(long, env = "CLINICDOCS_MAX_FILES_PER_VISIT")]
    pub max_files_per_visit: Option<u32>,
    /// Lifetime of signed download links, in seconds.
    #[arg(long, env = "CLINICDOCS_SIGNED_URL_TTL_SECS")]
    pub signed_url_ttl_secs: Option<u64>,
    /// The first pause after a burst of failed sign-ins, in seconds (each next one doubles).
    #[arg(long, env = "CLINICDOCS_SIGNIN_PAUSE_SECS", default_value_t = 30)]
    pub signin_pause_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StorageType {
    Local,
    S3,
    Gcs,
}

/// Where bytes are stored, resolved from the flags.
#[derive(Debug, Clone)]
pub enum StorageConfig {
    Local { root: PathBuf },
    S3 { endpoint: Option<String>, bucket: String, region: String, access_key_id: String, secret_access_key: String },
    Gcs { bucket: String, service_account: Option<PathBuf> },
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("STORAGE_TYPE={0} needs {1}")]
    Missing(&'static str, &'static str),
}

impl CommonArgs {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("clinicdocs.db").display()))
    }

    /// The owner role's URL, when one is set.
    pub fn database_owner_url(&self) -> Option<String> {
        self.database_owner_url.clone().filter(|u| !u.trim().is_empty())
    }

    pub fn storage(&self) -> Result<StorageConfig, ConfigError> {
        Ok(match self.storage_type {
            StorageType::Local => StorageConfig::Local { root: self.data_dir.join("objects") },
            StorageType::S3 => StorageConfig::S3 {
                endpoint: self.s3_endpoint.clone(),
                bucket: self.s3_bucket.clone().ok_or(ConfigError::Missing("s3", "S3_BUCKET"))?,
                region: self.s3_region.clone(),
                access_key_id: self.s3_access_key_id.clone().ok_or(ConfigError::Missing("s3", "S3_ACCESS_KEY_ID"))?,
                secret_access_key: self
                    .s3_secret_access_key
                    .clone()
                    .ok_or(ConfigError::Missing("s3", "S3_SECRET_ACCESS_KEY"))?,
            },
            StorageType::Gcs => StorageConfig::Gcs {
                bucket: self.gcs_bucket.clone().ok_or(ConfigError::Missing("gcs", "GCS_BUCKET"))?,
                service_account: self.gcs_service_account.clone(),
            },
        })
    }

    /// The Professional plan's limits with any overrides applied.
    pub fn professional_limits(&self) -> PlanLimits {
        let d = PlanLimits::PROFESSIONAL;
        PlanLimits {
            documents_enabled: true,
            pool_bytes: self.pool_bytes.unwrap_or(d.pool_bytes),
            max_file_bytes: self.max_file_bytes.unwrap_or(d.max_file_bytes),
            max_files_per_visit: self.max_files_per_visit.unwrap_or(d.max_files_per_visit),
        }
    }

    pub fn signin_pause(&self) -> Duration {
        Duration::from_secs(self.signin_pause_secs.max(1))
    }

    pub fn signed_url_ttl(&self) -> Duration {
        self.signed_url_ttl_secs.map(Duration::from_secs).unwrap_or(SIGNED_URL_TTL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_plans_read_as_people_write_them() {
        assert_eq!(parse_size("20GB"), Ok(20 * GIB));
        assert_eq!(parse_size(" 25 mb "), Ok(25 * MIB));
        assert_eq!(parse_size("1048576"), Ok(MIB));
        assert_eq!(parse_size("lots"), Err(ArgError::Size("lots".into())));
        assert_eq!(parse_size("99999999999TB"), Err(ArgError::SizeTooLarge("99999999999TB".into())));
        assert_eq!(parse_plan("Professional"), Ok(Plan::Professional));
        assert_eq!(parse_plan("gold"), Err(ArgError::Plan("gold".into())));
    }

    #[test]
    fn emailed_links_go_out_over_https_unless_they_stay_on_this_machine() {
        for ok in
            ["https://docs.example-clinic.org", "http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:9"]
        {
            assert!(safe_for_links(ok), "{ok}");
        }
        for bad in ["http://docs.example-clinic.org", "http://192.168.1.20:8080", "ftp://x", "not a url"] {
            assert!(!safe_for_links(bad), "{bad}");
        }
    }

    #[test]
    fn an_sms_webhook_must_keep_codes_off_the_wire_unless_it_is_on_this_machine() {
        use crate::sms::SmsConfigError;
        assert!(matches!(sms_gateway(Some("https://sms.example.org/send?key=k"), None), Ok(Some(_))));
        assert!(matches!(sms_gateway(Some("http://127.0.0.1:9000/sms"), None), Ok(Some(_))));
        assert!(matches!(sms_gateway(Some("http://sms.example.org/send"), None), Err(SmsConfigError::Webhook(_))));
        assert!(matches!(sms_gateway(Some("not a url"), None), Err(SmsConfigError::Webhook(_))));
        let dir = tempfile::tempdir().expect("dir");
        assert!(matches!(sms_gateway(Some("https://sms.example.org"), Some(dir.path())), Err(SmsConfigError::Both)));
        assert!(matches!(sms_gateway(Some("  "), None), Ok(None)));
    }
}
