//! PDF's standard security handler, as far as deciding whether a file opens without a
//! password: files encrypted with an empty user password (only an owner password restricting
//! printing or editing) open in every viewer and are accepted. Revisions 2–4 (RC4 and AES-128,
//! ISO 32000-1 7.6.3, algorithms 2, 4 and 5) and 5–6 (AES-256, ISO 32000-2 7.6.4.3.3,
//! algorithm 2.B) are checked by trying the empty password against the `/U` entry.

use super::objects::{Dict, Object};
use aes::cipher::{BlockEncrypt, KeyInit};
use md5::{Digest as _, Md5};
use sha2::{Sha256, Sha384, Sha512};

/// The padding a password shorter than 32 bytes is completed with (algorithm 2, step a).
const PAD: [u8; 32] = [
    0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08, 0x2E, 0x2E, 0x00,
    0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
];

/// Whether the file whose encryption dictionary is `dict` opens with the empty password.
/// `first_id` is the first string of the trailer's `/ID` (revisions 2–4 mix it in). Anything
/// other than the standard handler (certificates, unknown revisions) needs more than no password.
pub fn opens_without_password(dict: &Dict, first_id: Option<&[u8]>) -> bool {
    if dict.name("Filter") != Some(b"Standard") {
        return false;
    }
    let (Some(r), Some(u)) = (dict.int("R"), dict.string("U")) else {
        return false;
    };
    match r {
        2..=4 => rc4_revisions(dict, r, u, first_id.unwrap_or_default()),
        5 => u.len() >= 48 && Sha256::digest(&u[32..40])[..] == u[..32],
        6 => u.len() >= 48 && hash_2b(b"", &u[32..40], b"")[..] == u[..32],
        _ => false,
    }
}

/// Revisions 2–4: the file key from the padded empty password (algorithm 2), then `/U`
/// recomputed with it (algorithm 4 for revision 2, 5 for 3 and 4).
fn rc4_revisions(dict: &Dict, r: i64, u: &[u8], first_id: &[u8]) -> bool {
    let (Some(o), Some(p)) = (dict.string("O"), dict.int("P")) else {
        return false;
    };
    if o.len() < 32 || u.len() < 32 {
        return false;
    }
    // The key length in bits (40 unless stated, ISO 32000-1 table 20), from the crypt filter
    // for version 4; some writers give it in bytes.
    let v = dict.int("V").unwrap_or(0);
    let filter_length = match (dict.get("CF"), v) {
        (Some(Object::Dict(cf)), 4) => match cf.get("StdCF") {
            Some(Object::Dict(std_cf)) => std_cf.int("Length"),
            _ => None,
        },
        _ => None,
    };
    let stated = dict.int("Length").or(filter_length).unwrap_or(if v >= 4 { 128 } else { 40 });
    let bits = if stated <= 16 { stated * 8 } else { stated };
    let key_len = if r == 2 { 5 } else { (bits / 8).clamp(5, 16) as usize };
    let mut md5 = Md5::new();
    md5.update(PAD);
    md5.update(&o[..32]);
    // /P is a signed 32-bit value; its low four bytes, low-order first.
    md5.update((p as i32).to_le_bytes());
    md5.update(first_id);
    if r >= 4 && dict.get("EncryptMetadata") == Some(&Object::Bool(false)) {
        md5.update([0xff; 4]);
    }
    let mut hash = md5.finalize();
    if r >= 3 {
        for _ in 0..50 {
            hash = Md5::digest(&hash[..key_len]);
        }
    }
    let key = &hash[..key_len];
    if r == 2 {
        return rc4(key, &PAD) == u[..32];
    }
    let mut md5 = Md5::new();
    md5.update(PAD);
    md5.update(first_id);
    let mut out = rc4(key, &md5.finalize());
    for i in 1..=19u8 {
        let k: Vec<u8> = key.iter().map(|b| b ^ i).collect();
        out = rc4(&k, &out);
    }
    out[..] == u[..16]
}

