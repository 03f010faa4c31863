//! The pages of a TIFF file (fax software and scanners put several pages in one): the chain of
//! image file directories walked without decoding (classic and BigTIFF, either byte order),
//! reduced-resolution copies (thumbnails a scanner adds) left out, each page's size held to the
//! pixel budget, and any page handed to the decoder by showing it the file as if that page came
//! first (TIFF offsets are absolute, so only the header's first-directory offset changes).

use super::MediaError;
use crate::limits::{MAX_IMAGE_PIXELS, MAX_TIFF_PAGES};
use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};

/// One page: where its directory is, and its size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub directory: u64,
    pub width: u32,
    pub height: u32,
    /// A page in palette colours: where its PhotometricInterpretation value is written, and
    /// where its colour map starts.
    pub palette: Option<Palette>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    photometric_at: u64,
    map_at: u64,
    /// Bits an index: 1, 2, 4 or 8 (the map holds 3 × 2^bits values).
    pub bits: u8,
}

/// Directory entries one page may have; more is not a TIFF a scanner wrote.
const MAX_ENTRIES: u64 = 4096;

#[derive(Clone, Copy)]
struct Layout {
    little: bool,
    big: bool,
}

impl Layout {
    fn of(bytes: &[u8]) -> Result<Layout, MediaError> {
        match bytes.get(0..4) {
            Some(b"II\x2a\0") => Ok(Layout { little: true, big: false }),
            Some(b"MM\0\x2a") => Ok(Layout { little: false, big: false }),
            Some(b"II\x2b\0") => Ok(Layout { little: true, big: true }),
            Some(b"MM\0\x2b") => Ok(Layout { little: false, big: true }),
            _ => Err(MediaError::Corrupt("it does not start as a TIFF file".into())),
        }
    }

    fn uint(self, bytes: &[u8], at: u64, len: usize) -> Option<u64> {
        let at = usize::try_from(at).ok()?;
        let b = bytes.get(at..at.checked_add(len)?)?;
        let mut v = 0u64;
        for i in 0..len {
            let byte = if self.little { b[len - 1 - i] } else { b[i] };
            v = (v << 8) | u64::from(byte);
        }
        Some(v)
    }

    /// Where the header says the first directory is, and how many bytes say it.
    fn first_offset_field(self) -> (u64, usize) {
        if self.big {
            (8, 8)
        } else {
            (4, 4)
        }
    }
}

