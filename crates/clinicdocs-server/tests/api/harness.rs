//! Test harness: starts the real `clinicdocs-server` binary on a loopback port with demo data,
//! on SQLite + local files or on PostgreSQL + an S3 server (s3s-fs, which checks SigV4), and
//! gives each test a typed HTTP client. Servers are killed when the test ends.

use clinicdocs_core::api::{Document, LoginResponse, Patient, StorageUsage};
use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum Backend {
    SqliteLocal,
    PostgresS3(PgS3),
}

#[derive(Debug, Clone)]
pub struct PgS3 {
    /// Server URL without a database name, e.g. `postgres://postgres@127.0.0.1:5433`.
    pub pg_base: String,
    pub s3_endpoint: String,
    /// The folder s3s-fs serves; a bucket is a sub-folder.
    pub s3_root: PathBuf,
    pub s3_access_key: String,
    pub s3_secret_key: String,
}

impl Backend {
    /// The PostgreSQL + S3 backend when the test script started them; otherwise `None` with a
    /// message, or a failure when `CLINICDOCS_TEST_REQUIRE_ALL=1` (as the full test command sets).
    pub fn postgres_s3() -> Option<Backend> {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        match (get("CLINICDOCS_TEST_PG"), get("CLINICDOCS_TEST_S3_ENDPOINT"), get("CLINICDOCS_TEST_S3_ROOT")) {
            (Some(pg_base), Some(s3_endpoint), Some(root)) => Some(Backend::PostgresS3(PgS3 {
                pg_base,
                s3_endpoint,
                s3_root: PathBuf::from(root),
                s3_access_key: get("CLINICDOCS_TEST_S3_ACCESS_KEY").unwrap_or_else(|| "testkey".into()),
                s3_secret_key: get("CLINICDOCS_TEST_S3_SECRET_KEY").unwrap_or_else(|| "testsecret".into()),
            })),
            _ => {
                if std::env::var("CLINICDOCS_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1") {
                    panic!("PostgreSQL + S3 backend required but CLINICDOCS_TEST_PG / CLINICDOCS_TEST_S3_* are not set; run scripts/test.sh");
                }
                eprintln!("skipped: PostgreSQL + S3 backend not configured (scripts/test.sh starts it)");
                None
            }
        }
    }

    pub fn is_s3(&self) -> bool {
        matches!(self, Backend::PostgresS3(_))
    }
}

/// Overrides for one server.
#[derive(Debug, Clone, Default)]
pub struct Opts {
    pub pool_bytes: Option<u64>,
    pub max_file_bytes: Option<u64>,
    pub url_ttl_secs: Option<u64>,
    /// Keep the server's log (info level) in its data folder, for [`TestServer::server_log`].
    pub log: bool,
    /// More environment for the server.
    pub env: Vec<(String, String)>,
    /// The first upload's commit reaches the database but its answer is lost: on PostgreSQL a
    /// loopback proxy in front of it drops the connection right after the commit's statement
    /// went through; on SQLite the server's injected fault (debug builds) reports the commit
    /// failed after it committed.
    pub cut_after_commit: bool,
    /// The server's clock can be moved forward ([`TestServer::advance_clock`]).
    pub movable_clock: bool,
    /// Share emails go to a real SMTP server on loopback ([`TestServer::mail`]).
    pub mail: bool,
    /// Text messages go to the server's file sink ([`TestServer::texts`]).
    pub sms: bool,
}

pub struct TestServer {
    pub url: String,
    _child: Child,
    pub data_dir: tempfile::TempDir,
    /// Environment the server was started with (for running other subcommands alike).
    pub env: Vec<(String, String)>,
    /// Folder holding every stored object of this server.
    pub objects_dir: PathBuf,
    pub database_url: String,
    pub http: reqwest::Client,
    /// The SMTP server share emails went to (with `Opts { mail: true }`).
    pub mail: Option<crate::mail::SmtpSink>,
}

