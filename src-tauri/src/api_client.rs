//! The HTTP client for the clinic API server (docs/DESIGN.md §7): one method per endpoint the app
//! uses, typed with the shared API contract. Every failure becomes a [`CommandError`] carrying
//! the server's own code and message, or a local code when the server could not be reached.

use crate::error::{CommandError, CommandResult, LocalCode};
use clinicdocs_core::api::{
    Annotation, AnnotationUpdate, AuditFormat, AuditPage, AuditQuery, BatchItem, BatchResponse, ClinicPatch, Contact,
    ContactPatch, Document, DocumentPage, DocumentPatch, DocumentQuery, ErrorBody, ErrorCode, LoginRequest,
    LoginResponse, Me, NewAnnotation, NewContact, NewPatient, NewShare, NewStaff, NewVisit, Org, PasswordChange,
    Patient, PatientPatch, Practitioner, ProfileImage, SetupCode, SetupRequest, Share, ShareQuery, SharingSettings,
    SharingSettingsUpdate, SignedUrl, StaffAdded, StaffMember, StaffPatch, StorageReport, StorageUsage, UploadResponse,
    UrlVariant, Visit,
};
use clinicdocs_core::Category;
use futures::StreamExt;
use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use std::time::Duration;
use url::Url;
use uuid::Uuid;

/// How long to wait for the server to accept a connection, and for a whole request (a 10 MB
/// upload on a slow clinic line included).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// Pages fetched when the app wants a patient's whole list (a patient has at most hundreds).
const PAGE: i64 = 200;

#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
}

/// The fields of one upload besides its bytes.
#[derive(Debug, Clone)]
pub struct UploadFields {
    pub patient_id: Uuid,
    pub category: Category,
    pub title: String,
    pub notes: Option<String>,
    pub encounter_id: Option<Uuid>,
}

/// Parses what staff typed as the server address: `clinic.example:8080` gets `http://` when it
/// is a loopback address, `https://` otherwise; anything but http(s) is refused.
pub fn parse_server_url(raw: &str) -> CommandResult<Url> {
    let raw = raw.trim().trim_end_matches('/');
    let bad = || {
        CommandError::local(
            LocalCode::InvalidServerUrl,
            format!("“{raw}” is not a server address. Type it like https://clinic.example.org"),
        )
    };
    if raw.is_empty() {
        return Err(CommandError::local(LocalCode::InvalidServerUrl, "Type the clinic server's address."));
    }
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else if raw.starts_with("127.") || raw.starts_with("localhost") || raw.starts_with("[::1]") {
        format!("http://{raw}")
    } else {
        format!("https://{raw}")
    };
    let url = Url::parse(&with_scheme).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad());
    }
    // Patient data and passwords cross this connection: plain http only to this computer.
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(CommandError::local(
            LocalCode::InvalidServerUrl,
            format!(
                "“{raw}” is not encrypted (http://). Use the server's https:// address; plain http is only for a server on this computer."
            ),
        ));
    }
    Ok(url)
}

/// Whether the address names this computer (127.0.0.0/8, ::1, localhost).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