/// Every full-resolution page, in the file's order.
pub fn pages(bytes: &[u8]) -> Result<Vec<Page>, MediaError> {
    let l = Layout::of(bytes)?;
    let ends_early = || MediaError::Corrupt("the TIFF ends early".into());
    let (field, len) = l.first_offset_field();
    let mut next = l.uint(bytes, field, len).ok_or_else(ends_early)?;
    let (count_len, entry_len, offset_len) = if l.big { (8, 20u64, 8) } else { (2, 12u64, 4) };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    while next != 0 {
        if !seen.insert(next) {
            return Err(MediaError::Corrupt("the TIFF's pages loop back on themselves".into()));
        }
        if seen.len() > MAX_TIFF_PAGES {
            return Err(MediaError::TooManyPages { limit: MAX_TIFF_PAGES });
        }
        let count = l.uint(bytes, next, count_len).ok_or_else(ends_early)?;
        if count == 0 || count > MAX_ENTRIES {
            return Err(MediaError::Corrupt("a TIFF page directory is malformed".into()));
        }
        let entries = next + count_len as u64;
        let (mut width, mut height, mut reduced) = (None, None, false);
        let (mut photometric, mut bits, mut map) = (None, None, None);
        for i in 0..count {
            let e = entries + i * entry_len;
            let tag = l.uint(bytes, e, 2).ok_or_else(ends_early)?;
            let kind = l.uint(bytes, e + 2, 2).ok_or_else(ends_early)?;
            let value_at = e + if l.big { 12 } else { 8 };
            // SHORT, LONG, LONG8: the value sits in the entry itself.
            let value = match kind {
                3 => l.uint(bytes, value_at, 2),
                4 => l.uint(bytes, value_at, 4),
                16 => l.uint(bytes, value_at, 8),
                _ => None,
            };
            match (tag, value) {
                (256, Some(v)) => width = u32::try_from(v).ok(),
                (257, Some(v)) => height = u32::try_from(v).ok(),
                // NewSubfileType bit 0: a reduced-resolution copy of another page.
                (254, Some(v)) => reduced = v & 1 == 1,
                (262, Some(v)) => photometric = Some((v, value_at)),
                (258, Some(v)) => bits = Some(v),
                _ => {}
            }
            // ColorMap: SHORT values, too many for the entry, so it holds their offset.
            if tag == 320 && kind == 3 {
                let count = l.uint(bytes, e + 4, if l.big { 8 } else { 4 });
                let at = l.uint(bytes, value_at, offset_len);
                map = count.zip(at);
            }
        }
        // Palette pages of 1, 2, 4 or 8 bits an index, with their whole map in the file.
        let palette = match (photometric, bits, map) {
            (Some((3, photometric_at)), Some(b @ (1 | 2 | 4 | 8)), Some((count, map_at)))
                if count == 3 << b && map_at.checked_add(count * 2).is_some_and(|end| end <= bytes.len() as u64) =>
            {
                Some(Palette { photometric_at, map_at, bits: b as u8 })
            }
            _ => None,
        };
        let (Some(w), Some(h)) = (width, height) else {
            return Err(MediaError::Corrupt("a TIFF page does not say its size".into()));
        };
        if w == 0 || h == 0 {
            return Err(MediaError::Corrupt("a TIFF page has no pixels".into()));
        }
        if u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
            return Err(MediaError::TooManyPixels { width: w, height: h });
        }
        if !reduced {
            out.push(Page { directory: next, width: w, height: h, palette });
        }
        next = l.uint(bytes, entries + count * entry_len, offset_len).ok_or_else(ends_early)?;
    }
    if out.is_empty() {
        return Err(MediaError::Corrupt("the TIFF has no pages".into()));
    }
    Ok(out)
}

/// The colours of a palette page's indices, 8-bit RGB.
pub fn palette_colours(bytes: &[u8], palette: &Palette) -> Result<Vec<[u8; 3]>, MediaError> {
    let l = Layout::of(bytes)?;
    // 16-bit map values to 8 bits, rounded (as PNG and ImageMagick scale them).
    let value = |i: u64| l.uint(bytes, palette.map_at + 2 * i, 2).map(|v| ((v * 255 + 32_767) / 65_535) as u8);
    let n = 1u64 << palette.bits;
    (0..n)
        .map(|i| Some([value(i)?, value(n + i)?, value(2 * n + i)?]))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| MediaError::Corrupt("the TIFF's colour map ends early".into()))
}

/// The TIFF as a decoder should see it to read `page` first: the same bytes, but the header's
/// first-directory offset pointing at that page's directory (and, for a palette page read as
/// its indices, its PhotometricInterpretation saying grey).
pub struct PageFirst<'a> {
    bytes: &'a [u8],
    header: [u8; 16],
    header_len: usize,
    /// A two-byte value written over the file's: where, and what.
    patch: Option<(u64, [u8; 2])>,
    pos: u64,
}