pub fn server_bin() -> &'static str {
    env!("CARGO_BIN_EXE_clinicdocs-server")
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, Opts::default()).await
    }

    pub async fn start_with(backend: Backend, opts: Opts) -> TestServer {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let mut env: Vec<(String, String)> = vec![("RUST_LOG".into(), "warn".into())];
        let (objects_dir, database_url) = match &backend {
            Backend::SqliteLocal => (
                data_dir.path().join("objects"),
                format!("sqlite://{}", data_dir.path().join("clinicdocs.db").display()),
            ),
            Backend::PostgresS3(p) => {
                let name = format!("cd_{}", Uuid::new_v4().simple());
                let admin = sqlx::PgPool::connect(&format!("{}/postgres", p.pg_base))
                    .await
                    .expect("connect to test PostgreSQL");
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.expect("create database");
                // As a clinic should run it: migrations as the owner (the test superuser), the
                // server as a role of its own that the server grants itself no more than it needs.
                let role = format!("srv_{name}");
                sqlx::query(&format!("CREATE ROLE {role} LOGIN")).execute(&admin).await.expect("create role");
                admin.close().await;
                // s3s-fs keeps per-upload metadata in a file named after base64(bucket + key);
                // with our ~130-character keys that name only fits 255 bytes when the bucket
                // name is 3 characters, so each server gets a fresh 3-character bucket.
                let (bucket, objects) = loop {
                    let b: String = Uuid::new_v4().simple().to_string().chars().take(3).collect();
                    let dir = p.s3_root.join(&b);
                    if std::fs::create_dir(&dir).is_ok() {
                        break (b, dir);
                    }
                };
                let (scheme, upstream) = p.pg_base.split_once("://").expect("postgres://");
                let upstream = upstream.rsplit('@').next().expect("host:port").to_string();
                let host = if opts.cut_after_commit { cut_after_commit_proxy(&upstream).await } else { upstream };
                let db = format!("{scheme}://{role}@{host}/{name}");
                env.extend([
                    ("DATABASE_URL".into(), db.clone()),
                    ("DATABASE_OWNER_URL".into(), format!("{}/{name}", p.pg_base)),
                    ("STORAGE_TYPE".into(), "s3".into()),
                    ("S3_ENDPOINT".into(), p.s3_endpoint.clone()),
                    ("S3_BUCKET".into(), bucket),
                    ("S3_REGION".into(), "us-east-1".into()),
                    ("S3_ACCESS_KEY_ID".into(), p.s3_access_key.clone()),
                    ("S3_SECRET_ACCESS_KEY".into(), p.s3_secret_key.clone()),
                ]);
                (objects, db)
            }
        };
        if let Some(v) = opts.pool_bytes {
            env.push(("CLINICDOCS_POOL_BYTES".into(), v.to_string()));
        }
        if let Some(v) = opts.max_file_bytes {
            env.push(("CLINICDOCS_MAX_FILE_BYTES".into(), v.to_string()));
        }
        if let Some(v) = opts.url_ttl_secs {
            env.push(("CLINICDOCS_SIGNED_URL_TTL_SECS".into(), v.to_string()));
        }
        // The PDF engine only where the test setup provides it, never one found by chance, so
        // whether PDF tiles appear is decided here ([`TestServer::stored_objects`] waits for them).
        env.push(("CLINICDOCS_PDFIUM".into(), pdf_engine().unwrap_or_else(|| "/nonexistent/libpdfium.so".into())));
        env.extend(opts.env.iter().cloned());
        if opts.cut_after_commit && !backend.is_s3() {
            env.push(("CLINICDOCS_FAULT".into(), "after_commit".into()));
        }
        if opts.movable_clock {
            let file = data_dir.path().join("clock-offset");
            std::fs::write(&file, "0").expect("clock file");
            env.push(("CLINICDOCS_CLOCK_OFFSET_FILE".into(), file.display().to_string()));
        }
        if opts.log {
            env.retain(|(k, _)| k != "RUST_LOG");
            env.push(("RUST_LOG".into(), "clinicdocs_server=info".into()));
        }
        let mail = if opts.mail { Some(crate::mail::SmtpSink::start().await) } else { None };
        if let Some(m) = &mail {
            env.push(("CLINICDOCS_SMTP_URL".into(), m.url()));
            env.push(("CLINICDOCS_MAIL_FROM".into(), "documents@clinic.test".into()));
        }
        if opts.sms {
            env.push(("CLINICDOCS_SMS_FILE".into(), data_dir.path().join("sms").display().to_string()));
        }
        let (child, url) = spawn(data_dir.path(), &env, opts.log).await;
        TestServer { url, _child: child, data_dir, env, objects_dir, database_url, http: reqwest::Client::new(), mail }
    }

    /// `clinicdocs-server <args…>` on this server's data folder, database and store.
    pub fn subcommand(&self, args: &[&str]) -> Command {
        let mut c = self.subcommand_bare(args);
        c.arg("--data-dir").arg(self.data_dir.path());
        c
    }

    /// `clinicdocs-server <args…>` with this server's environment (database, store, clock).
    fn subcommand_bare(&self, args: &[&str]) -> Command {
        let mut c = Command::new(server_bin());
        c.args(args);
        c.env_remove("DATABASE_URL")
            .env_remove("DATABASE_OWNER_URL")
            .env_remove("STORAGE_TYPE")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        c
    }

    /// Runs `clinicdocs-server <args…>` (see [`TestServer::subcommand`]): whether it succeeded,
    /// and what it printed on stdout and stderr.
    pub async fn run_subcommand(&self, args: &[&str]) -> (bool, String) {
        let out = self.subcommand(args).output().await.expect("run clinicdocs-server");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    }

    /// Moves the server's clock (and its subcommands') `secs` further ahead; the server must
    /// have been started with [`Opts::movable_clock`].
    pub fn advance_clock(&self, secs: i64) {
        let file = self.data_dir.path().join("clock-offset");
        let now: i64 =
            std::fs::read_to_string(&file).expect("started with a movable clock").trim().parse().expect("secs");
        std::fs::write(&file, (now + secs).to_string()).expect("move the clock");
    }

    /// `clinicdocs-server clinic <args…>`: whether it succeeded, and what it printed.
    pub async fn clinic(&self, args: &[&str]) -> (bool, String) {
        let mut all = vec!["clinic"];
        all.extend_from_slice(&args[..1]);
        all.extend(["--data-dir", self.data_dir.path().to_str().expect("utf-8 path")]);
        all.extend_from_slice(&args[1..]);
        let out = self.subcommand_bare(&all).output().await.expect("run clinicdocs-server clinic");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    }

    /// First sign-in with a setup code: the answer.
    pub async fn set_up(&self, code: &str, password: &str) -> Response {
        self.http
            .post(format!("{}/api/v1/auth/setup", self.url))
            .json(&serde_json::json!({"code": code, "password": password}))
            .send()
            .await
            .expect("setup request")
    }

    /// Signs in with a password of one's own: the answer.
    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.http
            .post(format!("{}/api/v1/auth/login", self.url))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login request")
    }

    /// The session a successful sign-in or setup answered with.
    pub async fn session_from(&self, r: Response) -> Session {
        assert_eq!(r.status(), StatusCode::OK, "signed in");
        let l: LoginResponse = r.json().await.expect("login body");
        Session { base: self.url.clone(), http: self.http.clone(), token: l.token, user: l.user }
    }

    /// A second server process on the same database and store (as behind a load balancer):
    /// its URL, and the process, stopped when dropped.
    pub async fn second_instance(&self) -> (Child, String) {
        spawn(self.data_dir.path(), &self.env, false).await
    }

    pub async fn login(&self, email: &str) -> Session {
        let r = self
            .http
            .post(format!("{}/api/v1/auth/login", self.url))
            .json(&serde_json::json!({"email": email, "password": "demo"}))
            .send()
            .await
            .expect("login request");
        assert_eq!(r.status(), StatusCode::OK, "login {email}");
        let l: LoginResponse = r.json().await.expect("login body");
        Session { base: self.url.clone(), http: self.http.clone(), token: l.token, user: l.user }
    }

    /// The server's `host:port`.
    pub fn addr(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }

    /// Asks the server to stop, as a service manager does (SIGTERM).
    pub fn terminate(&self) {
        let pid = self._child.id().expect("server running");
        let sent = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill");
        assert!(sent.success(), "SIGTERM sent");
    }

    /// How the server process ended, if it did within `within`.
    pub async fn exit_status(&mut self, within: std::time::Duration) -> Option<std::process::ExitStatus> {
        tokio::time::timeout(within, self._child.wait()).await.ok().map(|r| r.expect("wait"))
    }

    /// Peak resident memory of the server process so far, in bytes (Linux `VmHWM`).
    pub fn peak_rss(&self) -> u64 {
        let pid = self._child.id().expect("server running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmHWM")
            * 1024
    }

    /// The database's size on disk now, in bytes (SQLite: the file and its WAL).
    pub async fn database_bytes(&self) -> u64 {
        if self.database_url.starts_with("sqlite:") {
            let db = self.data_dir.path().join("clinicdocs.db");
            let size = |p: std::path::PathBuf| std::fs::metadata(p).map_or(0, |m| m.len());
            return size(db.clone()) + size(db.with_extension("db-wal"));
        }
        let pool = sqlx::PgPool::connect(&self.database_url).await.expect("connect db");
        let (n,): (i64,) =
            sqlx::query_as("SELECT pg_database_size(current_database())").fetch_one(&pool).await.expect("size");
        pool.close().await;
        n as u64
    }

    /// What the server has logged so far (started with `Opts { log: true }`).
    /// The text messages the server sent (with `Opts { sms: true }`), oldest first, as JSON
    /// `{to, text}`.
    pub fn texts(&self) -> Vec<serde_json::Value> {
        let Ok(dir) = std::fs::read_dir(self.data_dir.path().join("sms")) else { return Vec::new() };
        let mut files: Vec<PathBuf> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files.iter().map(|f| serde_json::from_slice(&std::fs::read(f).expect("sms file")).expect("sms json")).collect()
    }

    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("server.log")).unwrap_or_default()
    }

    /// Every stored object (relative key), read straight from the backing folder, once the
    /// server's PDF tiles have settled: where the server draws PDFs, it waits (up to 30 s) until
    /// each live PDF has its `_thumb.jpg` beside it, since those are drawn after the answer.
    pub fn stored_objects(&self) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let mut out = Vec::new();
            walk(&self.objects_dir, &self.objects_dir, &mut out);
            out.sort();
            let untiled = |k: &String| {
                k.strip_suffix(".pdf").is_some_and(|stem| {
                    k.contains("/documents/") && out.binary_search(&format!("{stem}_thumb.jpg")).is_err()
                })
            };
            if pdf_engine().is_none() || !out.iter().any(untiled) || std::time::Instant::now() > deadline {
                return out;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// Starts `clinicdocs-server serve --demo` on a free loopback port with `env`, and waits for it.
async fn spawn(data_dir: &Path, env: &[(String, String)], log: bool) -> (Child, String) {
    let mut cmd = Command::new(server_bin());
    cmd.args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_OWNER_URL")
        .env_remove("STORAGE_TYPE")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::piped())
        .stderr(if log {
            Stdio::from(std::fs::File::create(data_dir.join("server.log")).expect("server log"))
        } else {
            Stdio::inherit()
        })
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("spawn server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read server output") {
            if let Some(u) = line.strip_prefix("listening on ") {
                return u.trim().to_string();
            }
        }
        panic!("server exited before listening");
    })
    .await
    .expect("server did not start within 60 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

/// How many of `pdfs` stored PDFs have a tile drawn by the server: all of them where it draws
/// PDFs, none where it has no engine.
pub fn pdf_tiles(pdfs: usize) -> usize {
    if pdf_engine().is_some() {
        pdfs
    } else {
        0
    }
}

/// libpdfium as the test setup provides it (`CLINICDOCS_PDFIUM`), if it does.
pub fn pdf_engine() -> Option<String> {
    std::env::var("CLINICDOCS_PDFIUM").ok().filter(|p| Path::new(p).is_file())
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if p.is_dir() {
            walk(root, &p, out);
        } else if !name.starts_with('.') && !name.contains(".s3s") && !name.ends_with(".tmp") {
            out.push(p.strip_prefix(root).unwrap_or(&p).to_string_lossy().to_string());
        }
    }
}

