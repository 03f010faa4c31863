//! Serving HTTP/1 connections with the limits an open network needs. A client that sends
//! nothing for [`ConnectionLimits::idle`] while the server waits for its request headers or
//! body is cut off (an upload stalled half-way fails and stores nothing), and so is one that
//! reads nothing for as long while the server writes its answer; one address holds at most
//! [`ConnectionLimits::per_address`] connections at once, and all together at most
//! [`ConnectionLimits::total`] (one more is answered `503` and closed); on shutdown the server stops accepting, lets the requests in flight finish — an
//! upload still arriving completes — for up to [`ConnectionLimits::grace`], then returns.

use crate::client_addr::{ClientIp, TrustedProxies};
use axum::body::Body;
use axum::Router;
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// How long a refused connection's `503` may take to write before it is dropped.
const REFUSAL_WRITE_TIMEOUT: Duration = Duration::from_secs(1);
/// At most one warning this often about refused connections (a flood would fill the log).
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);
/// The pause after an accept error that is not the client's (e.g. out of file descriptors).
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// How long the server waits for a client's next bytes of headers or body.
    pub idle: Duration,
    /// Connections one address may hold open at once.
    pub per_address: usize,
    /// Connections open at once, all addresses together.
    pub total: usize,
    /// How long shutdown waits for requests in flight.
    pub grace: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes, then drains (see the module).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    proxies: TrustedProxies,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let open = OpenConnections::default();
    let tracker = TaskTracker::new();
    let (stop, stopping) = watch::channel(false);
    let (mut refused, mut last_warning) = (0_u64, None::<Instant>);
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) if is_client_error(&e) => continue,
                Err(e) => {
                    tracing::error!("cannot accept a connection: {e}");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        match open.take(addr.ip(), limits.per_address, limits.total) {
            Some(slot) => {
                let _ = stream.set_nodelay(true);
                let conn =
                    connection(stream, addr, router.clone(), proxies.clone(), limits.idle, stopping.clone(), slot);
                tracker.spawn(conn);
            }
            None => {
                refused += 1;
                if last_warning.is_none_or(|t| t.elapsed() >= REFUSAL_LOG_EVERY) {
                    tracing::warn!(
                        client = %addr.ip(),
                        per_address = limits.per_address,
                        total = limits.total,
                        refused,
                        "too many connections, from this address or in all (refused since the last warning: {refused})"
                    );
                    (refused, last_warning) = (0, Some(Instant::now()));
                }
                tracker.spawn(refuse(stream));
            }
        }
    }
    drop(listener);
    let _ = stop.send(true);
    tracker.close();
    if tokio::time::timeout(limits.grace, tracker.wait()).await.is_err() {
        tracing::warn!(
            connections = tracker.len(),
            "requests still in flight after {} s; stopping anyway",
            limits.grace.as_secs()
        );
    }
    Ok(())
}

/// Errors of one client's connection attempt, not of the listener.
fn is_client_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}

async fn connection(
    stream: TcpStream,
    addr: SocketAddr,
    router: Router,
    proxies: TrustedProxies,
    idle: Duration,
    mut stopping: watch::Receiver<bool>,
    _slot: Slot,
) {
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let mut req = req.map(|b| Body::new(IdleTimeoutBody::new(b, idle)));
        let client = proxies.client_of(addr.ip(), req.headers());
        req.extensions_mut().insert(ClientIp(client));
        router.clone().oneshot(req)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(idle)
        .serve_connection(TokioIo::new(WriteTimeout::new(stream, idle)), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(client = %addr.ip(), "connection ended: {e}");
            }
            return;
        }
        _ = stopping.wait_for(|s| *s) => {}
    }
    // Finish the request in flight (if any), then close.
    conn.as_mut().graceful_shutdown();
    if let Err(e) = conn.await {
        tracing::debug!(client = %addr.ip(), "connection ended during shutdown: {e}");
    }
}

