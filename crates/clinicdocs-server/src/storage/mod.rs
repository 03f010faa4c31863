//! Object storage behind one interface (`object_store`: local folder, S3-compatible such as R2,
//! or GCS) and signed download URLs: HMAC-signed `/files/{key}` links for the local backend
//! ([`links`]), presigned GETs for the cloud ones. Files stream in fixed-size parts, so memory
//! does not grow with the file size; a file can also be written while it arrives
//! ([`streaming`]). The local store's writes are synced before they are confirmed
//! ([`durable`]). Knows nothing of HTTP requests or uploads.

pub mod durable;
pub mod error;
pub mod links;
pub mod streaming;

use crate::config::StorageConfig;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use clinicdocs_core::api::SignedUrl;
use durable::Durable;
pub use error::StorageError;
pub use links::{signing_key, LinkError};
use object_store::path::Path as ObjectPath;
use object_store::signer::Signer;
use object_store::{
    Attribute, Attributes, GetOptions, GetRange, GetResult, ObjectStore, PutMultipartOptions, PutOptions, PutPayload,
    WriteMultipart,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
pub use streaming::StreamingPut;
use streaming::LOCAL_PART_BYTES;
use tokio::io::AsyncReadExt;

/// Files up to this size are held in memory and stored with one PUT; larger ones are stored
/// in parts of this size (equal parts, as R2 requires). This bounds the memory one file
/// takes, whatever its size.
pub const PART_BYTES: usize = 16 * 1024 * 1024;

/// How long the presigned URL of a streamed PUT is valid. The store checks it when the request
/// starts, so this only bounds how long the URL could be replayed.
const STREAMING_PUT_TTL: Duration = Duration::from_secs(120);

/// Parts of a spooled file uploaded at once (each is up to [`PART_BYTES`] in memory).
const PARTS_IN_FLIGHT: usize = 1;

/// Bytes read from a local file at a time while storing it in parts.
const READ_BUFFER_BYTES: usize = 1 << 20;

enum UrlSigner {
    /// HMAC over key and expiry; served by this server's `/files` route.
    Local { secret: Vec<u8>, base_url: String },
    /// The store signs its own URLs (S3/R2 presigned GET, GCS signed URL).
    Store(Arc<dyn Signer>),
}

/// How a file can be written while it arrives (see [`StreamingPut`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Streaming {
    /// A presigned PUT with the declared length (S3-compatible stores).
    SignedPut,
    /// A multipart upload with parts of any size (the local store).
    Parts,
    /// Not at all: the file is received first, then stored.
    No,
}

/// One object as the store lists it.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub key: String,
    pub written_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    signer: Arc<UrlSigner>,
    streaming: Streaming,
    http: reqwest::Client,
    /// The local store's folder (whose writes [`Durable`] makes survive a power cut).
    root: Option<PathBuf>,
}

