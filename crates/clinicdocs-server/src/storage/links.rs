//! Signed download links of the local store: `/files/{key}?expires=&sig=` with an HMAC-SHA256
//! over the key and expiry, checked in constant time; and the signing key, made once in the
//! data folder (or shared by several instances through `CLINICDOCS_SIGNING_KEY`).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;

/// Why a `/files` link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link's signature does not match")]
    Invalid,
    #[error("the link has expired")]
    Expired,
}

fn signed_message(key: &str, expires: i64) -> String {
    format!("GET\n{key}\n{expires}")
}

/// The hex signature of a link to `key` that expires at `expires` (Unix seconds).
pub fn sign(secret: &[u8], key: &str, expires: i64) -> String {
    // HMAC accepts keys of any length; an empty one is still a valid (if weak) key.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(signed_message(key, expires).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a link: signature first (constant time), then expiry against `now` (Unix seconds).
pub fn verify(secret: &[u8], key: &str, expires: i64, sig: &str, now: i64) -> Result<(), LinkError> {
    let sig = hex::decode(sig).map_err(|_| LinkError::Invalid)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| LinkError::Invalid)?;
    mac.update(signed_message(key, expires).as_bytes());
    mac.verify_slice(&sig).map_err(|_| LinkError::Invalid)?;
    if now >= expires {
        return Err(LinkError::Expired);
    }
    Ok(())
}

/// The shortest signing key accepted, in bytes: anyone who can guess it can sign any link.
pub const MIN_KEY_BYTES: usize = 32;

/// A key of at least [`MIN_KEY_BYTES`], or a message saying what to set.
fn strong(key: Option<Vec<u8>>, from: &str) -> anyhow::Result<Vec<u8>> {
    match key {
        Some(k) if k.len() >= MIN_KEY_BYTES => Ok(k),
        _ => anyhow::bail!(
            "the signing key in {from} must be at least {MIN_KEY_BYTES} bytes written as hex \
             ({} hex digits); make one with `openssl rand -hex {MIN_KEY_BYTES}`",
            MIN_KEY_BYTES * 2
        ),
    }
}

/// Loads the local signing key from the data folder, creating it on first start.
/// `CLINICDOCS_SIGNING_KEY` (hex) overrides it so that several instances can share one.
pub fn signing_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(hexkey) = std::env::var("CLINICDOCS_SIGNING_KEY") {
        return strong(hex::decode(hexkey.trim()).ok(), "CLINICDOCS_SIGNING_KEY");
    }
    let path = data_dir.join("signing.key");
    if let Ok(s) = std::fs::read_to_string(&path) {
        return strong(hex::decode(s.trim()).ok(), &path.display().to_string());
    }
    use rand::RngCore;
    let mut key = vec![0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    std::fs::create_dir_all(data_dir)?;
    let tmp = data_dir.join("signing.key.tmp");
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(hex::encode(&key).as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = signing_key(dir.path()).expect("create");
        let b = signing_key(dir.path()).expect("reload");
        assert_eq!(a, b, "links survive a restart");
        assert_eq!(a.len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("signing.key")).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the server's user may read the key");
        }
    }

    #[test]
    fn a_signature_covers_the_key_and_the_expiry() {
        let secret = b"k".repeat(32);
        let sig = sign(&secret, "org/a.pdf", 1000);
        assert_eq!(verify(&secret, "org/a.pdf", 1000, &sig, 999), Ok(()));
        assert_eq!(verify(&secret, "org/b.pdf", 1000, &sig, 999), Err(LinkError::Invalid));
        assert_eq!(verify(&secret, "org/a.pdf", 1001, &sig, 999), Err(LinkError::Invalid));
        assert_eq!(verify(&secret, "org/a.pdf", 1000, "zz", 999), Err(LinkError::Invalid));
        assert_eq!(verify(&secret, "org/a.pdf", 1000, &sig, 1000), Err(LinkError::Expired));
    }
}