/// The answer to a connection over its address's limit, written before closing it.
async fn refuse(mut stream: TcpStream) {
    let body = r#"{"error":{"code":"too_many_connections","message":"Too many connections from your address or to this server; try again in a moment."}}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(REFUSAL_WRITE_TIMEOUT, async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

/// Open connections per client address, and in all.
#[derive(Clone, Default)]
struct OpenConnections(Arc<Mutex<Counts>>);

#[derive(Default)]
struct Counts {
    by_address: HashMap<IpAddr, usize>,
    total: usize,
}

impl OpenConnections {
    /// A slot for one more connection from `ip`, unless it already holds `limit` or the server
    /// `total`. IPv6 addresses count by their /64 (one subscriber's network), or one client
    /// would have 2^64.
    fn take(&self, ip: IpAddr, limit: usize, total: usize) -> Option<Slot> {
        let ip = match ip {
            IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
            v4 => v4,
        };
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if open.total >= total {
            return None;
        }
        let n = open.by_address.entry(ip).or_insert(0);
        if *n >= limit {
            return None;
        }
        *n += 1;
        open.total += 1;
        Some(Slot { open: self.clone(), ip })
    }
}

/// One open connection, counted until dropped.
struct Slot {
    open: OpenConnections,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.0.lock().unwrap_or_else(|p| p.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_address.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.by_address.remove(&self.ip);
            }
        }
    }
}

/// The client sent no bytes of the request body for the idle limit.
#[derive(Debug, thiserror::Error)]
#[error("the client sent nothing for {0:?}")]
pub struct BodyIdle(Duration);

/// A request body that fails once the client has sent nothing for `idle` while the server was
/// waiting for it (time the server spends elsewhere does not count).
pub struct IdleTimeoutBody<B> {
    inner: B,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    waiting: bool,
}

impl<B> IdleTimeoutBody<B> {
    pub fn new(inner: B, idle: Duration) -> Self {
        IdleTimeoutBody { inner, idle, deadline: Box::pin(tokio::time::sleep(idle)), waiting: false }
    }
}

impl<B> HttpBody for IdleTimeoutBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.waiting = false;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                if !this.waiting {
                    this.waiting = true;
                    this.deadline.as_mut().reset(Instant::now() + this.idle);
                }
                match this.deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(BodyIdle(this.idle).into()))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A connection's socket that gives up on a client that stops reading: a write that cannot