pub struct Session {
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
    pub user: clinicdocs_core::api::User,
}

impl Session {
    /// The same session used against another server instance.
    pub fn at(&self, base: &str) -> Session {
        Session { base: base.to_string(), http: self.http.clone(), token: self.token.clone(), user: self.user.clone() }
    }
}

/// One file to upload.
#[derive(Debug, Clone)]
pub struct Upload {
    pub bytes: Vec<u8>,
    pub file_name: String,
    pub patient_id: Uuid,
    pub category: String,
    pub title: String,
    pub encounter_id: Option<Uuid>,
    pub notes: Option<String>,
    /// Sent in a batch manifest as the file's idempotency key.
    pub key: Option<String>,
    /// Single uploads: send the fields first and this as the `size` field, so the server
    /// stores the file while it arrives. `None` sends the file first and no size.
    pub size: Option<u64>,
}

impl Upload {
    pub fn new(bytes: Vec<u8>, patient_id: Uuid, category: &str, title: &str) -> Upload {
        Upload {
            bytes,
            file_name: "file.bin".into(),
            patient_id,
            category: category.into(),
            title: title.into(),
            encounter_id: None,
            notes: None,
            key: None,
            size: None,
        }
    }

    /// The same upload, announcing its true size before the file.
    pub fn streamed(mut self) -> Upload {
        self.size = Some(self.bytes.len() as u64);
        self
    }
}

