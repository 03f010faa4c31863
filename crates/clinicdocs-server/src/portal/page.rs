//! The portal's HTML: the share page (the clinic, who sent it, each document shown inline with
//! its downloads) and the refusal pages. No script and no outside asset: one inline style
//! sheet, allowed by its hash in the page's Content-Security-Policy, with a print style that
//! prints the documents and none of the page around them. Every text from the clinic is
//! escaped.

use crate::html::escape;
use base64::Engine;
use clinicdocs_core::limits::{format_bytes, SHARE_CODE_TTL};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const STYLE: &str = "\
:root { color-scheme: light; --ink: #1b1f24; --muted: #4a5360; --line: #d5dae1; --accent: #0b5cad; }\
* { box-sizing: border-box; }\
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: var(--ink); background: #f4f6f8; }\
header, main, footer { max-width: 60rem; margin: 0 auto; padding: 1rem; }\
header { padding-top: 1.5rem; }\
.clinic { margin: 0; font-weight: 600; color: var(--accent); }\
h1 { margin: .25rem 0; font-size: 1.6rem; }\
h2 { margin: 0 0 .25rem; font-size: 1.25rem; overflow-wrap: anywhere; }\
nav { margin: 0 0 1rem; }\
nav ol { margin: 0; padding-left: 1.25rem; }\
.doc { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin: 0 0 1rem; }\
.meta, .note, footer { color: var(--muted); }\
.meta { margin: 0 0 .75rem; }\
figure { margin: 0 0 .75rem; }\
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; background: #000; }\
figure.page img { background: #fff; border: 1px solid var(--line); }\
.actions { display: flex; flex-wrap: wrap; gap: .5rem; margin: 0; }\
.button { display: inline-block; padding: .6rem 1rem; border-radius: 6px; border: 1px solid var(--accent); color: var(--accent); text-decoration: none; font-weight: 600; }\
.button.primary { background: var(--accent); color: #fff; }\
a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }\
form { margin: 0 0 1rem; }\
label { display: block; font-weight: 600; margin: 0 0 .25rem; }\
input { font: inherit; font-size: 1.4rem; letter-spacing: .2em; width: 9em; max-width: 100%; padding: .4rem .6rem; border: 1px solid var(--muted); border-radius: 6px; }\
button { font: inherit; font-weight: 600; padding: .6rem 1rem; border-radius: 6px; border: 1px solid var(--accent); background: #fff; color: var(--accent); cursor: pointer; }\
button.primary { background: var(--accent); color: #fff; }\
.row { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; }\
.notice { padding: .75rem 1rem; border-radius: 6px; background: #e8f1fb; border: 1px solid #9cc3ea; }\
.notice.bad { background: #fdecea; border-color: #e5a29b; }\
@media print { body { background: #fff; } .chrome { display: none !important; } header, main { max-width: none; padding: 0; }\
 .doc { border: 0; padding: 0; break-after: page; } figure img { max-height: 92vh; width: auto; background: none; }\
 figure.page { break-after: page; } figure.page img { border: 0; } }";

/// The Content-Security-Policy of every portal page: nothing but its own style and pictures.
pub static CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; img-src 'self'; style-src 'sha256-{hash}'; form-action 'self'; base-uri 'none'; \
         frame-ancestors 'none'"
    )
});

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><meta name=\"robots\" content=\"noindex\">\
         <title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

/// How a document appears on the page.
pub enum Inline {
    /// A picture at this address.
    Picture(String),
    /// A PDF the browser opens at this address.
    Pdf(String),
    /// A PDF drawn page by page (`count` pages in all; `pages` the addresses of those shown),
    /// and the PDF itself for the browser's viewer.
    Pages { pages: Vec<String>, count: i64, pdf: String },
    /// Not shown; the sentence says why.
    Not(String),
}

/// One document of the share page.
pub struct PortalDocument {
    pub title: String,
    pub category: &'static str,
    pub kind: &'static str,
    pub size: u64,
    pub pages: Option<i64>,
    pub inline: Inline,
    pub original: String,
    /// "Download as PDF", for pictures.
    pub as_pdf: Option<String>,
}

