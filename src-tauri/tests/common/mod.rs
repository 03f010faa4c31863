//! The real clinic server in this test process (SQLite and local files in a temp folder, demo
//! data, a clock the test can move) and a doctor signed in to it.

// Each test file uses part of these helpers.
#![allow(dead_code)]

use chrono::{Duration as Span, Utc};
use clap::Parser;
use clinicdocs_desktop::api_client::{parse_server_url, ApiClient};
use clinicdocs_server::config::{Cli, Command};
use clinicdocs_server::state::Clock;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub struct Server {
    pub url: String,
    /// Seconds added to the server's clock.
    pub skew: Arc<AtomicI64>,
    addr: SocketAddr,
    state: clinicdocs_server::state::AppState,
    running: Mutex<Option<Running>>,
    _dir: tempfile::TempDir,
}

struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

pub async fn server() -> Server {
    server_with(&[]).await
}

/// A server started with extra `serve` flags (other plan limits, say).
pub async fn server_with(flags: &[&str]) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut argv = vec!["clinicdocs-server", "serve", "--demo", "--data-dir", dir.path().to_str().expect("utf-8")];
    argv.extend_from_slice(flags);
    let cli = Cli::try_parse_from(argv).expect("flags");
    let Command::Serve(args) = cli.command else { panic!("serve") };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let url = format!("http://{addr}");
    let mut state = clinicdocs_server::server::open(&args.common, url.clone()).await.expect("open");
    let skew = Arc::new(AtomicI64::new(0));
    let s = skew.clone();
    state.clock = Clock::fixed(move || Utc::now() + Span::seconds(s.load(Ordering::SeqCst)));
    clinicdocs_server::demo::seed(&state).await.expect("demo data");
    let server = Server { url, skew, addr, state, running: Mutex::new(None), _dir: dir };
    server.serve(listener);
    server
}

impl Server {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let app =
            clinicdocs_server::routes::app(self.state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        *self.running.lock().expect("lock") = Some(Running { stop, task });
    }

    /// Stops accepting, closes idle connections and waits for requests in flight.
    pub async fn stop(&self) {
        let running = self.running.lock().expect("lock").take();
        if let Some(r) = running {
            let _ = r.stop.send(());
            let _ = r.task.await;
        }
    }

    /// Serves again on the same address and data.
    pub async fn start_again(&self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.expect("rebind the same port");
        self.serve(listener);
    }
}

/// A TCP proxy on loopback in front of `upstream` that, with probability `rate` (seeded), cuts
/// the connection when the server's answer arrives instead of passing it on: the server has
/// done the work, the client never hears. Returns its URL and the count of answers dropped.
pub async fn lossy_proxy(upstream: SocketAddr, rate: f64, seed: u64) -> (String, Arc<AtomicUsize>) {
    use rand::{Rng, SeedableRng};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let dropped = Arc::new(AtomicUsize::new(0));
    let rng = Arc::new(Mutex::new(rand::rngs::StdRng::seed_from_u64(seed)));
    let count = dropped.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (rng, count) = (rng.clone(), count.clone());
            tokio::spawn(async move {
                let Ok(up) = tokio::net::TcpStream::connect(upstream).await else { return };
                let (mut cr, mut cw) = client.into_split();
                let (mut ur, mut uw) = up.into_split();
                let forward = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut cr, &mut uw).await;
                    let _ = uw.shutdown().await;
                });
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match ur.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let cut = rng.lock().expect("lock").gen_bool(rate);
                    if cut {
                        count.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                    if cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                forward.abort();
            });
        }
    });
    (url, dropped)
}

pub async fn doctor(s: &Server) -> ApiClient {
    signed_in(s, "doctor@demo.clinic").await
}

/// A client signed in as one of the demo users (password `demo`).
pub async fn signed_in(s: &Server, email: &str) -> ApiClient {
    let c = ApiClient::new(parse_server_url(&s.url).expect("url"), None).expect("client");
    let login = c.login(email, "demo").await.expect("login");
    c.with_token(login.token)
}
