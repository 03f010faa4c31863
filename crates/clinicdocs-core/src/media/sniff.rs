//! Content type from the first bytes of a file; the client's claim is never trusted.

use super::MediaError;

/// Accepted document formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Jpeg,
    Png,
    Tiff,
    Webp,
    /// Windows bitmaps, which scanners still write.
    Bmp,
    Heic,
    Dicom,
}

impl FileKind {
    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Tiff => "image/tiff",
            FileKind::Webp => "image/webp",
            FileKind::Bmp => "image/bmp",
            FileKind::Heic => "image/heic",
            FileKind::Dicom => "application/dicom",
        }
    }

    pub fn ext(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
            FileKind::Tiff => "tif",
            FileKind::Webp => "webp",
            FileKind::Bmp => "bmp",
            FileKind::Heic => "heic",
            FileKind::Dicom => "dcm",
        }
    }

    pub fn from_mime(m: &str) -> Option<FileKind> {
        [
            FileKind::Pdf,
            FileKind::Jpeg,
            FileKind::Png,
            FileKind::Tiff,
            FileKind::Webp,
            FileKind::Bmp,
            FileKind::Heic,
            FileKind::Dicom,
        ]
        .into_iter()
        .find(|k| k.mime() == m)
    }

    /// Whether the upload checks read the whole file (to decode it, or parse it), rather than
    /// only the bytes as they pass.
    pub fn checked_whole(self) -> bool {
        self.is_decodable_image() || self == FileKind::Dicom
    }

    /// Raster formats this crate can decode into a thumbnail.
    pub fn is_decodable_image(self) -> bool {
        matches!(
            self,
            FileKind::Jpeg | FileKind::Png | FileKind::Tiff | FileKind::Webp | FileKind::Bmp | FileKind::Heic
        )
    }
}

/// How many leading bytes `sniff` wants (DICOM's magic sits at offset 128).
pub const SNIFF_LEN: usize = 512;

const EXECUTABLES: &[(&[u8], &str)] = &[
    (b"\x7fELF", "a Linux ELF executable"),
    (b"MZ", "a Windows executable"),
    (b"\xfe\xed\xfa\xce", "a macOS executable"),
    (b"\xfe\xed\xfa\xcf", "a macOS executable"),
    (b"\xce\xfa\xed\xfe", "a macOS executable"),
    (b"\xcf\xfa\xed\xfe", "a macOS executable"),
    (b"\xca\xfe\xba\xbe", "a macOS or Java executable"),
    (b"#!", "a script"),
    (b"\0asm", "a WebAssembly module"),
];

