//! Tags of a TIFF image file directory, read without decoding the image: the first directory of
//! a TIFF file, or of the EXIF block in a JPEG's APP1 segment (orientation, resolution).

/// The first image file directory of TIFF-structured bytes.
pub struct Ifd<'a> {
    t: &'a [u8],
    le: bool,
    at: usize,
    count: usize,
}

impl<'a> Ifd<'a> {
    /// Reads the header of `t` (starting "II*\0" or "MM\0*") and finds its first directory.
    pub fn first(t: &'a [u8]) -> Option<Ifd<'a>> {
        let le = match t.get(..2)? {
            b"II" => true,
            b"MM" => false,
            _ => return None,
        };
        let mut ifd = Ifd { t, le, at: 0, count: 0 };
        ifd.at = usize::try_from(ifd.u32_at(4)?).ok()?;
        ifd.count = usize::from(ifd.u16_at(ifd.at)?).min(512);
        Some(ifd)
    }

    fn u16_at(&self, o: usize) -> Option<u16> {
        let b = self.t.get(o..o + 2)?;
        Some(if self.le { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) })
    }

    fn u32_at(&self, o: usize) -> Option<u32> {
        let b = self.t.get(o..o + 4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if self.le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    }

    /// The entry of `tag`: its type and where its 4-byte value field is.
    fn entry(&self, tag: u16) -> Option<(u16, usize)> {
        (0..self.count)
            .map(|n| self.at + 2 + n * 12)
            .find(|&e| self.u16_at(e) == Some(tag))
            .and_then(|e| Some((self.u16_at(e + 2)?, e + 8)))
    }

    /// A SHORT (or LONG) tag's first value.
    pub fn number(&self, tag: u16) -> Option<u32> {
        match self.entry(tag)? {
            (3, v) => self.u16_at(v).map(u32::from),
            (4, v) => self.u32_at(v),
            _ => None,
        }
    }

    /// A RATIONAL tag's value (stored elsewhere in the file, at the offset in its field).
    pub fn rational(&self, tag: u16) -> Option<f64> {
        let (kind, v) = self.entry(tag)?;
        if kind != 5 {
            return None;
        }
        let at = usize::try_from(self.u32_at(v)?).ok()?;
        let (num, den) = (self.u32_at(at)?, self.u32_at(at + 4)?);
        (den != 0).then(|| f64::from(num) / f64::from(den))
    }
}

/// The body of the first JPEG segment with `marker` whose body starts with `prefix`, after the
/// prefix; looked for before the image data only.
pub fn jpeg_segment<'a>(jpeg: &'a [u8], marker: u8, prefix: &[u8]) -> Option<&'a [u8]> {
    let mut i = 2; // after SOI
    while i + 4 <= jpeg.len() {
        if jpeg[i] != 0xFF {
            return None;
        }
        let m = jpeg[i + 1];
        if m == 0xDA || m == 0xD9 {
            return None; // image data starts
        }
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        let seg = jpeg.get(i + 4..i + 2 + len)?;
        if m == marker && seg.starts_with(prefix) {
            return Some(&seg[prefix.len()..]);
        }
        i += 2 + len;
    }
    None
}

/// The EXIF block of a JPEG, as TIFF-structured bytes.
pub fn jpeg_exif(jpeg: &[u8]) -> Option<&[u8]> {
    jpeg_segment(jpeg, 0xE1, b"Exif\0\0")
}
