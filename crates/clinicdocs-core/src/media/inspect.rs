//! Every upload check on a file's bytes held in memory: what the server checks, run by the
//! desktop app before sending so staff see a refusal before waiting for the network.

use super::{dicom::DicomFile, image_file, pdf, sniff, FileKind, MediaError};

/// What [`inspect_document`] learned about an acceptable file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspected {
    pub kind: FileKind,
    /// Pixel size of raster images.
    pub dimensions: Option<(u32, u32)>,
    /// Page count of PDFs (when the scan could see it) and of TIFFs.
    pub page_count: Option<i64>,
}

/// Refuses PDFs that nobody could open later: needing a password to open, or cut short. An
/// encrypted PDF that opens without one (only an owner password restricting printing or
/// editing) is accepted.
pub fn check_pdf_facts(facts: &pdf::PdfFacts) -> Result<(), MediaError> {
    if facts.needs_password {
        return Err(MediaError::PasswordProtectedPdf);
    }
    if !facts.complete {
        return Err(MediaError::Corrupt("the PDF ends early".into()));
    }
    Ok(())
}

/// The checks the server applies to an upload, on a file already in memory: the desktop app
/// runs them before sending so staff see a refusal before waiting for the network.
pub fn inspect_document(bytes: &[u8]) -> Result<Inspected, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let kind = sniff(&bytes[..bytes.len().min(sniff::SNIFF_LEN)])?;
    let mut out = Inspected { kind, dimensions: None, page_count: None };
    match kind {
        FileKind::Pdf => {
            let facts = pdf::scan_bytes(bytes);
            check_pdf_facts(&facts)?;
            out.page_count = facts.page_count;
        }
        k if k.is_decodable_image() => {
            out.dimensions = Some(image_file::inspect(bytes, k)?);
            if k == FileKind::Tiff {
                out.page_count = Some(image_file::page_count(bytes, k)? as i64);
            }
        }
        FileKind::Dicom => out.dimensions = DicomFile::parse(bytes)?.image.map(|i| (i.width, i.height)),
        _ => {}
    }
    Ok(out)
}