impl Session {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).bearer_auth(&self.token).send().await.expect("GET")
    }
    pub async fn delete(&self, path: &str) -> Response {
        self.http.delete(self.url(path)).bearer_auth(&self.token).send().await.expect("DELETE")
    }
    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.http.post(self.url(path)).bearer_auth(&self.token).json(body).send().await.expect("POST")
    }
    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.http.patch(self.url(path)).bearer_auth(&self.token).json(body).send().await.expect("PATCH")
    }
    pub async fn put_json(&self, path: &str, body: &Value) -> Response {
        self.http.put(self.url(path)).bearer_auth(&self.token).json(body).send().await.expect("PUT")
    }

    pub async fn patients(&self, q: &str) -> Vec<Patient> {
        self.get(&format!("/api/v1/patients?q={q}")).await.json().await.expect("patients")
    }

    /// The first demo patient of the caller's clinic.
    pub async fn a_patient(&self) -> Uuid {
        self.patients("").await.first().expect("a demo patient").id
    }

    /// The first visit of `patient` (every demo patient has one).
    pub async fn a_visit(&self, patient: Uuid) -> Uuid {
        let visits: Vec<clinicdocs_core::api::Visit> =
            self.get(&format!("/api/v1/patients/{patient}/encounters")).await.json().await.expect("visits");
        visits.first().expect("a demo visit").id
    }

    pub fn form(u: &Upload) -> Form {
        let file =
            || Part::bytes(u.bytes.clone()).file_name(u.file_name.clone()).mime_str("application/pdf").expect("mime");
        let mut f = Form::new();
        if u.size.is_none() {
            f = f.part("file", file());
        }
        f = f
            .text("patient_id", u.patient_id.to_string())
            .text("category", u.category.clone())
            .text("title", u.title.clone());
        if let Some(e) = u.encounter_id {
            f = f.text("encounter_id", e.to_string());
        }
        if let Some(n) = &u.notes {
            f = f.text("notes", n.clone());
        }
        if let Some(n) = u.size {
            f = f.text("size", n.to_string()).part("file", file());
        }
        f
    }

    /// A single upload as raw HTTP/1.1: the request head, and the body (a multipart form with
    /// the fields first), for tests that send it at their own pace.
    pub fn raw_upload(&self, u: &Upload) -> (Vec<u8>, Vec<u8>) {
        let boundary = "clinicdocs-test-boundary";
        let mut body = Vec::new();
        for (name, value) in
            [("patient_id", u.patient_id.to_string()), ("category", u.category.clone()), ("title", u.title.clone())]
        {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
            );
        }
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\n\
                 Content-Type: application/pdf\r\n\r\n",
                u.file_name
            )
            .bytes(),
        );
        body.extend(&u.bytes);
        body.extend(format!("\r\n--{boundary}--\r\n").bytes());
        let host = self.base.trim_start_matches("http://");
        let head = format!(
            "POST /api/v1/documents HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
            self.token,
            body.len()
        );
        (head.into_bytes(), body)
    }

    pub async fn upload_raw(&self, u: &Upload, key: Option<&str>) -> Response {
        let mut req = self.http.post(self.url("/api/v1/documents")).bearer_auth(&self.token).multipart(Self::form(u));
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        req.send().await.expect("upload")
    }

    /// Uploads and expects success.
    pub async fn upload(&self, u: &Upload) -> Document {
        let r = self.upload_raw(u, None).await;
        let status = r.status();
        let body: Value = r.json().await.expect("upload body");
        assert_eq!(status, StatusCode::CREATED, "upload {}: {body}", u.title);
        serde_json::from_value(body["document"].clone()).expect("document")
    }

    pub async fn batch(&self, items: &[Upload]) -> Response {
        let manifest: Vec<Value> = items
            .iter()
            .map(|u| {
                serde_json::json!({"patient_id": u.patient_id, "category": u.category, "title": u.title,
                    "notes": u.notes, "encounter_id": u.encounter_id, "idempotency_key": u.key})
            })
            .collect();
        let mut form = Form::new().text("manifest", serde_json::to_string(&manifest).expect("json"));
        for u in items {
            form = form.part("file", Part::bytes(u.bytes.clone()).file_name(u.file_name.clone()));
        }
        self.http
            .post(self.url("/api/v1/documents/batch"))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .expect("batch")
    }

    pub async fn storage(&self) -> StorageUsage {
        self.get("/api/v1/storage").await.json().await.expect("storage")
    }

    pub async fn signed_url(&self, doc: Uuid, variant: &str) -> String {
        let r = self.get(&format!("/api/v1/documents/{doc}/url?variant={variant}")).await;
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.expect("url");
        v["url"].as_str().expect("url string").to_string()
    }
}

