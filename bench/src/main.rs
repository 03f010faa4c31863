//! Server benchmarks, each printed beside a reference floor measured in the same run:
//! (a) upload throughput through the API vs. signed PUTs of the same bytes straight to the
//! S3 server; (b) listing one patient's documents in a clinic of 100,000 documents vs.
//! `/healthz` (the framework floor). Prints figures and ratios; asserts nothing.

use anyhow::{bail, Context, Result};
use clap::Parser;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Base URL of a running `clinicdocs-server serve --demo`.
    #[arg(long)]
    server: String,
    /// The server's DATABASE_URL (documents are seeded straight into it).
    #[arg(long)]
    database_url: String,
    #[arg(long)]
    s3_endpoint: String,
    #[arg(long)]
    s3_bucket: String,
    #[arg(long)]
    s3_access_key: String,
    #[arg(long)]
    s3_secret_key: String,
    /// Documents in the clinic for the listing benchmark.
    #[arg(long, default_value_t = 100_000)]
    documents: usize,
    /// Requests per listing/healthz run.
    #[arg(long, default_value_t = 4000)]
    requests: usize,
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Page size of the listing requests.
    #[arg(long, default_value_t = 50)]
    list_limit: usize,
}

fn pdf(size: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n1 0 obj<</Type/Page>>endobj\n%".to_vec();
    let mut x: u32 = 0x1234_5678;
    while v.len() < size - 8 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.push(b'!' + (x % 90) as u8);
    }
    v.extend_from_slice(b"\n%%EOF\n");
    v.truncate(size);
    v
}

async fn login(http: &reqwest::Client, base: &str, email: &str) -> Result<String> {
    let v: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": "demo"}))
        .send()
        .await?
        .json()
        .await?;
    Ok(v["token"].as_str().context("no token")?.to_string())
}

/// Upload rounds of each size run before the measured ones.
const WARM_UP: usize = 5;

fn mbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

async fn upload_bench(a: &Args, http: &reqwest::Client, token: &str, patient: &str) -> Result<()> {
    let store = Arc::new(
        AmazonS3Builder::new()
            .with_endpoint(&a.s3_endpoint)
            .with_allow_http(true)
            .with_bucket_name(&a.s3_bucket)
            .with_region("us-east-1")
            .with_access_key_id(&a.s3_access_key)
            .with_secret_access_key(&a.s3_secret_key)
            .with_virtual_hosted_style_request(false)
            // A presigned PUT carries UNSIGNED-PAYLOAD; so does the server's own client.
            .with_unsigned_payload(true)
            .build()?,
    );
    println!("(a) upload: API (multipart, checks, SHA-256, store, row, audit) vs signed PUT straight to s3s-fs");
    println!("    streamed: fields, size and an Idempotency-Key sent before the file, stored while it arrives (what the desktop sends)");
    println!("    spooled:  file first, no size: received whole, then stored");
    println!("    ratios: total MB/s over all runs; in brackets, of the median run (less moved by a stray pause)");
    println!("    each size starts with {WARM_UP} uncounted rounds (connections opened, statements prepared)");
    println!(
        "    {:>6} {:>5} {:>14} {:>13} {:>14} {:>16} {:>16}",
        "size", "runs", "streamed MB/s", "spooled MB/s", "storage MB/s", "streamed", "spooled"
    );
    for (size, runs) in [(1_000_000usize, 50usize), (10_000_000, 12)] {
        let body = pdf(size);
        let (mut streamed, mut spooled, mut floor) = (Vec::new(), Vec::new(), Vec::new());
        // The first rounds are not counted: they open connections and prepare statements,
        // which a serving server has long done.
        for i in 0..WARM_UP + runs {
            if i == WARM_UP {
                (streamed, spooled, floor) = (Vec::new(), Vec::new(), Vec::new());
            }
            // Interleave so all three see the same machine state.
            let t = Instant::now();
            store.put(&ObjectPath::from(format!("floor/{size}-{i}.pdf")), PutPayload::from(body.clone())).await?;
            floor.push(t.elapsed());
            for stream in [true, false] {
                let file = Part::bytes(body.clone()).file_name("bench.pdf");
                let mut form = Form::new();
                if !stream {
                    form = form.part("file", Part::bytes(body.clone()).file_name("bench.pdf"));
                }
                form = form
                    .text("patient_id", patient.to_string())
                    .text("category", "lab")
                    .text("title", format!("bench {size} {i} {stream}"));
                if stream {
                    form = form.text("size", body.len().to_string()).part("file", file);
                }
                let mut req = http.post(format!("{}/api/v1/documents", a.server)).bearer_auth(token);
                if stream {
                    // As the desktop's queue does, so a retry cannot store the file twice.
                    req = req.header("Idempotency-Key", uuid::Uuid::new_v4().to_string());
                }
                let t = Instant::now();
                let r = req.multipart(form).send().await?;
                if r.status() != 201 {
                    bail!("upload failed: {} {}", r.status(), r.text().await?);
                }
                r.bytes().await?;
                (if stream { &mut streamed } else { &mut spooled }).push(t.elapsed());
            }
        }
        let rate = |d: &[Duration]| mbps(size * runs, d.iter().sum());
        let median = |d: &mut Vec<Duration>| {
            d.sort();
            d[d.len() / 2]
        };
        let (s, p, f) = (rate(&streamed), rate(&spooled), rate(&floor));
        let fm = median(&mut floor).as_secs_f64();
        let (sm, pm) = (fm / median(&mut streamed).as_secs_f64(), fm / median(&mut spooled).as_secs_f64());
        println!(
            "    {:>4}MB {runs:>5} {s:>14.1} {p:>13.1} {f:>14.1} {:>7.2}x ({sm:.2}x) {:>7.2}x ({pm:.2}x)",
            size / 1_000_000,
            s / f,
            p / f
        );
    }
    Ok(())
}

