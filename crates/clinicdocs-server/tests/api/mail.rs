//! A real SMTP server on loopback for the sharing stories: `scripts/lib/smtp_sink.py` (Debian's
//! python3-aiosmtpd, installed by `scripts/test.sh`), whose delivered messages are read back.

use serde::Deserialize;
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// One delivered message, its MIME parts decoded.
#[derive(Debug, Clone, Deserialize)]
pub struct Delivered {
    pub from: String,
    pub to: String,
    pub envelope_to: Vec<String>,
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
}

impl Delivered {
    /// The portal link in the plain-text part.
    pub fn link(&self) -> String {
        let text = self.text.as_deref().expect("a plain-text part");
        let start = text.find("http").expect("a link in the email");
        text[start..].split_whitespace().next().expect("link").to_string()
    }
}

pub struct SmtpSink {
    pub port: u16,
    pub folder: tempfile::TempDir,
    _child: Child,
}

fn python() -> &'static str {
    // Debian's interpreter, which has python3-aiosmtpd (a pyenv or venv `python3` may not).
    if std::path::Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let folder = tempfile::tempdir().expect("tempdir");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/lib/smtp_sink.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(folder.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the SMTP sink (python3-aiosmtpd)");
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        let port = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .expect("the SMTP sink did not start within 20 s (is python3-aiosmtpd installed?)")
            .expect("read")
            .expect("the SMTP sink printed its port")
            .trim()
            .parse()
            .expect("a port");
        SmtpSink { port, folder, _child: child }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message delivered so far, in order.
    pub fn messages(&self) -> Vec<Delivered> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.folder.path())
            .expect("read sink")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).expect("read message")).expect("message json"))
            .collect()
    }

    /// The raw messages, as received (to check what they do not contain).
    pub fn raw(&self) -> String {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.folder.path())
            .expect("read sink")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names.iter().map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("read")).into_owned()).collect()
    }
}