const OTHER_KNOWN: &[(&[u8], &str)] = &[
    (b"PK\x03\x04", "a ZIP archive or Office file"),
    (b"\xd0\xcf\x11\xe0", "an old Office file"),
    (b"GIF8", "a GIF image"),
    (b"Rar!", "a RAR archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"{\\rtf", "an RTF document"),
];

/// Decides the file's kind from its first bytes (at least [`SNIFF_LEN`] when the file is that long).
pub fn sniff(head: &[u8]) -> Result<FileKind, MediaError> {
    if head.is_empty() {
        return Err(MediaError::Empty);
    }
    if let Some((_, what)) = EXECUTABLES.iter().find(|(m, _)| head.starts_with(m)) {
        return Err(MediaError::Executable(what));
    }
    // DICOM's magic sits after a 128-byte preamble that may be anything (often a TIFF header),
    // so it wins over every other format; a program in the preamble was refused above.
    if head.len() >= 132 && &head[128..132] == b"DICM" {
        return Ok(FileKind::Dicom);
    }
    if head.starts_with(b"%PDF-") {
        return Ok(FileKind::Pdf);
    }
    if head.starts_with(&[0xff, 0xd8, 0xff]) {
        return Ok(FileKind::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(FileKind::Png);
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Ok(FileKind::Tiff);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Ok(FileKind::Webp);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brand = &head[8..12];
        if [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"].iter().any(|b| brand == *b) {
            return Ok(FileKind::Heic);
        }
        return Err(MediaError::Unsupported("a video or other media file"));
    }
    // "BM", the file's size, four reserved bytes, then where the pixels start (past the
    // 14-byte file header and a DIB header of at least 12 bytes): two letters alone are text.
    if head.len() >= 26 && head.starts_with(b"BM") {
        let offset = u32::from_le_bytes([head[10], head[11], head[12], head[13]]);
        let dib = u32::from_le_bytes([head[14], head[15], head[16], head[17]]);
        if matches!(dib, 12 | 40 | 52 | 56 | 64 | 108 | 124) && offset >= 14 + dib {
            return Ok(FileKind::Bmp);
        }
    }
    if let Some((_, what)) = OTHER_KNOWN.iter().find(|(m, _)| head.starts_with(m)) {
        return Err(MediaError::Unsupported(what));
    }
    Err(MediaError::Unsupported("unknown"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scanners_bmp_is_a_picture_and_two_letters_of_text_are_not() {
        let img = image::RgbImage::from_pixel(3, 2, image::Rgb([10, 20, 30]));
        let mut bmp = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img).write_to(&mut bmp, image::ImageFormat::Bmp).expect("bmp");
        let bmp = bmp.into_inner();
        assert_eq!(sniff(&bmp), Ok(FileKind::Bmp));
        assert_eq!(crate::media::inspect_document(&bmp).map(|i| i.dimensions), Ok(Some((3, 2))));
        assert_eq!(
            sniff(b"BM is how the minutes of the board meeting begin, in plain text."),
            Err(MediaError::Unsupported("unknown"))
        );
        let mut big = image::RgbImage::new(200, 100);
        big.pixels_mut().enumerate().for_each(|(i, p)| *p = image::Rgb([i as u8, 7, 9]));
        let mut cut = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(big).write_to(&mut cut, image::ImageFormat::Bmp).expect("bmp");
        let cut = &cut.into_inner()[..30_000];
        assert!(crate::media::inspect_document(cut).is_err(), "a BMP cut short is refused");
    }

    #[test]
    fn documents_are_recognised_by_their_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Ok(FileKind::Pdf));
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0, 0, 0]), Ok(FileKind::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Ok(FileKind::Png));
        let mut dicom = vec![0u8; 128];
        dicom.extend_from_slice(b"DICM\x02\0");
        assert_eq!(sniff(&dicom), Ok(FileKind::Dicom));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Ok(FileKind::Heic));
    }

    #[test]
    fn dicom_whose_preamble_is_a_tiff_header_is_dicom() {
        // Dual-personality files (dcmtk, several vendors) start with a TIFF header.
        let mut file = b"II*\0\x08\0\0\0".to_vec();
        file.resize(128, 0);
        file.extend_from_slice(b"DICM\x02\0");
        assert_eq!(sniff(&file), Ok(FileKind::Dicom));
    }

    #[test]
    fn dicom_whose_preamble_is_a_program_is_refused() {
        // A Windows program in the preamble runs when the file is renamed (CVE-2019-11687).
        let mut file = b"MZ\x90\0".to_vec();
        file.resize(128, 0);
        file.extend_from_slice(b"DICM\x02\0");
        assert!(matches!(sniff(&file), Err(MediaError::Executable(_))));
    }

    #[test]
    fn executables_are_refused_whatever_their_name() {
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01"), Err(MediaError::Executable("a Linux ELF executable")));
        assert!(matches!(sniff(b"MZ\x90\0"), Err(MediaError::Executable(_))));
        assert!(matches!(sniff(b"#!/bin/sh\nrm -rf /"), Err(MediaError::Executable(_))));
    }

    #[test]
    fn empty_and_unknown_files_are_refused() {
        assert_eq!(sniff(b""), Err(MediaError::Empty));
        assert!(matches!(sniff(b"hello world"), Err(MediaError::Unsupported(_))));
        assert!(matches!(sniff(b"PK\x03\x04rest"), Err(MediaError::Unsupported(_))));
    }
}