/// The share page.
pub fn share_page(clinic: &str, sender: &str, shared_on: &str, docs: &[PortalDocument]) -> String {
    let e = escape;
    let what = if docs.len() == 1 { "a document".to_string() } else { format!("{} documents", docs.len()) };
    let mut body = format!(
        "<header><p class=\"clinic\">{clinic}</p><h1>Documents shared with you</h1>\
         <p>{sender} shared {what} with you on {shared_on}.</p></header><main>",
        clinic = e(clinic),
        sender = e(sender),
        shared_on = e(shared_on),
    );
    if docs.is_empty() {
        body.push_str(
            "<p class=\"doc\">The clinic has since removed these documents. Ask the clinic if you still need them.</p>",
        );
    }
    if docs.len() > 1 {
        body.push_str("<nav class=\"chrome\" aria-label=\"Documents\"><ol>");
        for (i, d) in docs.iter().enumerate() {
            body.push_str(&format!("<li><a href=\"#doc-{n}\">{}</a></li>", e(&d.title), n = i + 1));
        }
        body.push_str("</ol></nav>");
    }
    for (i, d) in docs.iter().enumerate() {
        let n = i + 1;
        let pages = match d.pages {
            Some(p) if p > 1 => format!(" · {p} pages"),
            _ => String::new(),
        };
        body.push_str(&format!(
            "<article class=\"doc\" id=\"doc-{n}\" aria-labelledby=\"doc-{n}-title\">\
             <h2 id=\"doc-{n}-title\">{title}</h2><p class=\"meta\">{category} · {kind} · {size}{pages}</p>",
            title = e(&d.title),
            category = e(d.category),
            kind = e(d.kind),
            size = e(&format_bytes(d.size)),
        ));
        match &d.inline {
            Inline::Picture(src) => body.push_str(&format!(
                "<figure><img src=\"{}\" alt=\"{}\"></figure>",
                e(src),
                e(&format!("{} ({})", d.title, d.category))
            )),
            Inline::Pages { pages, count, pdf } => {
                for (i, src) in pages.iter().enumerate() {
                    body.push_str(&format!(
                        "<figure class=\"page\"><img src=\"{}\" alt=\"{}\"></figure>",
                        e(src),
                        e(&format!("{}, page {} of {count}", d.title, i + 1))
                    ));
                }
                if (pages.len() as i64) < *count {
                    body.push_str(&format!(
                        "<p class=\"note\">Pages {} to {count} are not shown here: download the original to see them.</p>",
                        pages.len() + 1
                    ));
                }
                body.push_str(&format!(
                    "<p class=\"chrome\"><a class=\"button\" href=\"{}\">Open in the browser's PDF viewer</a></p>",
                    e(pdf)
                ));
            }
            Inline::Pdf(href) => body.push_str(&format!(
                "<p class=\"chrome\"><a class=\"button primary\" href=\"{}\">Open the PDF</a></p>",
                e(href)
            )),
            Inline::Not(why) => body.push_str(&format!("<p class=\"note\">{}</p>", e(why))),
        }
        body.push_str(&format!(
            "<p class=\"actions chrome\"><a class=\"button\" href=\"{}\" download>Download the original</a>",
            e(&d.original)
        ));
        if let Some(pdf) = &d.as_pdf {
            body.push_str(&format!("<a class=\"button\" href=\"{}\" download>Download as PDF</a>", e(pdf)));
        }
        body.push_str("</p></article>");
    }
    body.push_str(&format!(
        "</main><footer class=\"chrome\"><p>To print, use your browser's Print command (Ctrl+P; on a phone, Share → \
         Print): only the documents are printed.</p><p>This page is for you alone: anyone with its address can see \
         these documents, so do not forward it. The link keeps working until {} withdraws it.</p></footer>",
        e(clinic)
    ));
    document(&format!("Documents from {clinic}"), &body)
}

/// Where the recipient stands with the texted code, as the code page says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeStep {
    /// Asked for (none sent yet, or one is live).
    Ask,
    /// The entry was not 6 digits.
    Malformed,
    /// Wrong; this many tries left.
    Wrong(i64),
    /// Wrong, and the code is now void.
    Voided,
    /// No code can be entered now (none sent, expired, used or voided).
    NoCode,
    /// Three codes were sent in the last hour.
    TooMany,
    /// The gateway failed (the audit log says how).
    SendFailed,
    /// So many wrong codes were entered that the link takes no more.
    Locked,
    /// The clinic has no mobile number for the recipient.
    NoPhone,
    /// This server has no SMS gateway (any more).
    NoGateway,
}