impl Storage {
    /// Opens the configured store. `secret` and `base_url` are used by the local backend.
    pub fn open(cfg: &StorageConfig, secret: Vec<u8>, base_url: String) -> anyhow::Result<Storage> {
        Ok(match cfg {
            StorageConfig::Local { root } => {
                std::fs::create_dir_all(root)?;
                let fs = object_store::local::LocalFileSystem::new_with_prefix(root)?.with_automatic_cleanup(true);
                let signer = Arc::new(UrlSigner::Local { secret, base_url });
                Storage {
                    store: Arc::new(fs),
                    signer,
                    streaming: Streaming::Parts,
                    http: reqwest::Client::new(),
                    root: Some(root.canonicalize()?),
                }
            }
            StorageConfig::S3 { endpoint, bucket, region, access_key_id, secret_access_key } => {
                let mut b = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret_access_key)
                    // Like presigned PUTs: the payload is not hashed into the signature (the
                    // upload was hashed already); R2 and S3 accept this.
                    .with_unsigned_payload(true);
                if let Some(ep) = endpoint {
                    b = b
                        .with_endpoint(ep)
                        .with_allow_http(ep.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                let s3 = Arc::new(b.build()?);
                let signer = Arc::new(UrlSigner::Store(s3.clone()));
                Storage { store: s3, signer, streaming: Streaming::SignedPut, http: reqwest::Client::new(), root: None }
            }
            StorageConfig::Gcs { bucket, service_account } => {
                let mut b = object_store::gcp::GoogleCloudStorageBuilder::new().with_bucket_name(bucket);
                if let Some(p) = service_account {
                    b = b.with_service_account_path(p.display().to_string());
                }
                let gcs = Arc::new(b.build()?);
                let signer = Arc::new(UrlSigner::Store(gcs.clone()));
                Storage { store: gcs, signer, streaming: Streaming::No, http: reqwest::Client::new(), root: None }
            }
        })
    }

    /// Object attributes for stores that keep them (the local file system does not; the
    /// `/files` route sets those headers itself).
    fn attributes(&self, content_type: &str, disposition: Option<&str>) -> Attributes {
        let mut a = Attributes::new();
        if self.is_local() {
            return a;
        }
        a.insert(Attribute::ContentType, content_type.to_string().into());
        if let Some(d) = disposition {
            a.insert(Attribute::ContentDisposition, d.to_string().into());
        }
        a
    }

    /// What must be synced for `key`'s object to be durable (the local store only).
    fn durable(&self, key: &str) -> Option<Durable> {
        self.root.as_ref().map(|root| Durable::new(root, key))
    }

    /// Makes `key`'s object, just written, durable (see [`Durable`]).
    async fn settle(&self, key: &str) -> Result<(), StorageError> {
        match self.durable(key) {
            Some(d) => d.sync().await,
            None => Ok(()),
        }
    }

    /// Stores bytes held in memory with one PUT.
    pub async fn put_bytes(
        &self,
        key: &str,
        bytes: impl Into<Bytes>,
        content_type: &str,
        disposition: Option<&str>,
    ) -> Result<(), StorageError> {
        let opts = PutOptions { attributes: self.attributes(content_type, disposition), ..Default::default() };
        self.store.put_opts(&ObjectPath::from(key), PutPayload::from(bytes.into()), opts).await?;
        self.settle(key).await
    }

    /// Stores a local file as a multipart upload in [`PART_BYTES`] parts.
    pub async fn put_file(
        &self,
        key: &str,
        file: &Path,
        content_type: &str,
        disposition: Option<&str>,
    ) -> Result<(), StorageError> {
        let mut f = tokio::fs::File::open(file).await?;
        let opts = PutMultipartOptions { attributes: self.attributes(content_type, disposition), ..Default::default() };
        let upload = self.store.put_multipart_opts(&ObjectPath::from(key), opts).await?;
        let mut w = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buf = vec![0u8; READ_BUFFER_BYTES];
        loop {
            let n = match f.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = w.abort().await;
                    return Err(e.into());
                }
            };
            if n == 0 {
                break;
            }
            if let Err(e) = w.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = w.abort().await;
                return Err(e.into());
            }
            w.write(&buf[..n]);
        }
        w.finish().await?;
        self.settle(key).await
    }

    /// Whether [`Storage::start_put`] can store a file while it arrives.
    pub fn can_stream(&self) -> bool {
        self.streaming != Streaming::No
    }

    /// Starts writing an object of exactly `len` bytes that are still arriving.
    pub async fn start_put(
        &self,
        key: &str,
        len: u64,
        content_type: &str,
        disposition: Option<&str>,
    ) -> Result<StreamingPut, StorageError> {
        let path = ObjectPath::from(key);
        match (self.streaming, &*self.signer) {
            (Streaming::SignedPut, UrlSigner::Store(s)) => {
                let url = s.signed_url(http::Method::PUT, &path, STREAMING_PUT_TTL).await?;
                Ok(StreamingPut::http(&self.http, url, len, content_type, disposition))
            }
            (Streaming::Parts, _) => {
                let opts = PutMultipartOptions {
                    attributes: self.attributes(content_type, disposition),
                    ..Default::default()
                };
                let upload = self.store.put_multipart_opts(&path, opts).await?;
                let writer = Box::new(WriteMultipart::new_with_chunk_size(upload, LOCAL_PART_BYTES));
                Ok(StreamingPut::Parts { writer, durable: self.durable(key) })
            }
            _ => Err(StorageError::CannotStream),
        }
    }

    /// Deletes, treating "already gone" as done.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.store.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Best-effort cleanup of objects written by a failed request.
    pub async fn delete_all(&self, keys: &[String]) {
        for k in keys {
            if let Err(e) = self.delete(k).await {
                tracing::warn!(key = %k, error = %e, "could not remove object after a failed upload");
            }
        }
    }

    /// Moves an object (a deleted document's bytes to the trash). On the local store the move
    /// is made durable too: the new folders, then the folder it left.
    pub async fn rename(&self, from: &str, to: &str) -> Result<(), StorageError> {
        self.store.rename(&ObjectPath::from(from), &ObjectPath::from(to)).await?;
        self.settle(to).await?;
        if let Some(left) = self.root.as_ref().and_then(|root| root.join(from).parent().map(Path::to_path_buf)) {
            durable::sync_dir(left).await?;
        }
        Ok(())
    }

    pub async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        match self.store.head(&ObjectPath::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get(&self, key: &str, range: Option<std::ops::Range<u64>>) -> Result<GetResult, StorageError> {
        let opts = GetOptions { range: range.map(GetRange::Bounded), ..Default::default() };
        Ok(self.store.get_opts(&ObjectPath::from(key), opts).await?)
    }

    pub async fn size(&self, key: &str) -> Result<u64, StorageError> {
        Ok(self.store.head(&ObjectPath::from(key)).await?.size)
    }

    /// Every key under `prefix` (all keys when empty).
    pub async fn list_keys(&self, prefix: Option<&str>) -> Result<Vec<String>, StorageError> {
        Ok(self.list(prefix).await?.into_iter().map(|o| o.key).collect())
    }

    /// Every object under `prefix` with the time it was last written.
    pub async fn list(&self, prefix: Option<&str>) -> Result<Vec<StoredObject>, StorageError> {
        use futures::TryStreamExt;
        let p = prefix.map(ObjectPath::from);
        let metas: Vec<_> = self.store.list(p.as_ref()).try_collect().await?;
        Ok(metas
            .into_iter()
            .map(|m| StoredObject { key: m.location.to_string(), written_at: m.last_modified })
            .collect())
    }

    /// A download URL for `key` valid for `ttl` from `now`.
    pub async fn signed_url(&self, key: &str, now: DateTime<Utc>, ttl: Duration) -> Result<SignedUrl, StorageError> {
        let expires_at = now + chrono::Duration::from_std(ttl)?;
        let url = match &*self.signer {
            UrlSigner::Local { secret, base_url } => {
                let exp = expires_at.timestamp();
                format!("{base_url}/files/{key}?expires={exp}&sig={}", links::sign(secret, key, exp))
            }
            UrlSigner::Store(s) => s.signed_url(http::Method::GET, &ObjectPath::from(key), ttl).await?.to_string(),
        };
        Ok(SignedUrl { url, expires_at })
    }

    /// Checks a local `/files` link: signature first (constant time), then expiry.
    pub fn verify_local(&self, key: &str, expires: i64, sig: &str, now: DateTime<Utc>) -> Result<(), LinkError> {
        match &*self.signer {
            UrlSigner::Local { secret, .. } => links::verify(secret, key, expires, sig, now.timestamp()),
            UrlSigner::Store(_) => Err(LinkError::Invalid),
        }
    }

    pub fn is_local(&self) -> bool {
        matches!(&*self.signer, UrlSigner::Local { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> (tempfile::TempDir, Storage) {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = StorageConfig::Local { root: dir.path().join("o") };
        let s = Storage::open(&cfg, b"k".repeat(32), "http://127.0.0.1:1".into()).expect("open");
        (dir, s)
    }

    /// GCS (no emulator here verifies it; see the README): the store is built from a service
    /// account file, is not streamed into, and signs V4 links for five minutes with the
    /// account's key, without a network call.
    #[tokio::test]
    async fn gcs_is_opened_from_a_service_account_and_signs_its_own_links() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("key.pem");
        let made = std::process::Command::new("openssl")
            .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
            .arg(&key)
            .output()
            .expect("run openssl (scripts/test.sh installs it)");
        assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
        let account = serde_json::json!({
            "type": "service_account",
            "client_email": "clinicdocs@test-project.iam.gserviceaccount.com",
            "private_key_id": "test-key",
            "private_key": std::fs::read_to_string(&key).expect("key"),
            "gcs_base_url": "http://127.0.0.1:9",
        });
        let path = dir.path().join("account.json");
        std::fs::write(&path, account.to_string()).expect("write account");
        let cfg = StorageConfig::Gcs { bucket: "clinic-docs".into(), service_account: Some(path) };
        let s = Storage::open(&cfg, Vec::new(), String::new()).expect("open gcs");
        assert!(!s.can_stream(), "GCS uploads are received whole, then stored");
        assert!(!s.is_local());
        let now = Utc::now();
        let signed = s.signed_url("org/p/documents/a.pdf", now, Duration::from_secs(300)).await.expect("sign");
        let u = url::Url::parse(&signed.url).expect("url");
        assert_eq!((u.host_str(), u.port()), (Some("127.0.0.1"), Some(9)));
        assert_eq!(u.path(), "/clinic-docs/org/p/documents/a.pdf");
        let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
        assert_eq!(q["X-Goog-Algorithm"], "GOOG4-RSA-SHA256");
        assert_eq!(q["X-Goog-Expires"], "300");
        assert!(q["X-Goog-Credential"].starts_with("clinicdocs@test-project.iam.gserviceaccount.com/"));
        let sig = &q["X-Goog-Signature"];
        assert_eq!(sig.len(), 512, "an RSA-2048 signature, hex");
        assert!(sig.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(signed.expires_at, now + chrono::Duration::seconds(300));
        // Another key gets another signature.
        let other = s.signed_url("org/p/documents/b.pdf", now, Duration::from_secs(300)).await.expect("sign");
        let other: std::collections::HashMap<_, _> =
            url::Url::parse(&other.url).expect("url").query_pairs().into_owned().collect();
        assert_ne!(other["X-Goog-Signature"], *sig);
    }

    #[tokio::test]
    async fn local_links_verify_until_they_expire() {
        let (_d, s) = local();
        let now = Utc::now();
        let u = s.signed_url("org/a.pdf", now, Duration::from_secs(300)).await.expect("sign");
        let q: std::collections::HashMap<_, _> =
            url::Url::parse(&u.url).expect("url").query_pairs().into_owned().collect();
        let exp: i64 = q["expires"].parse().expect("exp");
        assert!(s.verify_local("org/a.pdf", exp, &q["sig"], now).is_ok());
        assert_eq!(s.verify_local("org/b.pdf", exp, &q["sig"], now), Err(LinkError::Invalid));
        assert_eq!(s.verify_local("org/a.pdf", exp + 1, &q["sig"], now), Err(LinkError::Invalid));
        let later = now + chrono::Duration::seconds(301);
        assert_eq!(s.verify_local("org/a.pdf", exp, &q["sig"], later), Err(LinkError::Expired));
    }
}
