//! `clinicdocs-queue`: the desktop's upload queue without a window, over the same code the app
//! uses. For the crash and network-fault tests (which kill it at random moments) and for
//! looking into a workstation's queue.
//!
//! ```text
//! clinicdocs-queue add   --dir D --server URL --user UUID --patient UUID --category C [--batch N] FILE...
//! clinicdocs-queue import --dir D --server URL --user UUID --patient UUID --category C PATH...
//!                         (a drop: folders walked, files checked against the clinic's limits
//!                         from `/me`, queued as batches of ≤ 50; token in CLINICDOCS_TOKEN)
//! clinicdocs-queue drain --dir D --server URL --user UUID      (token in CLINICDOCS_TOKEN)
//! clinicdocs-queue check --dir D
//! ```

use clinicdocs_core::limits::MAX_BATCH_FILES;
use clinicdocs_core::Category;
use clinicdocs_desktop::api_client::{parse_server_url, ApiClient};
use clinicdocs_desktop::bulk_import::{queue_rows, review, Chosen};
use clinicdocs_desktop::events::{MarksSyncedPayload, QueueProgress};
use clinicdocs_desktop::file_check::title_from_file_name;
use clinicdocs_desktop::queue::mark_sync::MarkVersions;
use clinicdocs_desktop::queue::runner::{now_ms, Host, Runner};
use clinicdocs_desktop::queue::worker::{self, Step};
use clinicdocs_desktop::queue::{HandOff, ItemState, Queue};
use clinicdocs_desktop::session::Session;
use std::collections::HashMap;
use std::path::PathBuf;
use uuid::Uuid;

