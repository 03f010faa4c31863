//! The floods an open network sends, against a running release server, each measured beside a
//! quiet baseline of the same run: the server's peak resident memory, the database's growth,
//! `/healthz` latency (p50/p99) while the flood runs, and how many sign-in attempts a minute
//! got as far as a password check. Prints a table and the targets; asserts nothing (see
//! `bench/abuse.sh`).

use anyhow::{Context, Result};
use clap::Parser;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

#[derive(Parser)]
struct Args {
    /// Base URL of a running `clinicdocs-server serve --demo` (release build).
    #[arg(long)]
    server: String,
    /// The server's process id (its memory is read from /proc).
    #[arg(long)]
    pid: u32,
    /// The server's SQLite file, or a `postgres://` URL, whose growth is measured.
    #[arg(long)]
    database: String,
    /// Seconds each phase runs.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Concurrent attackers per flood.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
}

/// One phase's figures.
struct Figures {
    name: &'static str,
    peak_rss: u64,
    db_growth: i64,
    p50: Duration,
    p99: Duration,
    sent: u64,
    checked_per_min: f64,
}

fn rss_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

async fn database_bytes(db: &str) -> Result<i64> {
    if db.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(db).await?;
        let (n,): (i64,) = sqlx::query_as("SELECT pg_database_size(current_database())").fetch_one(&pool).await?;
        pool.close().await;
        return Ok(n);
    }
    let size = |p: String| std::fs::metadata(p).map_or(0, |m| m.len() as i64);
    Ok(size(db.to_string()) + size(format!("{db}-wal")))
}

/// What an attacker does, over and over, until told to stop. Returns whether the server got
/// as far as checking a password (a sign-in answered 401 rather than paused with 429).
#[derive(Clone, Copy)]
enum Flood {
    Quiet,
    PasswordGuessing,
    ForgedLinks,
    HugeEmails,
    SlowClients,
}

async fn attack(flood: Flood, http: &reqwest::Client, base: &str, host: &str, n: u64) -> Result<bool> {
    match flood {
        Flood::Quiet => {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(false)
        }
        Flood::PasswordGuessing => {
            // Half at a real account, half at random ones.
            let email = if n % 2 == 0 { "admin@demo.clinic".to_string() } else { format!("guess{n}@demo.clinic") };
            let r = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(&serde_json::json!({"email": email, "password": format!("guess-{n}")}))
                .send()
                .await?;
            Ok(r.status() == reqwest::StatusCode::UNAUTHORIZED)
        }
        Flood::ForgedLinks => {
            let junk = "x".repeat(30_000);
            http.get(format!("{base}/files/{junk}{n}?expires=99999999999&sig=00")).send().await?;
            Ok(false)
        }
        Flood::HugeEmails => {
            let email = format!("{}{n}@demo.clinic", "a".repeat(1_000_000));
            http.post(format!("{base}/api/v1/auth/login"))
                .json(&serde_json::json!({"email": email, "password": "x"}))
                .send()
                .await?;
            Ok(false)
        }
        Flood::SlowClients => {
            // Half a request head, then silence, from one of many loopback addresses.
            let from = format!("127.0.{}.{}:0", (n / 250) % 250 + 1, n % 250 + 1);
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind(from.parse()?)?;
            let mut c = socket.connect(host.parse()?).await?;
            c.write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: clinic\r\nContent-Length: 100\r\n").await?;
            let mut buf = [0u8; 256];
            let _ =
                tokio::time::timeout(Duration::from_secs(120), tokio::io::AsyncReadExt::read(&mut c, &mut buf)).await;
            Ok(false)
        }
    }
}

async fn phase(a: &Args, name: &'static str, flood: Flood) -> Result<Figures> {
    let base = a.server.trim_end_matches('/').to_string();
    let host = base.trim_start_matches("http://").to_string();
    let before = database_bytes(&a.database).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let (sent, checked) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut attackers = Vec::new();
    // A slow client costs the attacker one socket: it holds many.
    let workers = if matches!(flood, Flood::SlowClients) { a.concurrency * 8 } else { a.concurrency };
    for w in 0..workers {
        let (stop, sent, checked) = (stop.clone(), sent.clone(), checked.clone());
        let (base, host) = (base.clone(), host.clone());
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        attackers.push(tokio::spawn(async move {
            let mut n = w as u64 * 1_000_000;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                sent.fetch_add(1, Ordering::Relaxed);
                if let Ok(true) = attack(flood, &http, &base, &host, n).await {
                    checked.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // The probe: a staff member's client asking whether the server is there.
    let probe = reqwest::Client::new();
    let started = Instant::now();
    let (mut latencies, mut peak) = (Vec::new(), 0);
    while started.elapsed() < Duration::from_secs(a.seconds) {
        let t = Instant::now();
        let ok = probe.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success());
        latencies.push(if ok { t.elapsed() } else { Duration::from_secs(60) });
        peak = peak.max(rss_kb(a.pid, "VmRSS:"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for t in attackers {
        t.abort();
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    Ok(Figures {
        name,
        peak_rss: peak * 1024,
        db_growth: database_bytes(&a.database).await? - before,
        p50: pct(0.50),
        p99: pct(0.99),
        sent: sent.load(Ordering::Relaxed),
        checked_per_min: checked.load(Ordering::Relaxed) as f64 * 60.0 / elapsed.as_secs_f64(),
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    let a = Args::parse();
    reqwest::get(format!("{}/healthz", a.server)).await.context("the server does not answer")?;
    let mut rows = Vec::new();
    for (name, flood) in [
        ("quiet baseline", Flood::Quiet),
        ("password guessing", Flood::PasswordGuessing),
        ("forged 30 KB links", Flood::ForgedLinks),
        ("1 MB sign-in emails", Flood::HugeEmails),
        ("slow clients (half headers)", Flood::SlowClients),
    ] {
        eprintln!("{name}: {} s, {} attackers", a.seconds, a.concurrency);
        rows.push(phase(&a, name, flood).await?);
        // Let slow connections time out and memory settle before the next phase.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let base = &rows[0];
    println!(
        "\n{:<28} {:>9} {:>7} {:>11} {:>9} {:>9} {:>8} {:>9} {:>13}",
        "flood", "requests", "RSS MB", "RSS×quiet", "DB +KB", "p50 ms", "p99 ms", "p99×quiet", "checked/min"
    );
    for r in &rows {
        println!(
            "{:<28} {:>9} {:>7.0} {:>11.2} {:>9} {:>9.2} {:>8.2} {:>9.2} {:>13.0}",
            r.name,
            r.sent,
            r.peak_rss as f64 / 1e6,
            r.peak_rss as f64 / base.peak_rss.max(1) as f64,
            r.db_growth / 1024,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() / base.p99.as_secs_f64().max(1e-6),
            r.checked_per_min
        );
    }
    println!(
        "\ntargets: RSS under 1000 MB and /healthz p99 under 50 ms during each flood; the anonymous floods \
         (forged links, huge emails, slow clients) grow the database by less than 5 MB; peak RSS over the whole run: {} MB",
        rss_kb(a.pid, "VmHWM:") / 1024
    );
    Ok(())
}