impl<'a> PageFirst<'a> {
    /// `page`'s palette indices as grey levels, for [`palette_colours`] to colour.
    pub fn indices(bytes: &'a [u8], page: &Page) -> Result<PageFirst<'a>, MediaError> {
        let mut view = PageFirst::new(bytes, page)?;
        if let Some(p) = page.palette {
            let little = Layout::of(bytes)?.little;
            view.patch = Some((p.photometric_at, if little { [1, 0] } else { [0, 1] }));
        }
        Ok(view)
    }

    pub fn new(bytes: &'a [u8], page: &Page) -> Result<PageFirst<'a>, MediaError> {
        let l = Layout::of(bytes)?;
        let (field, len) = l.first_offset_field();
        let header_len = field as usize + len;
        let mut header = [0u8; 16];
        header[..header_len]
            .copy_from_slice(bytes.get(..header_len).ok_or_else(|| MediaError::Corrupt("the TIFF ends early".into()))?);
        for i in 0..len {
            let shift = 8 * if l.little { i } else { len - 1 - i };
            header[field as usize + i] = (page.directory >> shift) as u8;
        }
        Ok(PageFirst { bytes, header, header_len, patch: None, pos: 0 })
    }
}

impl Read for PageFirst<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Ok(start) = usize::try_from(self.pos) else { return Ok(0) };
        if start >= self.bytes.len() {
            return Ok(0);
        }
        let n = buf.len().min(self.bytes.len() - start);
        buf[..n].copy_from_slice(&self.bytes[start..start + n]);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            if start + i < self.header_len {
                *b = self.header[start + i];
            } else {
                break;
            }
        }
        if let Some((at, value)) = self.patch {
            for (k, v) in value.iter().enumerate() {
                let Some(i) = (at as usize + k).checked_sub(start) else { continue };
                if i < n {
                    buf[i] = *v;
                }
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for PageFirst<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let len = self.bytes.len() as i128;
        let target = match to {
            SeekFrom::Start(n) => i128::from(n),
            SeekFrom::End(d) => len + i128::from(d),
            SeekFrom::Current(d) => i128::from(self.pos) + i128::from(d),
        };
        let target = u64::try_from(target)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.pos = target;
        Ok(target)
    }
}

/// Test pictures (for this workspace's tests; the `fixtures` feature).
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures {
    use image::{DynamicImage, ImageBuffer, Luma};

    /// A little-endian TIFF of the given uncompressed pages (grey or RGB, 8-bit), written by
    /// the `tiff` crate as a fax program would: one directory per page, chained.
    pub fn multipage(pages: &[DynamicImage]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut enc = tiff::encoder::TiffEncoder::new(&mut out).expect("encoder");
            for p in pages {
                match p {
                    DynamicImage::ImageLuma8(g) => enc
                        .write_image::<tiff::encoder::colortype::Gray8>(g.width(), g.height(), g.as_raw())
                        .expect("page"),
                    other => {
                        let rgb = other.to_rgb8();
                        enc.write_image::<tiff::encoder::colortype::RGB8>(rgb.width(), rgb.height(), rgb.as_raw())
                            .expect("page")
                    }
                }
            }
        }
        out.into_inner()
    }

    pub fn grey(w: u32, h: u32, level: u8) -> DynamicImage {
        DynamicImage::ImageLuma8(ImageBuffer::from_pixel(w, h, Luma([level])))
    }

