//! Durability of the upload queue against the real server, with the queue held by a separate
//! process (`clinicdocs-queue drain`) as in the app:
//! - crash: 200 files are queued, the originals deleted, and while they drain the process is
//!   killed with SIGKILL at 100 random moments and started again each time;
//! - network: the server stopped and started again mid-drain; a loopback proxy that cuts 20% of
//!   the server's answers after the server has stored the file.
//!
//! Each time the server ends up with exactly the queued files by SHA-256 (none lost, none
//! twice) and the queue's SQLite file passes `PRAGMA integrity_check`. Random moments come from
//! a seed (printed; `CLINICDOCS_CRASH_SEED` replays a failure).

mod common;

use clinicdocs_core::api::{DocumentQuery, LoginResponse, Patient};
use clinicdocs_desktop::api_client::{parse_server_url, ApiClient};
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncBufReadExt;
use tokio::process::Command;

const QUEUE_BIN: &str = env!("CARGO_BIN_EXE_clinicdocs-queue");

fn seed() -> u64 {
    let seed = std::env::var("CLINICDOCS_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_122);
    println!("seed {seed} (CLINICDOCS_CRASH_SEED={seed} replays it)");
    seed
}

/// A small real PNG whose pixels depend on `i`, so every file has its own SHA-256.
fn png(i: usize) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(24, 16, |x, y| image::Rgb([(i % 251) as u8, (i / 251) as u8, (x * 10 + y) as u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

/// A receptionist's queue with `n` files in it (originals already deleted), for `queue_url`.
struct Fixture {
    client: ApiClient,
    login: LoginResponse,
    patient: Patient,
    expected: HashSet<String>,
    qdir: String,
    queue_url: String,
    _work: tempfile::TempDir,
}

impl Fixture {
    /// `batch`: files per all-or-nothing batch, as a drop queues them (0: one by one).
    async fn new(server: &common::Server, queue_url: &str, n: usize, batch: usize) -> Fixture {
        let client = ApiClient::new(parse_server_url(&server.url).expect("url"), None).expect("client");
        let login = client.login("reception@demo.clinic", "demo").await.expect("login");
        let client = client.with_token(login.token.clone());
        let patient = client.find_patients("Maria", 5).await.expect("search").remove(0);
        let work = tempfile::tempdir().expect("tmp");
        let originals = work.path().join("scans");
        std::fs::create_dir(&originals).expect("dir");
        let mut expected = HashSet::new();
        let mut paths = Vec::new();
        for i in 0..n {
            let bytes = png(i);
            expected.insert(hex::encode(Sha256::digest(&bytes)));
            let p = originals.join(format!("scan {i:03}.png"));
            std::fs::write(&p, bytes).expect("write");
            paths.push(p.to_string_lossy().into_owned());
        }
        assert_eq!(expected.len(), n);
        let qdir = work.path().join("queue").to_string_lossy().into_owned();
        let f = Fixture { client, login, patient, expected, qdir, queue_url: queue_url.to_string(), _work: work };
        let user = f.login.user.id.to_string();
        let pid = f.patient.id.to_string();
        let mut add = vec!["add", "--dir", &f.qdir, "--server", &f.queue_url, "--user", &user, "--patient", &pid];
        add.extend(["--category", "insurance"]);
        let batch = batch.to_string();
        add.extend(["--batch", &batch]);
        add.extend(paths.iter().map(String::as_str));
        let out = run(&add, None).await;
        assert!(out.status.success(), "queueing failed: {}", String::from_utf8_lossy(&out.stderr));
        // The queue holds its own copies: the originals can go.
        std::fs::remove_dir_all(&originals).expect("originals removed");
        f
    }

    fn drain_args(&self) -> Vec<String> {
        ["drain", "--dir", &self.qdir, "--server", &self.queue_url, "--user", &self.login.user.id.to_string()]
            .map(String::from)
            .to_vec()
    }

    fn drain(&self) -> Command {
        let mut c = Command::new(QUEUE_BIN);
        c.args(self.drain_args())
            .env("CLINICDOCS_TOKEN", &self.login.token)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        c
    }

    /// The server holds exactly the queued files, once each; the queue is sound and empty.
    async fn assert_exactly_once(&self) {
        let docs = self
            .client
            .all_documents(DocumentQuery { patient_id: Some(self.patient.id), ..Default::default() })
            .await
            .expect("list");
        let mut by_sha: HashMap<&str, usize> = HashMap::new();
        for d in &docs {
            *by_sha.entry(&d.sha256).or_default() += 1;
        }
        let twice: Vec<_> = by_sha.iter().filter(|(_, n)| **n > 1).collect();
        let lost = self.expected.iter().filter(|s| !by_sha.contains_key(s.as_str())).count();
        assert!(twice.is_empty(), "stored twice: {twice:?}");
        assert_eq!(lost, 0, "lost files");
        assert_eq!(docs.len(), self.expected.len(), "exactly the queued files, nothing else");
        let check = run(&["check", "--dir", &self.qdir], None).await;
        let text = String::from_utf8_lossy(&check.stdout);
        assert!(text.contains("integrity ok"), "{text}");
        assert!(text.contains(&format!("waiting 0 sending 0 done {} refused 0", self.expected.len())), "{text}");
        let spooled = std::fs::read_dir(std::path::Path::new(&self.qdir).join("spool")).expect("spool").count();
        assert_eq!(spooled, 0, "sent files leave the spool");
    }
}

async fn run(args: &[&str], token: Option<&str>) -> std::process::Output {
    let mut c = Command::new(QUEUE_BIN);
    c.args(args).stdin(Stdio::null());
    if let Some(t) = token {
        c.env("CLINICDOCS_TOKEN", t);
    }
    c.output().await.expect("run clinicdocs-queue")
}

/// Drains to the end (bounded: a hung drain fails the test instead of the CI run).
async fn drain_to_the_end(f: &Fixture) {
    let out =
        tokio::time::timeout(Duration::from_secs(120), f.drain().output()).await.expect("drain finished").expect("ran");
    assert!(out.status.success(), "the drain failed: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_at_100_random_moments_loses_nothing_and_duplicates_nothing() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed());
    let server = common::server().await;
    let f = Fixture::new(&server, &server.url, 200, 0).await;
    let mut confirmed = 0;
    for _ in 0..100 {
        let mut child = f.drain().spawn().expect("spawn drain");
        tokio::time::sleep(Duration::from_millis(rng.gen_range(2..60))).await;
        child.start_kill().expect("SIGKILL"); // tokio's kill is SIGKILL on Unix
        let out = child.wait_with_output().await.expect("wait");
        confirmed += String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.starts_with("sent ")).count();
    }
    println!("{confirmed} uploads confirmed by killed processes before the last kill");
    drain_to_the_end(&f).await;
    f.assert_exactly_once().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn server_stopped_and_started_again_mid_drain() {
    let server = common::server().await;
    let f = Fixture::new(&server, &server.url, 60, 0).await;
    let mut child = f.drain().spawn().expect("spawn drain");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut sent = 0;
    while sent < 15 {
        let line = lines.next_line().await.expect("read").expect("the drain stopped early");
        sent += usize::from(line.starts_with("sent "));
    }
    server.stop().await;
    let mut retried = 0;
    let waited = tokio::time::timeout(Duration::from_millis(1500), async {
        while let Ok(Some(line)) = lines.next_line().await {
            retried += usize::from(line.starts_with("retry "));
        }
    })
    .await;
    assert!(waited.is_err(), "the drain keeps waiting while the server is down");
    assert!(retried >= 1, "it noticed the server was gone");
    server.start_again().await;
    let status =
        tokio::time::timeout(Duration::from_secs(120), child.wait()).await.expect("drain finished").expect("ran");
    assert!(status.success());
    f.assert_exactly_once().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fifth_of_the_answers_lost_after_the_server_stored_the_file() {
    let server = common::server().await;
    let (proxy, dropped) = common::lossy_proxy(server.addr(), 0.2, seed()).await;
    let f = Fixture::new(&server, &proxy, 60, 0).await;
    drain_to_the_end(&f).await;
    let dropped = dropped.load(std::sync::atomic::Ordering::SeqCst);
    println!("{dropped} answers cut by the proxy");
    assert!(dropped >= 5, "the proxy cut answers ({dropped})");
    f.assert_exactly_once().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dropped_folders_sent_as_batches_survive_sigkill_at_40_random_moments() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed() ^ 0xba7c4);
    let server = common::server().await;
    let f = Fixture::new(&server, &server.url, 200, 10).await;
    for _ in 0..40 {
        let mut child = f.drain().spawn().expect("spawn drain");
        tokio::time::sleep(Duration::from_millis(rng.gen_range(2..80))).await;
        child.start_kill().expect("SIGKILL");
        child.wait().await.expect("wait");
    }
    drain_to_the_end(&f).await;
    f.assert_exactly_once().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batches_whose_answers_are_lost_are_not_stored_twice() {
    let server = common::server().await;
    let (proxy, dropped) = common::lossy_proxy(server.addr(), 0.3, seed()).await;
    let f = Fixture::new(&server, &proxy, 100, 4).await;
    drain_to_the_end(&f).await;
    let dropped = dropped.load(std::sync::atomic::Ordering::SeqCst);
    println!("{dropped} batch answers cut by the proxy");
    assert!(dropped >= 2, "the proxy cut answers ({dropped})");
    f.assert_exactly_once().await;
}