/// What the code page shows.
#[derive(Debug, Clone)]
pub struct CodeAsk {
    pub clinic: String,
    /// The end of the number codes go to ("••• 23").
    pub hint: Option<String>,
    /// A code was sent and can still be entered.
    pub live: bool,
    /// The last code was voided by wrong tries.
    pub voided: bool,
    /// Minutes until another code can be sent, if not now.
    pub wait_minutes: Option<i64>,
    pub step: CodeStep,
}

impl CodeAsk {
    /// The HTTP status the page is answered with.
    pub fn status(&self) -> u16 {
        match self.step {
            CodeStep::Ask => 200,
            CodeStep::Malformed | CodeStep::Wrong(_) | CodeStep::Voided | CodeStep::NoCode => 400,
            CodeStep::TooMany => 429,
            CodeStep::SendFailed => 502,
            CodeStep::NoPhone | CodeStep::Locked => 403,
            CodeStep::NoGateway => 503,
        }
    }
}

/// The page asking for the texted code: who asks, where the code goes, the entry form once a
/// code is live, and the button that texts one.
pub fn code_page(a: &CodeAsk, token: &str) -> String {
    let e = escape;
    let blocked = matches!(a.step, CodeStep::NoPhone | CodeStep::NoGateway | CodeStep::Locked);
    let title = if blocked {
        "The documents cannot be shown"
    } else if a.live {
        "Enter the code sent to your mobile"
    } else {
        "Get a code to see the documents"
    };
    let mut body =
        format!("<header><p class=\"clinic\">{clinic}</p><h1>{title}</h1></header><main>", clinic = e(&a.clinic));
    let ttl = SHARE_CODE_TTL.as_secs() / 60;
    let phone = a.hint.as_deref().map(|h| format!("your mobile number ending {h}")).unwrap_or_default();
    let (notice, bad): (Option<String>, bool) = match &a.step {
        CodeStep::Ask if a.live => (
            Some(format!(
                "We texted a 6-digit code to {phone}. A code works once, for {ttl} minutes from when it was sent."
            )),
            false,
        ),
        CodeStep::Ask if a.voided => {
            (Some("The last code was entered wrong too often. Text yourself a new one.".into()), true)
        }
        CodeStep::Ask => (None, false),
        CodeStep::Malformed => (Some("The code is the 6 digits in the text message. Type them again.".into()), true),
        CodeStep::Wrong(left) => (
            Some(format!(
                "That code is not right. {left} {} left before it stops working.",
                if *left == 1 { "try" } else { "tries" }
            )),
            true,
        ),
        CodeStep::Voided => {
            (Some("That code is not right either, so it no longer works. Text yourself a new one.".into()), true)
        }
        CodeStep::NoCode => (
            Some(format!(
                "There is no code to enter just now: a code works once, for {ttl} minutes. Text yourself a new one."
            )),
            true,
        ),
        CodeStep::TooMany => (
            Some(format!(
                "Three codes were sent in the last hour, the most we send. You can ask for a new one in {}.{}",
                match a.wait_minutes {
                    Some(1) | None => "a minute".to_string(),
                    Some(m) => format!("{m} minutes"),
                },
                if a.live { " The last code still works." } else { "" }
            )),
            true,
        ),
        CodeStep::SendFailed => {
            (Some("The text message could not be sent just now. Try again in a few minutes.".into()), true)
        }
        CodeStep::Locked => (
            Some(format!(
                "Too many wrong codes were entered for this link, so it is locked to keep the documents safe. Ask {} \
                 to send it to you again.",
                a.clinic
            )),
            true,
        ),
        CodeStep::NoPhone => (
            Some(format!(
                "{} asks for a code sent by text message before showing these documents, but has no mobile number \
                 for you. Ask the clinic to add it and send the link again.",
                a.clinic
            )),
            true,
        ),
        CodeStep::NoGateway => (
            Some(
                "Codes cannot be sent by text message just now, so the documents cannot be shown. Try again later, or \
                 ask the clinic that sent the link."
                    .into(),
            ),
            true,
        ),
    };
    if !blocked {
        body.push_str(&format!(
            "<p>To keep patient documents safe, {} sends a code by text message to {phone} before showing \
             them.</p>",
            e(&a.clinic),
            phone = e(if phone.is_empty() { "your mobile" } else { &phone })
        ));
    }
    if let Some(n) = notice {
        let class = if bad { "notice bad" } else { "notice" };
        body.push_str(&format!("<p class=\"{class}\" role=\"{}\">{}</p>", if bad { "alert" } else { "status" }, e(&n)));
    }
    if a.live && !blocked {
        body.push_str(&format!(
            "<form method=\"post\" action=\"/share/{t}/verify\"><label for=\"code\">Code from the text message</label>\
             <p class=\"row\"><input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" \
             pattern=\"[0-9 -]*\" maxlength=\"12\" required autofocus>\
             <button class=\"primary\" type=\"submit\">Show the documents</button></p></form>",
            t = e(token)
        ));
    }
    if !blocked {
        let (label, note) = if a.live {
            (
                "Send a new code",
                "<p class=\"meta\">No text yet? Wait a minute first: a new code replaces the one on its way.</p>",
            )
        } else {
            ("Text me a code", "")
        };
        body.push_str(&format!(
            "<form method=\"post\" action=\"/share/{t}/code\">{note}<button{primary} type=\"submit\">{label}</button></form>",
            t = e(token),
            primary = if a.live { "" } else { " class=\"primary\"" }
        ));
    }
    body.push_str("</main>");
    document(&format!("{title} — {}", a.clinic), &body)
}