    /// A one-page, uncompressed, 8-bit palette TIFF (as some scanners save), little-endian:
    /// pixel (x, y) is colour `index(x, y)` of `colours`.
    pub fn palette(w: u32, h: u32, index: impl Fn(u32, u32) -> u8, colours: &[[u8; 3]]) -> Vec<u8> {
        let entries: u16 = 10;
        let ifd = 8u32;
        let pixels_at = ifd + 2 + u32::from(entries) * 12 + 4;
        let map_at = pixels_at + w * h;
        let mut out = b"II\x2a\0".to_vec();
        out.extend_from_slice(&ifd.to_le_bytes());
        out.extend_from_slice(&entries.to_le_bytes());
        let mut entry = |tag: u16, kind: u16, count: u32, value: u32| {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&value.to_le_bytes());
        };
        entry(256, 4, 1, w);
        entry(257, 4, 1, h);
        entry(258, 3, 1, 8);
        entry(259, 3, 1, 1); // no compression
        entry(262, 3, 1, 3); // palette colours
        entry(273, 4, 1, pixels_at);
        entry(277, 3, 1, 1);
        entry(278, 4, 1, h);
        entry(279, 4, 1, w * h);
        entry(320, 3, 768, map_at);
        out.extend_from_slice(&0u32.to_le_bytes());
        for y in 0..h {
            for x in 0..w {
                out.push(index(x, y));
            }
        }
        for channel in 0..3 {
            for i in 0..256 {
                let v = colours.get(i).map_or(0, |c| c[channel]);
                out.extend_from_slice(&(u16::from(v) * 257).to_le_bytes());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{grey, multipage};
    use super::*;
    use image::{DynamicImage, ImageBuffer, Rgb};

    #[test]
    fn every_page_of_a_fax_is_found_with_its_size() {
        let colour = DynamicImage::ImageRgb8(ImageBuffer::from_pixel(300, 200, Rgb([200, 30, 30])));
        let file = multipage(&[grey(100, 140, 10), colour, grey(80, 60, 240)]);
        let found = pages(&file).expect("pages");
        let sizes: Vec<_> = found.iter().map(|p| (p.width, p.height)).collect();
        assert_eq!(sizes, vec![(100, 140), (300, 200), (80, 60)]);
    }

    #[test]
    fn a_page_is_read_first_by_pointing_the_header_at_it() {
        let file = multipage(&[grey(40, 30, 10), grey(50, 20, 240)]);
        let second = pages(&file).expect("pages")[1];
        let mut shown = Vec::new();
        PageFirst::new(&file, &second).expect("view").read_to_end(&mut shown).expect("read");
        assert_eq!(shown.len(), file.len());
        assert_eq!(&shown[8..], &file[8..], "only the header changes");
        let img = image::load_from_memory_with_format(&shown, image::ImageFormat::Tiff).expect("decodes");
        assert_eq!((img.width(), img.height(), img.to_luma8().get_pixel(3, 3).0[0]), (50, 20, 240));
    }

    #[test]
    fn a_palette_scan_is_found_as_a_palette_page() {
        let file = super::fixtures::palette(8, 4, |x, _| (x / 4) as u8, &[[200, 30, 30], [20, 40, 220]]);
        let found = pages(&file).expect("pages");
        assert_eq!((found.len(), found[0].width, found[0].height), (1, 8, 4));
        let colours = palette_colours(&file, &found[0].palette.expect("a palette page")).expect("map");
        assert_eq!((colours[0], colours[1]), ([200, 30, 30], [20, 40, 220]));
    }

    #[test]
    fn loops_cut_files_and_bombs_are_refused() {
        let file = multipage(&[grey(40, 30, 10), grey(50, 20, 240)]);
        let found = pages(&file).expect("pages");
        // The second page's "next" pointer aimed back at the first page.
        let mut looped = file.clone();
        let d = found[1].directory as usize;
        let count = u16::from_le_bytes([looped[d], looped[d + 1]]) as usize;
        let next = d + 2 + count * 12;
        looped[next..next + 4].copy_from_slice(&(found[0].directory as u32).to_le_bytes());
        assert!(matches!(pages(&looped), Err(MediaError::Corrupt(m)) if m.contains("loop")));
        // Cut inside the second page's directory.
        assert!(matches!(pages(&file[..d + 10]), Err(MediaError::Corrupt(_))));
        // A page that says it is 100,000 × 100,000 pixels.
        let mut bomb = file.clone();
        for i in 0..count {
            let e = d + 2 + i * 12;
            let tag = u16::from_le_bytes([bomb[e], bomb[e + 1]]);
            if tag == 256 || tag == 257 {
                bomb[e + 2..e + 4].copy_from_slice(&4u16.to_le_bytes());
                bomb[e + 4..e + 8].copy_from_slice(&1u32.to_le_bytes());
                bomb[e + 8..e + 12].copy_from_slice(&100_000u32.to_le_bytes());
            }
        }
        assert!(matches!(pages(&bomb), Err(MediaError::TooManyPixels { .. })));
        assert!(pages(b"II\x2a\0\0\0\0\0").is_err(), "no pages");
        assert!(pages(b"not a tiff").is_err());
    }
}
