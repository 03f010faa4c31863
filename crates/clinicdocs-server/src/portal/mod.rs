//! The sharing portal's rules: a link's token names a share (by its hash), which works once
//! its email went out, until revoked, and — unless opened — only until it expires unused. A
//! wrong, tampered, unsent or revoked link is refused the same way, whatever the reason; an
//! expired one says so. Each document of the share is offered as the original, as a picture
//! the browser can show (DICOM, TIFF and BMP drawn by the server) and, for pictures, as a PDF;
//! every delivery is audited in the share's clinic. A clinic may also ask for a code texted to
//! the recipient first (`code`).

mod code;
mod error;
mod link;
mod page;
mod render;

pub use code::{send as send_code, verify as verify_code, Pass};
pub use error::PortalError;
pub use page::{code_page, refusal_page, reload_page, CodeAsk, CodeStep, Refusal, CSP};

use crate::db::audit::NewAuditEvent;
use crate::db::documents::DocumentRow;
use crate::db::shares::ShareRow;
use crate::state::AppState;
use bytes::Bytes;
use clinicdocs_core::audit::{AuditAction, AuditTarget};
use clinicdocs_core::media::FileKind;
use clinicdocs_core::names::download_file_name;
use page::{share_page, Inline, PortalDocument};
use render::Shown;
use uuid::Uuid;

/// An open share: its row, its clinic's name, and its live documents.
pub struct Opened {
    pub share: ShareRow,
    pub clinic: String,
    pub documents: Vec<DocumentRow>,
}

/// Checks a link (and, where the clinic asks for one, the browser's pass from the SMS code)
/// and notes the open (audited the first time, then at most once an hour).
pub async fn open(
    state: &AppState,
    token: &str,
    pass: Option<&str>,
    addr: Option<String>,
) -> Result<Opened, PortalError> {
    let checked = link::check(state, token).await?;
    if code::required(state, checked.org.id).await? && !code::passed(state, &checked, pass).await? {
        return Err(code::ask(state, &checked, CodeStep::Ask).await?);
    }
    let link::Checked { share, org, hash } = checked;
    let now = state.now();
    // The checks again, in one step with noting the open: a resend or a revoke since the
    // read above wins.
    if !state.db.shares().admit(share.id, &hash, now).await? {
        return Err(PortalError::NotFound);
    }
    if state.db.shares().note_visit(share.id, now).await? {
        state
            .audit(NewAuditEvent {
                org_id: Some(share.org_id),
                target_id: Some(share.id.to_string()),
                detail: Some(format!("by {}", share.recipient_email)),
                remote_addr: addr,
                ..NewAuditEvent::new(AuditAction::ShareOpened, AuditTarget::Share)
            })
            .await?;
    }
    let clinic = org.name;
    let mut documents = Vec::new();
    for d in state.db.shares().documents(share.id, true).await? {
        if let Some(row) = state.db.documents().get(share.org_id, d.id).await? {
            documents.push(row);
        }
    }
    Ok(Opened { share, clinic, documents })
}

/// What a document is delivered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The file as stored, to save.
    Original,
    /// Something the browser shows inline: the picture (drawn by the server where needed) or
    /// the PDF.
    View,
    /// A picture as a one-page PDF.
    Pdf,
    /// Page N (from 1) of a PDF, drawn as a picture.
    Page(u16),
}

impl Variant {
    pub fn parse(s: &str) -> Option<Variant> {
        match s {
            "original" => Some(Variant::Original),
            "view" => Some(Variant::View),
            "pdf" => Some(Variant::Pdf),
            _ => {
                let n = s.strip_prefix("page-")?;
                // Digits only: no sign, no spaces, no leading zeros.
                (!n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| n.parse().ok().map(Variant::Page))?
            }
        }
    }
    fn describe(self) -> String {
        match self {
            Variant::Original => "original".into(),
            Variant::View => "view".into(),
            Variant::Pdf => "as PDF".into(),
            Variant::Page(n) => format!("page {n}"),
        }
    }
}

/// A delivery: its bytes (or the stored object to stream) and how to name them to the browser.
pub struct Delivery {
    pub content_type: String,
    pub disposition: String,
    pub body: Body,
}

pub enum Body {
    Bytes(Bytes),
    /// The stored object, opened (its bytes still to be streamed), `size` bytes.
    Stored {
        got: object_store::GetResult,
        size: u64,
    },
    /// The stored object under this key, not yet opened.
    Object {
        key: String,
        size: u64,
    },
}