impl ApiClient {
    pub fn new(base: Url, token: Option<String>) -> CommandResult<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("clinicdocs-desktop/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CommandError::local(LocalCode::ServerUnreachable, e.to_string()))?;
        Ok(ApiClient { http, base, token })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    pub fn with_token(&self, token: String) -> Self {
        ApiClient { http: self.http.clone(), base: self.base.clone(), token: Some(token) }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut url = self.base.clone();
        url.set_path(path);
        let rb = self.http.request(method, url);
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    fn unreachable(&self, e: &reqwest::Error) -> CommandError {
        let what = if e.is_timeout() { "did not answer in time" } else { "cannot be reached" };
        CommandError::local(
            LocalCode::ServerUnreachable,
            format!("The clinic server at {} {what}. Check the network connection and try again.", self.base),
        )
    }

    async fn send(&self, rb: RequestBuilder) -> CommandResult<Response> {
        let resp = rb.send().await.map_err(|e| self.unreachable(&e))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        Err(error_from(resp).await)
    }

    async fn json<T: DeserializeOwned>(&self, rb: RequestBuilder) -> CommandResult<T> {
        let resp = self.send(rb).await?;
        resp.json::<T>().await.map_err(|e| {
            CommandError::local(LocalCode::BadResponse, format!("The server's answer could not be read ({e})."))
        })
    }

    pub async fn login(&self, email: &str, password: &str) -> CommandResult<LoginResponse> {
        let body = LoginRequest { email: email.trim().to_string(), password: password.to_string() };
        self.json(self.request(Method::POST, "/api/v1/auth/login").json(&body)).await
    }

    /// First sign-in with a one-time setup code and the password chosen.
    pub async fn set_up(&self, code: &str, password: &str) -> CommandResult<LoginResponse> {
        let body = SetupRequest { code: code.trim().to_string(), password: password.to_string() };
        self.json(self.request(Method::POST, "/api/v1/auth/setup").json(&body)).await
    }

    pub async fn change_password(&self, current: &str, new: &str) -> CommandResult<()> {
        let body = PasswordChange { current: current.to_string(), new: new.to_string() };
        self.send(self.request(Method::POST, "/api/v1/auth/password").json(&body)).await.map(drop)
    }

    pub async fn staff(&self) -> CommandResult<Vec<StaffMember>> {
        self.json(self.request(Method::GET, "/api/v1/users")).await
    }

    pub async fn add_staff(&self, new: &NewStaff) -> CommandResult<StaffAdded> {
        self.json(self.request(Method::POST, "/api/v1/users").json(new)).await
    }

    pub async fn change_staff(&self, id: Uuid, patch: &StaffPatch) -> CommandResult<StaffMember> {
        self.json(self.request(Method::PATCH, &format!("/api/v1/users/{id}")).json(patch)).await
    }

    pub async fn new_setup_code(&self, id: Uuid) -> CommandResult<SetupCode> {
        self.json(self.request(Method::POST, &format!("/api/v1/users/{id}/setup-code"))).await
    }

    pub async fn change_clinic(&self, patch: &ClinicPatch) -> CommandResult<Org> {
        self.json(self.request(Method::PATCH, "/api/v1/clinic").json(patch)).await
    }

    /// A page of the clinic's audit trail (admins).
    pub async fn audit(&self, q: &AuditQuery) -> CommandResult<AuditPage> {
        let q = AuditQuery { format: None, ..q.clone() };
        self.json(self.request(Method::GET, "/api/v1/audit").query(&q)).await
    }

    /// Every event matching the filters as the server's CSV (admins).
    pub async fn audit_csv(&self, q: &AuditQuery) -> CommandResult<Vec<u8>> {
        let q = AuditQuery { format: Some(AuditFormat::Csv), before: None, limit: None, ..q.clone() };
        let resp = self.send(self.request(Method::GET, "/api/v1/audit").query(&q)).await?;
        resp.bytes().await.map(|b| b.to_vec()).map_err(|e| self.unreachable(&e))
    }

    pub async fn logout(&self) -> CommandResult<()> {
        self.send(self.request(Method::POST, "/api/v1/auth/logout")).await.map(drop)
    }

    pub async fn me(&self) -> CommandResult<Me> {
        self.json(self.request(Method::GET, "/api/v1/me")).await
    }

    pub async fn find_patients(&self, q: &str, limit: i64) -> CommandResult<Vec<Patient>> {
        let rb = self.request(Method::GET, "/api/v1/patients").query(&[("q", q), ("limit", &limit.to_string())]);
        self.json(rb).await
    }

    pub async fn patient(&self, id: Uuid) -> CommandResult<Patient> {
        self.json(self.request(Method::GET, &format!("/api/v1/patients/{id}"))).await
    }

    pub async fn register_patient(&self, new: &NewPatient) -> CommandResult<Patient> {
        self.json(self.request(Method::POST, "/api/v1/patients").json(new)).await
    }

    /// Patients with exactly this name and date of birth (possible duplicates).
    pub async fn namesakes(&self, name: &str, date_of_birth: &str) -> CommandResult<Vec<Patient>> {
        let rb =
            self.request(Method::GET, "/api/v1/patients").query(&[("name", name), ("date_of_birth", date_of_birth)]);
        self.json(rb).await
    }

    pub async fn update_patient(&self, id: Uuid, patch: &PatientPatch) -> CommandResult<Patient> {
        self.json(self.request(Method::PATCH, &format!("/api/v1/patients/{id}")).json(patch)).await
    }

    /// Signed links to the patient's photo and avatar; `not_found` when none was set.
    pub async fn patient_photo(&self, id: Uuid) -> CommandResult<ProfileImage> {
        self.json(self.request(Method::GET, &format!("/api/v1/patients/{id}/photo"))).await
    }

    /// Replaces the patient's photo with `bytes` (a JPEG, PNG, TIFF or WebP picture).
    pub async fn set_patient_photo(&self, id: Uuid, bytes: Vec<u8>, content_type: &str) -> CommandResult<ProfileImage> {
        let rb = self
            .request(Method::PUT, &format!("/api/v1/patients/{id}/photo"))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes);
        self.json(rb).await
    }

    pub async fn practitioners(&self) -> CommandResult<Vec<Practitioner>> {
        self.json(self.request(Method::GET, "/api/v1/practitioners")).await
    }

    pub async fn open_visit(&self, patient_id: Uuid, new: &NewVisit) -> CommandResult<Visit> {
        self.json(self.request(Method::POST, &format!("/api/v1/patients/{patient_id}/encounters")).json(new)).await
    }

    /// A patient's visits (FHIR's "encounters" on the wire).
    pub async fn visits(&self, patient_id: Uuid) -> CommandResult<Vec<Visit>> {
        self.json(self.request(Method::GET, &format!("/api/v1/patients/{patient_id}/encounters"))).await
    }

    pub async fn documents(&self, query: &DocumentQuery) -> CommandResult<DocumentPage> {
        self.json(self.request(Method::GET, "/api/v1/documents").query(query)).await
    }

    /// Every document matching `query`, following the cursor page by page.
    pub async fn all_documents(&self, mut query: DocumentQuery) -> CommandResult<Vec<Document>> {
        query.limit = Some(PAGE);
        let mut out = Vec::new();
        loop {
            let page = self.documents(&query).await?;
            out.extend(page.items);
            match page.next_cursor {
                Some(c) => query.cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    pub async fn document(&self, id: Uuid) -> CommandResult<Document> {
        self.json(self.request(Method::GET, &format!("/api/v1/documents/{id}"))).await
    }

    pub async fn upload(
        &self,
        fields: &UploadFields,
        file_name: &str,
        bytes: Vec<u8>,
        idempotency_key: &str,
        progress: impl FnMut(u64, u64) + Send + Sync + 'static,
    ) -> CommandResult<UploadResponse> {
        let total = bytes.len() as u64;
        let body = reqwest::Body::wrap_stream(counted_chunks(bytes, progress));
        let part = reqwest::multipart::Part::stream_with_length(body, total).file_name(file_name.to_string());
        let mut form = reqwest::multipart::Form::new()
            .text("patient_id", fields.patient_id.to_string())
            .text("category", fields.category.as_str())
            .text("title", fields.title.clone());
        if let Some(n) = &fields.notes {
            form = form.text("notes", n.clone());
        }
        if let Some(e) = fields.encounter_id {
            form = form.text("encounter_id", e.to_string());
        }
        // Every field and the size before the file: the server stores it while it arrives.
        let form = form.text("size", total.to_string()).part("file", part);
        let rb =
            self.request(Method::POST, "/api/v1/documents").header("Idempotency-Key", idempotency_key).multipart(form);
        self.json(rb).await
    }

    /// Sends files as one all-or-nothing batch. A batch the server answered for as a whole,
    /// stored or not, is `Ok` with each file's status; the rest (network, session, 5xx, a
    /// malformed batch) is `Err`. `progress(index, sent, total)` follows each file's bytes.
    pub async fn upload_batch(
        &self,
        files: Vec<(BatchItem, String, Vec<u8>)>,
        progress: impl FnMut(usize, u64, u64) + Send + Sync + 'static,
    ) -> CommandResult<BatchResponse> {
        let manifest: Vec<&BatchItem> = files.iter().map(|(item, _, _)| item).collect();
        let manifest = serde_json::to_string(&manifest)
            .map_err(|e| CommandError::local(LocalCode::BadResponse, format!("The batch could not be written: {e}")))?;
        let mut form = reqwest::multipart::Form::new().text("manifest", manifest);
        let progress = std::sync::Arc::new(std::sync::Mutex::new(progress));
        for (i, (_, file_name, bytes)) in files.into_iter().enumerate() {
            let total = bytes.len() as u64;
            let p = progress.clone();
            let report = move |sent, total| (p.lock().unwrap_or_else(|e| e.into_inner()))(i, sent, total);
            let body = reqwest::Body::wrap_stream(counted_chunks(bytes, report));
            form = form.part("file", reqwest::multipart::Part::stream_with_length(body, total).file_name(file_name));
        }
        let resp = self
            .request(Method::POST, "/api/v1/documents/batch")
            .multipart(form)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| self.unreachable(&e))?;
        match serde_json::from_str::<BatchResponse>(&text) {
            Ok(r) if status.is_success() || status.is_client_error() => Ok(r),
            _ if status.is_success() => {
                Err(CommandError::local(LocalCode::BadResponse, "The server's answer to the batch could not be read."))
            }
            _ => Err(error_from_text(status, &text)),
        }
    }

    pub async fn annotations(&self, document_id: Uuid) -> CommandResult<Vec<Annotation>> {
        self.json(self.request(Method::GET, &format!("/api/v1/documents/{document_id}/annotations"))).await
    }

    pub async fn create_annotation(&self, document_id: Uuid, new: &NewAnnotation) -> CommandResult<Annotation> {
        self.json(self.request(Method::POST, &format!("/api/v1/documents/{document_id}/annotations")).json(new)).await
    }

    /// Answers `conflict` when someone else changed it since `update.version`.
    pub async fn update_annotation(&self, id: Uuid, update: &AnnotationUpdate) -> CommandResult<Annotation> {
        self.json(self.request(Method::PUT, &format!("/api/v1/annotations/{id}")).json(update)).await
    }

    /// Answers `conflict` when someone else changed it since `version`.
    pub async fn delete_annotation(&self, id: Uuid, version: i64) -> CommandResult<()> {
        let rb = self.request(Method::DELETE, &format!("/api/v1/annotations/{id}")).query(&[("version", version)]);
        self.send(rb).await.map(drop)
    }

    pub async fn patch_document(&self, id: Uuid, patch: &DocumentPatch) -> CommandResult<Document> {
        self.json(self.request(Method::PATCH, &format!("/api/v1/documents/{id}")).json(patch)).await
    }

    pub async fn delete_document(&self, id: Uuid) -> CommandResult<()> {
        self.send(self.request(Method::DELETE, &format!("/api/v1/documents/{id}"))).await.map(drop)
    }

    pub async fn contacts(&self) -> CommandResult<Vec<Contact>> {
        self.json(self.request(Method::GET, "/api/v1/contacts")).await
    }

    pub async fn add_contact(&self, new: &NewContact) -> CommandResult<Contact> {
        self.json(self.request(Method::POST, "/api/v1/contacts").json(new)).await
    }

    pub async fn change_contact(&self, id: Uuid, patch: &ContactPatch) -> CommandResult<Contact> {
        self.json(self.request(Method::PATCH, &format!("/api/v1/contacts/{id}")).json(patch)).await
    }

    pub async fn remove_contact(&self, id: Uuid) -> CommandResult<()> {
        self.send(self.request(Method::DELETE, &format!("/api/v1/contacts/{id}"))).await.map(drop)
    }

    /// Shares documents; the server emails the link (the answer never holds it).
    pub async fn share(&self, new: &NewShare) -> CommandResult<Share> {
        self.json(self.request(Method::POST, "/api/v1/shares").json(new)).await
    }

    pub async fn shares(&self, q: &ShareQuery) -> CommandResult<Vec<Share>> {
        self.json(self.request(Method::GET, "/api/v1/shares").query(q)).await
    }

    pub async fn revoke_share(&self, id: Uuid) -> CommandResult<()> {
        self.send(self.request(Method::DELETE, &format!("/api/v1/shares/{id}"))).await.map(drop)
    }

    pub async fn sharing_settings(&self) -> CommandResult<SharingSettings> {
        self.json(self.request(Method::GET, "/api/v1/sharing/settings")).await
    }

    pub async fn change_sharing_settings(&self, update: &SharingSettingsUpdate) -> CommandResult<SharingSettings> {
        self.json(self.request(Method::PUT, "/api/v1/sharing/settings").json(update)).await
    }

    pub async fn resend_share(&self, id: Uuid) -> CommandResult<Share> {
        self.json(self.request(Method::POST, &format!("/api/v1/shares/{id}/resend"))).await
    }

    pub async fn document_url(&self, id: Uuid, variant: UrlVariant) -> CommandResult<SignedUrl> {
        let v = match variant {
            UrlVariant::Original => "original",
            UrlVariant::Thumbnail => "thumbnail",
        };
        self.json(self.request(Method::GET, &format!("/api/v1/documents/{id}/url")).query(&[("variant", v)])).await
    }

    pub async fn storage(&self) -> CommandResult<StorageUsage> {
        self.json(self.request(Method::GET, "/api/v1/storage")).await
    }

    /// What fills the pool (admins; others get `forbidden`).
    pub async fn storage_report(&self) -> CommandResult<StorageReport> {
        self.json(self.request(Method::GET, "/api/v1/storage/report")).await
    }

    /// Downloads a document's bytes through a fresh signed link.
    pub async fn download(&self, id: Uuid, variant: UrlVariant) -> CommandResult<Vec<u8>> {
        let link = self.document_url(id, variant).await?;
        self.download_via(id, variant, &link.url).await
    }

    /// Downloads through `url`, a signed link issued earlier. A link that has expired or no
    /// longer verifies (links live 5 minutes) is renewed once, without bothering the user.
    pub async fn download_via(&self, id: Uuid, variant: UrlVariant, url: &str) -> CommandResult<Vec<u8>> {
        match self.fetch_signed(url).await {
            Err(e) if e.is(ErrorCode::LinkExpired) || e.is(ErrorCode::SignatureInvalid) => {
                let fresh = self.document_url(id, variant).await?;
                self.fetch_signed(&fresh.url).await
            }
            other => other,
        }
    }

    /// GETs a signed URL (no bearer token: the signature is the authorisation).
    pub async fn fetch_signed(&self, url: &str) -> CommandResult<Vec<u8>> {
        let url = self.base.join(url).map_err(|_| {
            CommandError::local(LocalCode::BadResponse, "The server sent a download link this app cannot use.")
        })?;
        let resp = self.http.get(url).send().await.map_err(|e| self.unreachable(&e))?;
        if !resp.status().is_success() {
            return Err(error_from(resp).await);
        }
        let bytes = resp.bytes().await.map_err(|e| self.unreachable(&e))?;
        Ok(bytes.to_vec())
    }
}

/// The server's `{error:{code,message}}`, or a fitting code when the body is not one (an S3
/// store answers expired presigned links with XML and 403).
async fn error_from(resp: Response) -> CommandError {
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    error_from_text(status, &text)
}

fn error_from_text(status: reqwest::StatusCode, text: &str) -> CommandError {
    if let Ok(body) = serde_json::from_str::<ErrorBody>(text) {
        return body.into();
    }
    match status.as_u16() {
        401 => CommandError::api(ErrorCode::Unauthorized, "Your session has ended. Sign in again."),
        403 if text.contains("expired") || text.contains("Expired") => {
            CommandError::api(ErrorCode::LinkExpired, "The download link expired.")
        }
        403 => CommandError::api(ErrorCode::SignatureInvalid, "The download link was refused."),
        404 => CommandError::api(ErrorCode::NotFound, "Not found."),
        s if s >= 500 => {
            CommandError::api(ErrorCode::Internal, format!("The server had a problem (HTTP {s}). Try again."))
        }
        s => CommandError::local(LocalCode::BadResponse, format!("The server answered HTTP {s}.")),
    }
}

/// Upload chunk size: small enough for a smooth progress bar, big enough not to matter.
const UPLOAD_CHUNK: usize = 64 * 1024;

/// The file as a stream of chunks that reports `(sent, total)` as each chunk is handed to the
/// connection.
fn counted_chunks(
    bytes: Vec<u8>,
    mut progress: impl FnMut(u64, u64) + Send + Sync + 'static,
) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + Sync + 'static {
    let data = bytes::Bytes::from(bytes);
    let total = data.len() as u64;
    let len = data.len();
    let mut sent = 0u64;
    let chunks = (0..len).step_by(UPLOAD_CHUNK).map(move |i| data.slice(i..(i + UPLOAD_CHUNK).min(len)));
    futures::stream::iter(chunks).map(move |c| {
        sent += c.len() as u64;
        progress(sent, total);
        Ok(c)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_get_a_scheme_and_junk_is_refused() {
        assert_eq!(parse_server_url("127.0.0.1:8080").expect("ok").as_str(), "http://127.0.0.1:8080/");
        assert_eq!(parse_server_url(" clinic.example.org/ ").expect("ok").as_str(), "https://clinic.example.org/");
        assert_eq!(parse_server_url("http://localhost:9/").expect("ok").as_str(), "http://localhost:9/");
        assert!(parse_server_url("ftp://x").is_err());
        assert_eq!(parse_server_url("http://[::1]:8080").expect("loopback").as_str(), "http://[::1]:8080/");
        for plain in ["http://clinic.example.org", "http://192.168.1.20:8080", "http://127.example.org"] {
            let e = parse_server_url(plain).expect_err(plain);
            assert!(e.message.contains("not encrypted"), "{plain}: {}", e.message);
        }
        assert!(parse_server_url("").is_err());
        assert!(parse_server_url("not a url").is_err());
    }
}