/// RC4 (the cipher is broken, but this only recomputes what the file's writer did).
fn rc4(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut s: [u8; 256] = std::array::from_fn(|i| i as u8);
    let mut j = 0u8;
    for i in 0..256 {
        j = j.wrapping_add(s[i]).wrapping_add(key[i % key.len()]);
        s.swap(i, usize::from(j));
    }
    let (mut i, mut j) = (0u8, 0u8);
    data.iter()
        .map(|b| {
            i = i.wrapping_add(1);
            j = j.wrapping_add(s[usize::from(i)]);
            s.swap(usize::from(i), usize::from(j));
            b ^ s[usize::from(s[usize::from(i)].wrapping_add(s[usize::from(j)]))]
        })
        .collect()
}

/// Algorithm 2.B of ISO 32000-2: the revision-6 hash of a password with a salt.
fn hash_2b(password: &[u8], salt: &[u8], user_key: &[u8]) -> Vec<u8> {
    let mut k: Vec<u8> =
        Sha256::new().chain_update(password).chain_update(salt).chain_update(user_key).finalize().to_vec();
    let mut round = 0u32;
    loop {
        round += 1;
        let mut k1 = Vec::with_capacity(64 * (password.len() + k.len() + user_key.len()));
        for _ in 0..64 {
            k1.extend_from_slice(password);
            k1.extend_from_slice(&k);
            k1.extend_from_slice(user_key);
        }
        let e = aes128_cbc(&k[..16], &k[16..32], &k1);
        // The first 16 bytes as a big-endian number, modulo 3: the byte sum modulo 3 (256 ≡ 1).
        let pick = e[..16].iter().map(|&b| u32::from(b)).sum::<u32>() % 3;
        k = match pick {
            0 => Sha256::digest(&e).to_vec(),
            1 => Sha384::digest(&e).to_vec(),
            _ => Sha512::digest(&e).to_vec(),
        };
        if round >= 64 && u32::from(e[e.len() - 1]) <= round - 32 {
            break;
        }
    }
    k.truncate(32);
    k
}

/// AES-128 in CBC mode without padding (`data` is a multiple of 16 bytes long).
fn aes128_cbc(key: &[u8], iv: &[u8], data: &[u8]) -> Vec<u8> {
    let cipher = aes::Aes128::new(aes::cipher::generic_array::GenericArray::from_slice(key));
    let mut prev = aes::Block::clone_from_slice(iv);
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.chunks_exact(16) {
        let mut block = aes::Block::clone_from_slice(chunk);
        block.iter_mut().zip(prev.iter()).for_each(|(b, p)| *b ^= p);
        cipher.encrypt_block(&mut block);
        out.extend_from_slice(&block);
        prev = block;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rc4_matches_its_published_test_vector() {
        // "Key" / "Plaintext" from the original RC4 test vectors.
        assert_eq!(rc4(b"Key", b"Plaintext"), [0xBB, 0xF3, 0x16, 0xE8, 0xD9, 0x40, 0xAF, 0x0A, 0xD3]);
    }

    #[test]
    fn aes_cbc_matches_nist_sp800_38a() {
        // F.2.1 CBC-AES128.Encrypt, first block.
        let hex = |s: &str| {
            (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect::<Vec<u8>>()
        };
        let out = aes128_cbc(
            &hex("2b7e151628aed2a6abf7158809cf4f3c"),
            &hex("000102030405060708090a0b0c0d0e0f"),
            &hex("6bc1bee22e409f96e93d7e117393172a"),
        );
        assert_eq!(out, hex("7649abac8119b246cee98e9b12e9197d"));
    }

    #[test]
    fn other_handlers_and_unknown_revisions_need_more_than_no_password() {
        let dict = |filter: &str, r: i64| {
            Dict(vec![
                (b"Filter".to_vec(), Object::Name(filter.as_bytes().to_vec())),
                (b"R".to_vec(), Object::Int(r)),
                (b"U".to_vec(), Object::String(vec![0; 48])),
                (b"O".to_vec(), Object::String(vec![0; 48])),
                (b"P".to_vec(), Object::Int(-4)),
            ])
        };
        assert!(!opens_without_password(&dict("Adobe.PubSec", 4), None));
        assert!(!opens_without_password(&dict("Standard", 7), None));
        assert!(!opens_without_password(&dict("Standard", 3), None), "a /U that is not the empty password's");
    }
}
