//! Sending text messages (the portal's one-time codes) through a gateway: an HTTP webhook
//! (`CLINICDOCS_SMS_WEBHOOK`, JSON `{to, text}` to a provider or the clinic's own relay) or a
//! folder (`CLINICDOCS_SMS_FILE`, one JSON file per message, for tests and evaluation). A
//! failure says what went wrong in words for people, never the gateway's address.

use futures::future::BoxFuture;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// How long one send to the webhook may take, connection included.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("the text-message gateway refused it ({0})")]
    Refused(String),
    #[error("the text-message gateway could not be reached")]
    Unreachable,
    #[error("the message could not be written")]
    Write,
}

#[derive(Debug, thiserror::Error)]
pub enum SmsConfigError {
    #[error("CLINICDOCS_SMS_WEBHOOK is not an https:// URL (plain http is taken only to this machine): {0}")]
    Webhook(String),
    #[error("CLINICDOCS_SMS_FILE {0:?} is not a folder the server can write to: {1}")]
    Folder(PathBuf, String),
    #[error("set CLINICDOCS_SMS_WEBHOOK or CLINICDOCS_SMS_FILE, not both: codes go through one gateway")]
    Both,
}

/// A way of sending a text message to a mobile number.
pub trait SmsGateway: Send + Sync {
    /// Sends `text` to `to` (digits, with a leading `+` when international).
    fn send<'a>(&'a self, to: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), SmsError>>;
}

#[derive(Serialize)]
struct Message<'a> {
    to: &'a str,
    text: &'a str,
}

/// Posts each message as JSON `{to, text}` to a URL; any 2xx answer means sent.
pub struct Webhook {
    url: url::Url,
    http: reqwest::Client,
}

impl Webhook {
    /// A webhook posting to `url` (checked by the configuration to keep codes off the wire).
    pub fn new(url: url::Url) -> Result<Webhook, SmsConfigError> {
        let http = reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SmsConfigError::Webhook(e.to_string()))?;
        Ok(Webhook { url, http })
    }
}

impl SmsGateway for Webhook {
    fn send<'a>(&'a self, to: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), SmsError>> {
        Box::pin(async move {
            match self.http.post(self.url.clone()).json(&Message { to, text }).send().await {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => {
                    tracing::warn!(status = %r.status(), "the SMS webhook refused a message");
                    Err(SmsError::Refused(r.status().as_u16().to_string()))
                }
                Err(e) => {
                    // Without the URL: it may carry the gateway's key.
                    tracing::warn!(error = %e.without_url(), "the SMS webhook could not be reached");
                    Err(SmsError::Unreachable)
                }
            }
        })
    }
}

/// Writes each message as a JSON file `{to, text}` into a folder (written whole, then renamed
/// into place, so a reader never sees half a message).
pub struct FileSink {
    dir: PathBuf,
}

impl FileSink {
    pub fn new(dir: PathBuf) -> Result<FileSink, SmsConfigError> {
        std::fs::create_dir_all(&dir).map_err(|e| SmsConfigError::Folder(dir.clone(), e.to_string()))?;
        let probe = tempfile::NamedTempFile::new_in(&dir);
        probe.map_err(|e| SmsConfigError::Folder(dir.clone(), e.to_string()))?;
        Ok(FileSink { dir })
    }
}

impl SmsGateway for FileSink {
    fn send<'a>(&'a self, to: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), SmsError>> {
        Box::pin(async move {
            let body = serde_json::to_vec_pretty(&Message { to, text }).map_err(|_| SmsError::Write)?;
            let name = format!("{}-{}.json", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"), uuid::Uuid::new_v4());
            let (dir, final_path) = (self.dir.clone(), self.dir.join(name));
            let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let mut tmp = tempfile::Builder::new().prefix(".sending-").tempfile_in(&dir)?;
                std::io::Write::write_all(&mut tmp, &body)?;
                tmp.persist(&final_path).map_err(|e| e.error)?;
                Ok(())
            })
            .await;
            match written {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "an SMS could not be written to the folder");
                    Err(SmsError::Write)
                }
                Err(_) => Err(SmsError::Write),
            }
        })
    }
}