/// Delivers one document of a share; audited as received by the recipient.
pub async fn deliver(
    state: &AppState,
    token: &str,
    document: Uuid,
    variant: Variant,
    pass: Option<&str>,
    addr: Option<String>,
) -> Result<Delivery, PortalError> {
    let opened = open(state, token, pass, addr.clone()).await?;
    let doc = opened.documents.into_iter().find(|d| d.doc.id == document).ok_or(PortalError::NotFound)?;
    let kind = FileKind::from_mime(&doc.doc.content_type);
    let name = |ext: &str| download_file_name(&doc.doc.title, ext);
    let stored = |disposition: &str| Delivery {
        content_type: doc.doc.content_type.clone(),
        disposition: format!("{disposition}; filename=\"{}\"", name(kind.map_or("bin", FileKind::ext))),
        body: Body::Object { key: doc.storage_key.clone(), size: doc.doc.file_size as u64 },
    };
    let delivery = match (variant, render::shown(kind)) {
        (Variant::Original, _) => stored("attachment"),
        (Variant::View, Shown::AsStored | Shown::Pages) => stored("inline"),
        (Variant::Page(n), Shown::Pages) => Delivery {
            content_type: "image/jpeg".into(),
            disposition: format!(
                "inline; filename=\"{}\"",
                download_file_name(&format!("{} page {n}", doc.doc.title), "jpg")
            ),
            body: Body::Bytes(render::pdf_page(state, &doc, n).await?.into()),
        },
        (Variant::Page(_), _) => return Err(PortalError::NotFound),
        (Variant::View, Shown::Drawn(k)) => Delivery {
            content_type: "image/jpeg".into(),
            disposition: format!("inline; filename=\"{}\"", name("jpg")),
            body: Body::Bytes(render::picture(state, &doc, k).await?.jpeg.into()),
        },
        (Variant::View | Variant::Pdf, Shown::Not(why)) => return Err(PortalError::NotShown(why.into())),
        (Variant::Pdf, Shown::AsStored | Shown::Drawn(_) | Shown::Pages) => match kind {
            Some(k) if k != FileKind::Pdf => Delivery {
                content_type: "application/pdf".into(),
                disposition: format!("attachment; filename=\"{}\"", name("pdf")),
                body: Body::Bytes(render::picture(state, &doc, k).await?.pdf().into()),
            },
            // A PDF is its own PDF: the original.
            _ => stored("attachment"),
        },
    };
    // Opened before the delivery is audited: a store that fails delivers nothing.
    let delivery = match delivery.body {
        Body::Object { key, size } => {
            let got = state.storage.get(&key, None).await.map_err(crate::error::ApiError::from)?;
            Delivery { body: Body::Stored { got, size }, ..delivery }
        }
        _ => delivery,
    };
    state
        .audit(NewAuditEvent {
            org_id: Some(opened.share.org_id),
            target_id: Some(doc.doc.id.to_string()),
            detail: Some(format!(
                "{} to {} (share {})",
                variant.describe(),
                opened.share.recipient_email,
                opened.share.id
            )),
            remote_addr: addr,
            ..NewAuditEvent::new(AuditAction::ShareDownloaded, AuditTarget::Document)
        })
        .await?;
    Ok(delivery)
}

/// What a file is, in the recipient's words.
fn kind_label(kind: Option<FileKind>) -> &'static str {
    match kind {
        Some(FileKind::Pdf) => "PDF",
        Some(FileKind::Jpeg) => "JPEG picture",
        Some(FileKind::Png) => "PNG picture",
        Some(FileKind::Tiff) => "TIFF picture",
        Some(FileKind::Webp) => "WebP picture",
        Some(FileKind::Bmp) => "BMP picture",
        Some(FileKind::Heic) => "HEIC photo",
        Some(FileKind::Dicom) => "DICOM image",
        None => "file",
    }
}

/// The share page of an open share reached through `token`.
pub fn page(opened: &Opened, token: &str) -> String {
    let docs: Vec<PortalDocument> = opened
        .documents
        .iter()
        .map(|d| {
            let base = format!("/share/{token}/documents/{}", d.doc.id);
            let kind = FileKind::from_mime(&d.doc.content_type);
            let shown = render::shown(kind);
            let inline = match shown {
                Shown::Pages => {
                    let count = d.doc.page_count.unwrap_or(1).max(1);
                    Inline::Pages {
                        pages: (1..=count.min(render::PAGES_SHOWN)).map(|n| format!("{base}/page-{n}")).collect(),
                        count,
                        pdf: format!("{base}/view"),
                    }
                }
                Shown::AsStored if kind == Some(FileKind::Pdf) => Inline::Pdf(format!("{base}/view")),
                Shown::AsStored | Shown::Drawn(_) => Inline::Picture(format!("{base}/view")),
                Shown::Not(why) => Inline::Not(why.to_string()),
            };
            let picture = !matches!(shown, Shown::Not(_)) && kind != Some(FileKind::Pdf);
            PortalDocument {
                title: d.doc.title.clone(),
                category: d.doc.category.label(),
                kind: kind_label(kind),
                size: d.doc.file_size as u64,
                pages: d.doc.page_count,
                inline,
                original: format!("{base}/original"),
                as_pdf: picture.then(|| format!("{base}/pdf")),
            }
        })
        .collect();
    let shared_on = opened.share.sent_at.unwrap_or(opened.share.created_at).format("%-d %B %Y").to_string();
    share_page(&opened.clinic, &opened.share.created_by_name, &shared_on, &docs)
}