/// Inserts `n` documents for the demo clinic, spread over 1,000 patients, straight into the database.
async fn seed(a: &Args, org: &str, user: &str) -> Result<String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&a.database_url).await?;
    let patients: Vec<String> = (0..1000).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let mut tx = pool.begin().await?;
    for (i, p) in patients.iter().enumerate() {
        sqlx::query("INSERT INTO patients (id, org_id, name, name_lower, date_of_birth, created_at) VALUES ($1, $2, $3, $4, '1980-01-01', 0)")
            .bind(p)
            .bind(org)
            .bind(format!("Bench Patient {i}"))
            .bind(format!("bench patient {i}"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let t = Instant::now();
    let cats = ["lab", "imaging", "prescription", "referral", "insurance", "photo"];
    for chunk in (0..a.documents).collect::<Vec<_>>().chunks(5000) {
        let mut tx = pool.begin().await?;
        for &i in chunk {
            let id = uuid::Uuid::new_v4().to_string();
            let p = &patients[i % patients.len()];
            sqlx::query(
                "INSERT INTO documents (id, org_id, patient_id, title, title_key, category, content_type, storage_key, file_size, sha256, uploaded_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'application/pdf', $7, 1000, 'x', $8, $9, $9)",
            )
            .bind(&id)
            .bind(org)
            .bind(p)
            .bind(format!("Document {i}"))
            .bind(clinicdocs_core::natural_order::sort_key(&format!("Document {i}")))
            .bind(cats[i % cats.len()])
            .bind(format!("{org}/{p}/documents/2026/01/{id}.pdf"))
            .bind(user)
            .bind(1_700_000_000_000i64 + i as i64 * 1000)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    }
    eprintln!("    seeded {} documents in {:.1} s", a.documents, t.elapsed().as_secs_f64());
    Ok(patients[0].clone())
}

struct Load {
    p50: Duration,
    p99: Duration,
    rps: f64,
}

async fn load(http: &reqwest::Client, url: &str, token: &str, requests: usize, concurrency: usize) -> Result<Load> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url, token, next) = (http.clone(), url.to_string(), token.to_string(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < requests {
                let t = Instant::now();
                let r = http.get(&url).bearer_auth(&token).send().await?;
                let ok = r.status().is_success();
                r.bytes().await?;
                if !ok {
                    bail!("{url} failed");
                }
                lat.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let wall = start.elapsed();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    Ok(Load { p50: pct(0.50), p99: pct(0.99), rps: all.len() as f64 / wall.as_secs_f64() })
}

#[tokio::main]
async fn main() -> Result<()> {
    let a = Args::parse();
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let token = login(&http, &a.server, "doctor@demo.clinic").await?;
    let me: Value = http.get(format!("{}/api/v1/me", a.server)).bearer_auth(&token).send().await?.json().await?;
    let org = me["org"]["id"].as_str().context("org")?.to_string();
    let user = me["user"]["id"].as_str().context("user")?.to_string();
    let patients: Value =
        http.get(format!("{}/api/v1/patients", a.server)).bearer_auth(&token).send().await?.json().await?;
    let demo_patient = patients[0]["id"].as_str().context("patient")?.to_string();

    upload_bench(&a, &http, &token, &demo_patient).await?;

    println!(
        "(b) list one patient's documents (limit {}) with {} documents in the clinic, vs /healthz",
        a.list_limit, a.documents
    );
    let patient = seed(&a, &org, &user).await?;
    let list_url = format!("{}/api/v1/documents?patient_id={patient}&limit={}", a.server, a.list_limit);
    let health_url = format!("{}/healthz", a.server);
    // Warm both, then measure alternately.
    load(&http, &list_url, &token, 200, a.concurrency).await?;
    load(&http, &health_url, &token, 200, a.concurrency).await?;
    let (mut list, mut health) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        list.push(load(&http, &list_url, &token, a.requests / 2, a.concurrency).await?);
        health.push(load(&http, &health_url, &token, a.requests / 2, a.concurrency).await?);
    }
    let avg = |v: &[Load]| Load {
        p50: v.iter().map(|l| l.p50).sum::<Duration>() / v.len() as u32,
        p99: v.iter().map(|l| l.p99).max().unwrap_or_default(),
        rps: v.iter().map(|l| l.rps).sum::<f64>() / v.len() as f64,
    };
    let (l, h) = (avg(&list), avg(&health));
    println!("    {:>10} {:>9} {:>9} {:>9}", "", "p50 ms", "p99 ms", "req/s");
    for (name, x) in [("list", &l), ("/healthz", &h)] {
        println!("    {name:>10} {:>9.2} {:>9.2} {:>9.0}", x.p50.as_secs_f64() * 1e3, x.p99.as_secs_f64() * 1e3, x.rps);
    }
    println!(
        "    list/healthz rate ratio: {:.2}x (target >= 0.3x), list p99 {:.2} ms (target < 10 ms)",
        l.rps / h.rps,
        l.p99.as_secs_f64() * 1e3
    );
    // The same page is kept in memory until a document of the clinic changes; after a change
    // it is read from the database again. Each round here renames one document, then lists.
    let page: Value = http.get(&list_url).bearer_auth(&token).send().await?.json().await?;
    let doc = page["items"][0]["id"].as_str().context("a listed document")?.to_string();
    let mut after_change = Vec::new();
    for i in 0..300 {
        let patch = serde_json::json!({ "title": format!("renamed {i}") });
        let r =
            http.patch(format!("{}/api/v1/documents/{doc}", a.server)).bearer_auth(&token).json(&patch).send().await?;
        if !r.status().is_success() {
            bail!("rename failed: {}", r.status());
        }
        let t = Instant::now();
        let r = http.get(&list_url).bearer_auth(&token).send().await?;
        r.error_for_status()?.bytes().await?;
        after_change.push(t.elapsed());
    }
    after_change.sort();
    let pct = |p: f64| after_change[((after_change.len() as f64 * p) as usize).min(after_change.len() - 1)];
    println!(
        "    list right after a change (page read from the database, one at a time): p50 {:.2} ms, p99 {:.2} ms",
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3
    );
    Ok(())
}