/// The number to text for a phone number as the clinic typed it (digits, with a leading `+`
/// kept), or `None` when it has too few digits to be a mobile number.
pub fn sms_number(phone: &str) -> Option<String> {
    let phone = phone.trim();
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if !(6..=15).contains(&digits.len()) {
        return None;
    }
    Some(if phone.starts_with('+') { format!("+{digits}") } else { digits })
}

/// The last two digits of a number, for telling the recipient where the code went.
pub fn number_hint(number: &str) -> String {
    let tail: String = number.chars().rev().take(2).collect::<Vec<_>>().into_iter().rev().collect();
    format!("••• {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_digits_and_plus_and_refuse_what_is_too_short() {
        assert_eq!(sms_number("+44 (0)7700 900-123").as_deref(), Some("+4407700900123"));
        assert_eq!(sms_number("0612 34 56 78").as_deref(), Some("0612345678"));
        assert_eq!(sms_number("12-34"), None);
        assert_eq!(sms_number("1234567890123456"), None);
        assert_eq!(number_hint("+4407700900123"), "••• 23");
    }

    /// A webhook receiver on loopback: records what it is sent, answers `status`.
    async fn receiver(status: u16) -> (url::Url, std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>) {
        use axum::{extract::State, http::StatusCode, routing::post, Json, Router};
        type Got = std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>;
        let got: Got = Default::default();
        let app = Router::new()
            .route(
                "/sms",
                post(move |State(got): State<Got>, Json(v): Json<serde_json::Value>| async move {
                    got.lock().expect("lock").push(v);
                    StatusCode::from_u16(status).expect("status")
                }),
            )
            .with_state(got.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = url::Url::parse(&format!("http://{}/sms", listener.local_addr().expect("addr"))).expect("url");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, got)
    }

    #[tokio::test]
    async fn the_webhook_posts_to_and_text_as_json_and_reports_a_refusal_or_no_answer() {
        let (url, got) = receiver(202).await;
        Webhook::new(url).expect("webhook").send("+4407700900123", "123456 is your code").await.expect("sent");
        assert_eq!(
            *got.lock().expect("lock"),
            vec![serde_json::json!({"to": "+4407700900123", "text": "123456 is your code"})]
        );

        let (url, _) = receiver(503).await;
        let refused = Webhook::new(url).expect("webhook").send("0612345678", "x").await;
        assert!(matches!(refused, Err(SmsError::Refused(ref s)) if s == "503"), "{refused:?}");

        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = url::Url::parse(&format!("http://{}/sms", closed.local_addr().expect("addr"))).expect("url");
        drop(closed);
        let gone = Webhook::new(url).expect("webhook").send("0612345678", "x").await;
        assert!(matches!(gone, Err(SmsError::Unreachable)), "{gone:?}");
    }

    #[tokio::test]
    async fn the_file_sink_writes_one_whole_json_file_per_message() {
        let dir = tempfile::tempdir().expect("dir");
        let sink = FileSink::new(dir.path().join("sms")).expect("sink");
        sink.send("+4407700900123", "123456 is your code").await.expect("sent");
        sink.send("0612345678", "654321 is your code").await.expect("sent");
        let mut files: Vec<_> =
            std::fs::read_dir(dir.path().join("sms")).expect("read").map(|e| e.expect("entry").path()).collect();
        files.sort();
        assert_eq!(files.len(), 2, "{files:?}");
        let first: serde_json::Value = serde_json::from_slice(&std::fs::read(&files[0]).expect("file")).expect("json");
        assert_eq!(first["to"], "+4407700900123");
        assert_eq!(first["text"], "123456 is your code");
    }
}
