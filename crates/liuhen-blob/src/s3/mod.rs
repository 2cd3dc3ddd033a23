//! S3 backend with per-object Object Lock (COMPLIANCE), over a plain sync HTTP client.
//!
//! Why staging + copy: the key is the SHA-256, known only after the single streaming pass.
//! So the bytes are multipart-uploaded to `staging/<uuid>` (one 8 MiB part buffer in memory)
//! while hashed, then copied server-side to `sha256/<hex>` with COMPLIANCE retention set in
//! the same request, so the final key never exists unlocked or incomplete. Staging is not
//! locked (the bucket has no default retention) and is deleted by version afterwards; a
//! crash can leave staging garbage, never a wrong blob (expire `staging/` by lifecycle rule).
//!
//! SeaweedFS 4.48 ignores the lock headers of CopyObject, so `put` reads the retention back
//! and, if missing, locks the copied version with PutObjectRetention: on such a server the
//! final key is unlocked for one round trip (its content is already complete and correct).

mod notes;
mod sigv4;
mod store;
mod xml;

use std::time::Duration;

use base64::Engine as _;
use jiff::Timestamp;
use md5::{Digest as _, Md5};
use ureq::http::Response;

use crate::hasher::{CHUNK_SIZE, DualHasher, VerifyingReader, next_chunk};
use crate::{BlobError, BlobStore, Digests, PutOutcome, Sha256Digest, Warrant, ceil_to_second};

#[cfg(feature = "test-hooks")]
mod hooks;

/// Parts of a multipart upload (S3 needs ≥ 5 MiB for all but the last).
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// CopyObject's limit; larger blobs would need UploadPartCopy (not implemented).
const MAX_COPY_SIZE: u64 = 5 * 1024 * 1024 * 1024;

#[derive(Clone)]
pub struct S3Config {
    /// `http://host:port` (path-style addressing; no path component).
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

pub struct S3Store {
    cfg: S3Config,
    base: String,
    host: String,
    agent: ureq::Agent,
}

/// One request; `key == None` addresses the bucket itself.
struct Req<'a> {
    op: &'static str,
    method: &'static str,
    key: Option<&'a str>,
    query: Vec<(&'static str, String)>,
    headers: Vec<(String, String)>,
    body: &'a [u8],
}

impl<'a> Req<'a> {
    fn new(op: &'static str, method: &'static str, key: Option<&'a str>) -> Self {
        Self {
            op,
            method,
            key,
            query: Vec::new(),
            headers: Vec::new(),
            body: &[],
        }
    }
    fn query(mut self, k: &'static str, v: impl Into<String>) -> Self {
        self.query.push((k, v.into()));
        self
    }
    fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.to_ascii_lowercase(), v.into()));
        self
    }
    fn body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }
}

fn blob_key(sha: &Sha256Digest) -> String {
    format!("sha256/{}", sha.to_hex())
}