/// What can stop the tool, each with its own message.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Queue(#[from] clinicdocs_desktop::queue::QueueError),
    #[error("{}", .0.message)]
    Command(#[from] clinicdocs_desktop::error::CommandError),
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

/// The drain's host: what the window would be told is printed, one line per item.
#[derive(Clone)]
struct Printer;

impl Host for Printer {
    async fn session(&self) -> Option<Session> {
        None
    }

    fn progress(&self, _: QueueProgress) {}

    async fn marks_synced(&self, m: MarksSyncedPayload) {
        m.documents.iter().for_each(|d| println!("marks sent {d}"));
        m.refused
            .iter()
            .for_each(|c| println!("mark refused {}: {}", c.annotation_id, c.error_message.as_deref().unwrap_or("")));
    }

    async fn stepped(&self, step: &Step) {
        match step {
            Step::Settled { sent, refused } => {
                sent.iter().for_each(|(item, document)| println!("sent {item} {document}"));
                refused.iter().for_each(|(item, error)| println!("refused {item}: {}", error.message));
            }
            Step::Retrying { items, at, error } => {
                for item in items {
                    println!("retry {item} in {} ms: {}", at - now_ms(), error.message)
                }
            }
            Step::Idle(_) | Step::NeedsSignIn => {}
        }
    }
}

struct Args {
    command: String,
    flags: HashMap<String, String>,
    files: Vec<PathBuf>,
}

fn args() -> Result<Args, CliError> {
    let mut it = std::env::args().skip(1);
    let command = it.next().ok_or_else(|| usage("usage: clinicdocs-queue add|import|drain|check --dir D …"))?;
    let mut flags = HashMap::new();
    let mut files = Vec::new();
    while let Some(a) = it.next() {
        match a.strip_prefix("--") {
            Some(name) => {
                let v = it.next().ok_or_else(|| usage(format!("--{name} needs a value")))?;
                flags.insert(name.to_string(), v);
            }
            None => files.push(PathBuf::from(a)),
        }
    }
    Ok(Args { command, flags, files })
}

impl Args {
    fn get(&self, k: &str) -> Result<&str, CliError> {
        self.flags.get(k).map(String::as_str).ok_or_else(|| usage(format!("--{k} is required")))
    }
    fn uuid(&self, k: &str) -> Result<Uuid, CliError> {
        Uuid::parse_str(self.get(k)?).map_err(|e| usage(format!("--{k}: {e}")))
    }
    fn server(&self) -> Result<String, CliError> {
        Ok(parse_server_url(self.get("server")?)?.as_str().to_string())
    }
}

/// Who the token belongs to, asked again while the server cannot answer (as the worker
/// retries), so a drain started during an outage waits instead of failing.
async fn who(client: &ApiClient) -> Result<clinicdocs_core::api::Me, CliError> {
    let mut attempts = 0;
    loop {
        match client.me().await {
            Ok(me) => return Ok(me),
            Err(e) if worker::disposition(&e) == worker::Disposition::Retry => {
                eprintln!("clinicdocs-queue: {} (trying again)", e.message);
                tokio::time::sleep(worker::backoff(attempts, rand::random())).await;
                attempts += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

async fn run() -> Result<(), CliError> {
    let a = args()?;
    let queue = Queue::open(&PathBuf::from(a.get("dir")?)).await?;
    match a.command.as_str() {
        "add" => {
            let category = Category::parse(a.get("category")?).ok_or_else(|| usage("unknown --category"))?;
            // --batch N: every N files form one all-or-nothing batch, as a drop does.
            let per_batch: usize = match a.flags.get("batch") {
                Some(n) => n.parse().map_err(|_| usage("--batch takes a number of files"))?,
                None => 0,
            };
            let mut files = Vec::new();
            let mut batch = None;
            for (i, f) in a.files.iter().enumerate() {
                if per_batch > 0 && i % per_batch == 0 {
                    batch = Some(Uuid::new_v4());
                }
                let file_name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let to = HandOff {
                    server_url: a.server()?,
                    user_id: a.uuid("user")?,
                    patient_id: a.uuid("patient")?,
                    encounter_id: None,
                };
                let item = to.item(category, title_from_file_name(&file_name), None, file_name, None, batch);
                files.push((f.clone(), item));
            }
            for q in queue.enqueue_many(files, now_ms()).await? {
                println!("queued {} {}", q.id, q.sha256);
            }
        }
        "import" => {
            // What a drop on the window does once the receptionist presses Send, with one type
            // and file names as titles: the same review and the same queue rows.
            let category = Category::parse(a.get("category")?).ok_or_else(|| usage("unknown --category"))?;
            // The clinic's own limits, as the window would have them from `/me`.
            let token = std::env::var("CLINICDOCS_TOKEN").ok();
            let client = ApiClient::new(parse_server_url(a.get("server")?)?, token)?;
            let limits = who(&client).await?.org.limits;
            let dropped = a.files.clone();
            let (files, skipped) = tokio::task::spawn_blocking(move || review(&dropped, &limits))
                .await
                .map_err(|e| usage(format!("the files could not be read: {e}")))?;
            for s in &skipped {
                println!("skipped {}: {}", s.path, s.reason);
            }
            let chosen: Vec<Chosen> = files
                .into_iter()
                .map(|(path, content)| {
                    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    Chosen {
                        title: title_from_file_name(&file_name),
                        file_name,
                        problems: content.problems,
                        category,
                        path,
                    }
                })
                .collect();
            let to = HandOff {
                server_url: a.server()?,
                user_id: a.uuid("user")?,
                patient_id: a.uuid("patient")?,
                encounter_id: None,
            };
            let queued = queue.enqueue_many(queue_rows(&to, &chosen)?, now_ms()).await?;
            println!("queued {} files in {} batches", queued.len(), queued.len().div_ceil(MAX_BATCH_FILES));
        }
        "drain" => {
            let token = std::env::var("CLINICDOCS_TOKEN").map_err(|_| usage("set CLINICDOCS_TOKEN"))?;
            let client = ApiClient::new(parse_server_url(a.get("server")?)?, Some(token))?;
            // The same loop, limits and mark sending as the window's worker.
            let me = who(&client).await?;
            if me.user.id != a.uuid("user")? {
                return Err(usage("CLINICDOCS_TOKEN belongs to another user than --user"));
            }
            let session = Session { client, me };
            let versions = MarkVersions::default();
            Runner { queue: &queue, versions: &versions, host: Printer }.drain(&session).await?;
        }
        "check" => {
            let items = queue.list().await?;
            let count = |s: ItemState| items.iter().filter(|i| i.state == s).count();
            println!("integrity {}", queue.integrity_check().await?);
            println!(
                "waiting {} sending {} done {} refused {}",
                count(ItemState::Waiting),
                count(ItemState::Sending),
                count(ItemState::Done),
                count(ItemState::Refused)
            );
        }
        other => return Err(usage(format!("unknown command {other}"))),
    }
    queue.close().await;
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("clinicdocs-queue: {e}");
        std::process::exit(1);
    }
}