/// make progress for `idle` fails, and the connection closes (a download to a client that
/// went away, or one that reads nothing on purpose, frees its slot and its buffers).
pub struct WriteTimeout<S> {
    inner: S,
    idle: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> WriteTimeout<S> {
    pub fn new(inner: S, idle: Duration) -> Self {
        WriteTimeout { inner, idle, stalled: None }
    }

    /// After a write attempt: progress clears the clock; waiting starts it, and fails once it
    /// has run for the limit.
    fn after<T>(&mut self, cx: &mut Context<'_>, attempt: Poll<std::io::Result<T>>) -> Poll<std::io::Result<T>> {
        match attempt {
            Poll::Ready(done) => {
                self.stalled = None;
                Poll::Ready(done)
            }
            Poll::Pending => {
                let idle = self.idle;
                let clock = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match clock.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("the client read nothing for {idle:?}"),
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for WriteTimeout<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for WriteTimeout<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let attempt = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.after(cx, attempt)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let attempt = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.after(cx, attempt)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let attempt = Pin::new(&mut this.inner).poll_flush(cx);
        this.after(cx, attempt)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let attempt = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.after(cx, attempt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn a_write_to_a_client_that_reads_nothing_fails_after_the_limit() {
        use tokio::io::AsyncWriteExt;
        let idle = Duration::from_millis(500);
        // A pipe whose reader never reads: its buffer fills, then writes wait.
        let (reader, writer) = tokio::io::duplex(1024);
        let mut conn = WriteTimeout::new(writer, idle);
        let started = std::time::Instant::now();
        let err = conn.write_all(&vec![7u8; 1 << 20]).await.expect_err("the write gives up");
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
        assert!(started.elapsed() >= idle - Duration::from_millis(50), "not before the limit: {:?}", started.elapsed());
        drop(reader);

        // A slow reader that keeps reading is not cut off, however long the whole write takes.
        let (mut reader, writer) = tokio::io::duplex(1024);
        let mut conn = WriteTimeout::new(writer, idle);
        let drain = tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut got = 0usize;
            let mut buf = [0u8; 512];
            loop {
                tokio::time::sleep(Duration::from_millis(20)).await;
                match reader.read(&mut buf).await {
                    Ok(0) | Err(_) => return got,
                    Ok(n) => got += n,
                }
            }
        });
        conn.write_all(&vec![7u8; 40 * 1024]).await.expect("a reader that keeps up is served");
        conn.shutdown().await.expect("shutdown");
        drop(conn);
        assert_eq!(drain.await.expect("drain"), 40 * 1024);
    }

    #[test]
    fn an_address_holds_at_most_its_limit_and_gets_slots_back() {
        let open = OpenConnections::default();
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        let first = open.take(a, 2, 100).expect("first");
        let _second = open.take(a, 2, 100).expect("second");
        assert!(open.take(a, 2, 100).is_none(), "a third is over the limit");
        assert!(open.take(b, 2, 100).is_some(), "another address is not affected");
        drop(first);
        assert!(open.take(a, 2, 100).is_some(), "a closed connection frees its slot");
        // One IPv6 network is one client, whichever of its addresses it uses.
        let v6 = |s: &str| s.parse::<IpAddr>().expect("ip");
        let _one = open.take(v6("2001:db8:1:2::1"), 1, 100).expect("first of the network");
        assert!(open.take(v6("2001:db8:1:2:ffff::9"), 1, 100).is_none(), "same /64");
        assert!(open.take(v6("2001:db8:1:3::1"), 1, 100).is_some(), "another /64");
    }

    #[test]
    fn all_addresses_together_hold_at_most_the_servers_limit() {
        let open = OpenConnections::default();
        let ip = |n: u8| IpAddr::from([192, 0, 2, n]);
        let held: Vec<_> = (1..=3).map(|n| open.take(ip(n), 2, 3).expect("within the total")).collect();
        assert!(open.take(ip(4), 2, 3).is_none(), "a fourth address finds the server full");
        drop(held);
        assert!(open.take(ip(4), 2, 3).is_some(), "closed connections free the total too");
    }

    #[tokio::test]
    async fn a_body_fails_only_after_the_client_is_silent_for_the_limit() {
        let idle = Duration::from_millis(1000);
        let (mut tx, rx) = futures::channel::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(4);
        let mut body = IdleTimeoutBody::new(http_body_util::StreamBody::new(rx), idle);
        // Time before the server first waits for the body does not count.
        tokio::time::sleep(idle * 2).await;
        tx.try_send(Ok(Frame::data(Bytes::from_static(b"abc")))).expect("send");
        let frame = body.frame().await.expect("frame").expect("data");
        assert_eq!(frame.into_data().ok(), Some(Bytes::from_static(b"abc")));
        // Bytes within the limit keep it going…
        let sender = tokio::spawn(async move {
            tokio::time::sleep(idle / 4).await;
            tx.try_send(Ok(Frame::data(Bytes::from_static(b"d")))).expect("send");
            tokio::time::sleep(idle * 10).await;
            drop(tx);
        });
        assert!(body.frame().await.expect("frame").is_ok(), "a pause shorter than the limit is fine");
        // …and silence for the limit ends it.
        let started = std::time::Instant::now();
        let err = body.frame().await.expect("an error frame").expect_err("timed out");
        assert!(err.to_string().contains("sent nothing"), "{err}");
        assert!(started.elapsed() >= idle - Duration::from_millis(50), "not before the limit: {:?}", started.elapsed());
        sender.abort();
    }
}