fn header<B>(resp: &Response<B>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

impl S3Store {
    pub fn new(cfg: S3Config) -> Result<Self, BlobError> {
        let base = cfg.endpoint.trim_end_matches('/').to_string();
        let host = base
            .strip_prefix("http://")
            .or_else(|| base.strip_prefix("https://"))
            .ok_or_else(|| BlobError::InvalidConfig(format!("endpoint {base:?} is not http(s)")))?
            .to_string();
        if host.is_empty() || host.contains('/') {
            return Err(BlobError::InvalidConfig(format!(
                "endpoint {base:?} must be scheme://host[:port] without a path"
            )));
        }
        if cfg.bucket.is_empty() || cfg.bucket.contains('/') {
            return Err(BlobError::InvalidConfig(format!(
                "bad bucket name {:?}",
                cfg.bucket
            )));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(300)))
            .build()
            .into();
        Ok(Self {
            cfg,
            base,
            host,
            agent,
        })
    }

    pub fn config(&self) -> &S3Config {
        &self.cfg
    }

    /// Creates the configured bucket with Object Lock enabled (which also enables versioning).
    pub fn create_bucket_with_object_lock(&self) -> Result<(), BlobError> {
        let body = if self.cfg.region == "us-east-1" {
            String::new()
        } else {
            format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                 <LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                xml::escape(&self.cfg.region)
            )
        };
        let req = Req::new("CreateBucket", "PUT", None)
            .header("x-amz-bucket-object-lock-enabled", "true")
            .body(body.as_bytes());
        self.ok(req).map(drop)
    }

    /// Makes sure the bucket exists with Object Lock enabled, creating it when missing.
    /// A bucket without Object Lock is refused: its originals could be deleted.
    pub fn ensure_bucket(&self) -> Result<(), BlobError> {
        let status = self
            .send(Req::new("HeadBucket", "HEAD", None))?
            .status()
            .as_u16();
        match status {
            200 => {}
            404 => return self.create_bucket_with_object_lock(),
            other => {
                return Err(BlobError::UnexpectedResponse {
                    operation: "HeadBucket",
                    detail: format!("HTTP {other} for bucket {}", self.cfg.bucket),
                });
            }
        }
        let (_, text) =
            self.ok(Req::new("GetObjectLockConfiguration", "GET", None).query("object-lock", ""))?;
        if xml::first(&text, "ObjectLockEnabled").as_deref() != Some("Enabled") {
            return Err(BlobError::InvalidConfig(format!(
                "bucket {} has no Object Lock; originals there could be deleted. \
                 Create the bucket with Object Lock enabled",
                self.cfg.bucket
            )));
        }
        Ok(())
    }

    /// Sends a signed request; any status is returned (transport failures are errors).
    fn send(&self, req: Req<'_>) -> Result<Response<ureq::Body>, BlobError> {
        let path = match req.key {
            Some(key) => format!("/{}/{}", self.cfg.bucket, key),
            None => format!("/{}", self.cfg.bucket),
        };
        let canonical_uri = sigv4::uri_encode(&path, true);
        let query = sigv4::canonical_query(&req.query);
        let mut headers = req.headers;
        headers.push(("host".into(), self.host.clone()));
        let creds = sigv4::Credentials {
            access_key: &self.cfg.access_key,
            secret_key: &self.cfg.secret_key,
            region: &self.cfg.region,
        };
        let payload = sigv4::sha256_hex(req.body);
        let method = req.method;
        sigv4::sign(
            &creds,
            method,
            &canonical_uri,
            &query,
            &mut headers,
            &payload,
            Timestamp::now(),
        );

        let mut url = format!("{}{canonical_uri}", self.base);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
            builder = builder.header(k, v);
        }
        let http_err = |source: ureq::Error| BlobError::Http {
            operation: req.op,
            source: Box::new(source),
        };
        if req.body.is_empty() && matches!(method, "GET" | "HEAD" | "DELETE") {
            builder
                .body(())
                .map_err(|e| http_err(e.into()))
                .and_then(|r| self.agent.run(r).map_err(http_err))
        } else {
            builder
                .body(req.body)
                .map_err(|e| http_err(e.into()))
                .and_then(|r| self.agent.run(r).map_err(http_err))
        }
    }

    /// Like `send`, but a non-2xx status (or an `<Error>` document in a 200, as
    /// CopyObject and CompleteMultipartUpload may send) becomes [`BlobError::S3`].
    /// Returns the response head and its body text.
    fn ok(&self, req: Req<'_>) -> Result<(Response<()>, String), BlobError> {
        let op = req.op;
        let is_head = req.method == "HEAD";
        let resp = self.send(req)?;
        let (parts, mut body) = resp.into_parts();
        let text = if is_head {
            String::new()
        } else {
            body.read_to_string().map_err(|source| BlobError::Http {
                operation: op,
                source: Box::new(source),
            })?
        };
        let status = parts.status.as_u16();
        if !(200..300).contains(&status) || text.contains("<Error>") {
            return Err(BlobError::S3 {
                operation: op,
                status,
                code: xml::first(&text, "Code").unwrap_or_default(),
                message: xml::first(&text, "Message").unwrap_or_default(),
            });
        }
        Ok((Response::from_parts(parts, ()), text))
    }
}
