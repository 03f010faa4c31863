//! Sending email (the share links) through the clinic's mail server: SMTP over tokio with
//! rustls, configured by one URL (`smtp://host:25`, `smtp://host:587?tls=required`,
//! `smtps://user:pass@host`). A failure says what went wrong in words a doctor can pass on,
//! never the server's address or credentials.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How long one send may take, connection included.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// One message: to whom, and what it says in plain text and in HTML.
#[derive(Clone)]
pub struct Letter {
    pub to_name: String,
    pub to_email: String,
    /// The sender's display name (the clinic's).
    pub from_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for Letter {
    // The body carries a secret link: it never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Letter")
            .field("to_email", &self.to_email)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the recipient's address {0:?} is not one the mail server can send to")]
    Address(String),
    #[error("the mail server refused it ({0})")]
    Refused(String),
    #[error("the mail server is busy or refused it for now; try again in a few minutes")]
    Transient,
    #[error("the mail server could not be reached")]
    Unreachable,
    #[error("the message could not be put together")]
    Build,
}

#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("CLINICDOCS_SMTP_URL is not a mail server URL (write it like smtp://127.0.0.1:2525 or smtps://user:pass@mail.example.org): {0}")]
    Url(String),
    #[error("CLINICDOCS_MAIL_FROM {0:?} is not an email address (e.g. documents@northside-clinic.org)")]
    From(String),
    #[error("CLINICDOCS_SMTP_URL is set but CLINICDOCS_MAIL_FROM is not: set the address share emails come from")]
    NoFrom,
    #[error("share links would go out as {0}/share/…, which carries each link's secret unencrypted: set CLINICDOCS_PUBLIC_URL to the server's https:// address")]
    PlainLinks(String),
}

/// The mail server connection pool and the address mail comes from.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::Address,
}

impl Mailer {
    /// A mailer for `url` sending from `from`.
    pub fn new(url: &str, from: Option<&str>) -> Result<Mailer, MailConfigError> {
        let from = from.map(str::trim).filter(|f| !f.is_empty()).ok_or(MailConfigError::NoFrom)?;
        let from: lettre::Address = from.parse().map_err(|_| MailConfigError::From(from.to_string()))?;
        // The error names the URL's fault, not the URL (it may carry a password).
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.trim())
            .map_err(|e| MailConfigError::Url(e.to_string()))?;
        Ok(Mailer { transport: builder.timeout(Some(SEND_TIMEOUT)).build(), from })
    }

    /// Sends `letter`; an error says why in words for people.
    pub async fn send(&self, letter: &Letter) -> Result<(), MailError> {
        let to: lettre::Address = letter.to_email.parse().map_err(|_| MailError::Address(letter.to_email.clone()))?;
        let message = Message::builder()
            .from(Mailbox::new(Some(letter.from_name.clone()), self.from.clone()))
            .to(Mailbox::new(Some(letter.to_name.clone()), to))
            .subject(letter.subject.clone())
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(letter.text.clone()))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(letter.html.clone())),
            )
            .map_err(|_| MailError::Build)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, "an email could not be sent");
                Err(if e.is_permanent() {
                    MailError::Refused(e.status().map(|c| c.to_string()).unwrap_or_else(|| "no reason given".into()))
                } else if e.is_transient() {
                    MailError::Transient
                } else {
                    MailError::Unreachable
                })
            }
        }
    }
}