/// Reads an error body and returns its code.
pub async fn error_code(r: Response) -> (StatusCode, String, String) {
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    (
        status,
        v["error"]["code"].as_str().unwrap_or("").to_string(),
        v["error"]["message"].as_str().unwrap_or("").to_string(),
    )
}

/// A loopback proxy to PostgreSQL at `upstream` that, once, lets a statement inserting a
/// document run and commit, and closes the connection instead of passing its answer on: the
/// commit happened, the server cannot know. Returns the proxy's `host:port`.
pub async fn cut_after_commit_proxy(upstream: &str) -> String {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let addr = listener.local_addr().expect("addr").to_string();
    let upstream = upstream.to_string();
    let fired = Arc::new(AtomicBool::new(false));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else { continue };
            let fired = fired.clone();
            tokio::spawn(async move {
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let cut = Arc::new(AtomicBool::new(false));
                let cut_up = cut.clone();
                let up = async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut tail = Vec::new();
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        tail.extend_from_slice(&buf[..n]);
                        let needle = b"INSERT INTO documents";
                        if !fired.load(Ordering::SeqCst) && tail.windows(needle.len()).any(|w| w == needle) {
                            fired.store(true, Ordering::SeqCst);
                            cut_up.store(true, Ordering::SeqCst);
                        }
                        let keep = tail.len().saturating_sub(needle.len());
                        tail.drain(..keep);
                        if sw.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                };
                let down = async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut seen_result = false;
                    loop {
                        let n = match sr.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        if cut.load(Ordering::SeqCst) {
                            // The statement's result, then ReadyForQuery (sent once the
                            // statement's implicit transaction committed): the commit happened,
                            // and its answer never reaches the server.
                            let chunk = &buf[..n];
                            let find = |pat: &[u8]| chunk.windows(pat.len()).position(|w| w == pat);
                            if let Some(done) = find(b"SELECT 1\0") {
                                seen_result = true;
                                if chunk[done..].windows(5).any(|w| w == b"Z\0\0\0\x05") {
                                    return;
                                }
                            } else if seen_result && find(b"Z\0\0\0\x05").is_some() {
                                return;
                            }
                        }
                        if cw.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                };
                tokio::select! {
                    _ = up => {}
                    _ = down => {}
                }
            });
        }
    });
    addr
}
