//! The EXIF orientation tag of a JPEG, read from its APP1 segment without decoding the image,
//! so a phone photo taken sideways is shown upright.

use clinicdocs_core::media::ifd::{jpeg_exif, Ifd};

/// The orientation value (1..=8) if the JPEG carries one.
pub fn jpeg_orientation(jpeg: &[u8]) -> Option<u8> {
    let v = Ifd::first(jpeg_exif(jpeg)?)?.number(0x0112)?;
    u8::try_from(v).ok().filter(|v| (1..=8).contains(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_with_orientation(o: u16, big_endian: bool) -> Vec<u8> {
        let mut tiff = Vec::new();
        if big_endian {
            tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01");
            tiff.extend_from_slice(&o.to_be_bytes());
            tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        } else {
            tiff.extend_from_slice(b"II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0");
            tiff.extend_from_slice(&o.to_le_bytes());
            tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        }
        let mut seg = b"Exif\0\0".to_vec();
        seg.extend_from_slice(&tiff);
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&u16::try_from(seg.len() + 2).expect("len").to_be_bytes());
        out.extend_from_slice(&seg);
        out.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
        out
    }

    #[test]
    fn orientation_is_read_in_both_byte_orders() {
        assert_eq!(jpeg_orientation(&jpeg_with_orientation(6, false)), Some(6));
        assert_eq!(jpeg_orientation(&jpeg_with_orientation(8, true)), Some(8));
    }

    #[test]
    fn missing_or_hostile_exif_gives_none_without_panicking() {
        assert_eq!(jpeg_orientation(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2]), None);
        let mut cut = jpeg_with_orientation(6, false);
        cut.truncate(20);
        assert_eq!(jpeg_orientation(&cut), None);
        assert_eq!(jpeg_orientation(&jpeg_with_orientation(42, false)), None);
        assert_eq!(jpeg_orientation(b""), None);
    }
}