/// A page that reloads the share's page once, at once: a browser arriving from a link in an
/// email withholds its `SameSite=Strict` pass, and sends it when the page reloads from this
/// site. The reload's address says it is one (`?again`), so it never reloads twice.
pub fn reload_page(clinic: &str, token: &str) -> String {
    let again = format!("/share/{}?again", escape(token));
    let body = format!(
        "<main><p class=\"clinic\">{}</p><p>Opening the documents… If nothing happens, \
         <a href=\"{again}\">continue</a>.</p></main>",
        escape(clinic)
    );
    document(&format!("Documents from {clinic}"), &body).replacen(
        "<meta charset=\"utf-8\">",
        &format!("<meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={again}\">"),
        1,
    )
}

/// Why a page is refused, in the words the recipient sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotFound,
    Expired,
    NotShown,
    Busy,
    Failed,
    /// A document asked for before the texted code was entered.
    CodeFirst,
    /// A form posted from another site.
    CrossSite,
}

/// The page for a refused link (the same for every reason a link does not work).
pub fn refusal_page(r: Refusal, detail: Option<&str>) -> String {
    let (title, text) = match r {
        Refusal::NotFound => (
            "This link does not work",
            "The link may be incomplete, or the clinic may have withdrawn it. If you expected documents, ask the \
             clinic that sent it for a new link.",
        ),
        Refusal::Expired => (
            "This link has expired — ask the clinic to send it again",
            "A link that is not opened in time stops working, to keep patient documents safe. The clinic can send \
             you a new one.",
        ),
        Refusal::NotShown => {
            ("This document cannot be shown here", detail.unwrap_or("Download the original to open it."))
        }
        Refusal::Busy => (
            "The server is busy",
            "Many documents are being prepared right now. Wait a few seconds and reload the page.",
        ),
        Refusal::CodeFirst => (
            "Enter your code first",
            "The clinic asks for a code sent to your mobile before showing documents. Open the link from the email \
             again and enter the code.",
        ),
        Refusal::CrossSite => (
            "That request came from another site",
            "Nothing was done. Open the link from the email and use the buttons on its page.",
        ),
        Refusal::Failed => (
            "Something went wrong",
            "The documents could not be shown just now. Try again in a few minutes; if it keeps happening, tell the \
             clinic that sent the link.",
        ),
    };
    document(title, &format!("<main><h1>{}</h1><p>{}</p></main>", escape(title), escape(text)))
}
