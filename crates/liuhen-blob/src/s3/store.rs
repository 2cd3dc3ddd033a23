//! The [`BlobStore`] operations of [`S3Store`]: staged multipart upload, locked copy,
//! verified and ranged reads, retention, listing.

use std::io::Read;

use super::*;

/// Requests in flight at once when many objects' retention is extended together.
const RETENTION_WORKERS: usize = 8;

/// A multipart upload in progress: its id and the ETags of the parts sent so far.
struct Multipart {
    upload_id: String,
    etags: Vec<String>,
}

impl S3Store {
    fn head(&self, key: &str) -> Result<Option<Response<()>>, BlobError> {
        match self.ok(Req::new("HeadObject", "HEAD", Some(key))) {
            Ok((resp, _)) => Ok(Some(resp)),
            Err(BlobError::S3 { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Streams `src` to `staging_key` while hashing; returns the digests and the staging
    /// object's version id (to delete exactly that version later).
    fn upload_staging(
        &self,
        src: &mut dyn Read,
        staging_key: &str,
    ) -> Result<(Digests, Option<String>), BlobError> {
        let mut hasher = DualHasher::new();
        let mut part = Vec::with_capacity(PART_SIZE);
        let mut upload: Option<Multipart> = None;
        let result = (|| {
            while let Some(chunk) =
                next_chunk(src, CHUNK_SIZE).map_err(|e| BlobError::io("reading the source", e))?
            {
                part.extend_from_slice(&chunk);
                hasher.update_shared(chunk);
                if part.len() >= PART_SIZE {
                    if upload.is_none() {
                        upload = Some(self.start_multipart(staging_key)?);
                    }
                    let mp = upload.as_mut().expect("started above");
                    self.upload_part(staging_key, mp, &part)?;
                    part.clear();
                }
            }
            match upload.as_mut() {
                None => {
                    let req = Req::new("PutObject", "PUT", Some(staging_key)).body(&part);
                    let (resp, _) = self.ok(req)?;
                    Ok(header(&resp, "x-amz-version-id"))
                }
                Some(mp) => {
                    if !part.is_empty() {
                        self.upload_part(staging_key, mp, &part)?;
                    }
                    self.complete_multipart(staging_key, mp)
                }
            }
        })();
        match result {
            Ok(version) => Ok((hasher.finish_digests(), version)),
            Err(e) => {
                if let Some(mp) = upload {
                    let abort = Req::new("AbortMultipartUpload", "DELETE", Some(staging_key))
                        .query("uploadId", mp.upload_id);
                    let _ = self.ok(abort);
                }
                Err(e)
            }
        }
    }

    fn start_multipart(&self, key: &str) -> Result<Multipart, BlobError> {
        let req = Req::new("CreateMultipartUpload", "POST", Some(key)).query("uploads", "");
        let (_, text) = self.ok(req)?;
        let upload_id = xml::first(&text, "UploadId").ok_or(BlobError::UnexpectedResponse {
            operation: "CreateMultipartUpload",
            detail: "no UploadId".into(),
        })?;
        Ok(Multipart {
            upload_id,
            etags: Vec::new(),
        })
    }

    fn upload_part(&self, key: &str, mp: &mut Multipart, data: &[u8]) -> Result<(), BlobError> {
        let number = mp.etags.len() + 1;
        let req = Req::new("UploadPart", "PUT", Some(key))
            .query("partNumber", number.to_string())
            .query("uploadId", mp.upload_id.clone())
            .body(data);
        let (resp, _) = self.ok(req)?;
        let etag = header(&resp, "etag").ok_or(BlobError::UnexpectedResponse {
            operation: "UploadPart",
            detail: format!("no ETag for part {number}"),
        })?;
        mp.etags.push(etag);
        Ok(())
    }

    fn complete_multipart(&self, key: &str, mp: &Multipart) -> Result<Option<String>, BlobError> {
        let mut body = String::from("<CompleteMultipartUpload>");
        for (i, etag) in mp.etags.iter().enumerate() {
            body.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
                i + 1,
                xml::escape(etag)
            ));
        }
        body.push_str("</CompleteMultipartUpload>");
        let req = Req::new("CompleteMultipartUpload", "POST", Some(key))
            .query("uploadId", mp.upload_id.clone())
            .body(body.as_bytes());
        let (resp, _) = self.ok(req)?;
        Ok(header(&resp, "x-amz-version-id"))
    }

    /// Server-side copy to the final key, locked (COMPLIANCE) in the same request;
    /// returns the new version's id.
    fn copy_locked(
        &self,
        staging_key: &str,
        version: Option<&str>,
        final_key: &str,
        until: Timestamp,
    ) -> Result<Option<String>, BlobError> {
        let mut source = sigv4::uri_encode(&format!("/{}/{staging_key}", self.cfg.bucket), true);
        if let Some(v) = version {
            source.push_str(&format!("?versionId={}", sigv4::uri_encode(v, false)));
        }
        let req = Req::new("CopyObject", "PUT", Some(final_key))
            .header("x-amz-copy-source", source)
            .header("x-amz-metadata-directive", "COPY")
            .header("x-amz-object-lock-mode", "COMPLIANCE")
            .header("x-amz-object-lock-retain-until-date", until.to_string());
        let (resp, _) = self.ok(req)?;
        Ok(header(&resp, "x-amz-version-id"))
    }

    pub(super) fn put_retention(
        &self,
        key: &str,
        version: Option<&str>,
        until: Timestamp,
    ) -> Result<(), BlobError> {
        let body = format!(
            "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Mode>COMPLIANCE</Mode><RetainUntilDate>{until}</RetainUntilDate></Retention>"
        );
        let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body.as_bytes()));
        let mut req = Req::new("PutObjectRetention", "PUT", Some(key)).query("retention", "");
        if let Some(v) = version {
            req = req.query("versionId", v);
        }
        let req = req
            .header("content-md5", md5)
            .header("content-type", "application/xml")
            .body(body.as_bytes());
        self.ok(req).map(drop)
    }

    fn get(
        &self,
        op: &'static str,
        sha: &Sha256Digest,
        range: Option<String>,
    ) -> Result<ureq::Body, BlobError> {
        let key = blob_key(sha);
        let mut req = Req::new(op, "GET", Some(&key));
        if let Some(r) = range {
            req = req.header("range", r);
        }
        let resp = self.send(req)?;
        let status = resp.status().as_u16();
        if status == 404 {
            return Err(BlobError::NotFound(*sha));
        }
        if !(200..300).contains(&status) {
            let text = resp.into_body().read_to_string().unwrap_or_default();
            return Err(BlobError::S3 {
                operation: op,
                status,
                code: xml::first(&text, "Code").unwrap_or_default(),
                message: xml::first(&text, "Message").unwrap_or_default(),
            });
        }
        Ok(resp.into_body())
    }
}

impl BlobStore for S3Store {
    fn kind(&self) -> &'static str {
        "s3"
    }

    fn put(&self, src: &mut dyn Read, retain_until: Timestamp) -> Result<PutOutcome, BlobError> {
        let until = ceil_to_second(retain_until);
        let staging_key = format!("staging/{}", uuid::Uuid::now_v7());
        let (digests, version) = self.upload_staging(src, &staging_key)?;
        let final_key = blob_key(&digests.sha256);
        let result = (|| {
            if self.head(&final_key)?.is_some() {
                if self
                    .retention(&digests.sha256)?
                    .is_none_or(|cur| cur < until)
                {
                    self.put_retention(&final_key, None, until)?;
                }
                return Ok(false);
            }
            if digests.size > MAX_COPY_SIZE {
                return Err(BlobError::UnexpectedResponse {
                    operation: "CopyObject",
                    detail: format!("{} bytes exceed the 5 GiB CopyObject limit", digests.size),
                });
            }
            let copied = self.copy_locked(&staging_key, version.as_deref(), &final_key, until)?;
            // Some servers (SeaweedFS 4.48) ignore the lock headers of CopyObject: check,
            // and lock that exact version explicitly if needed.
            if self
                .retention(&digests.sha256)?
                .is_none_or(|cur| cur < until)
            {
                self.put_retention(&final_key, copied.as_deref(), until)?;
            }
            Ok(true)
        })();
        // Staging is unlocked scratch: remove that exact version (a plain DELETE would
        // only add a delete marker in a versioned bucket). Failure leaves harmless garbage.
        let mut delete = Req::new("DeleteObject", "DELETE", Some(&staging_key));
        if let Some(v) = version {
            delete = delete.query("versionId", v);
        }
        let _ = self.ok(delete);
        Ok(PutOutcome {
            digests,
            newly_stored: result?,
        })
    }

    fn open(&self, sha: &Sha256Digest) -> Result<Box<dyn Read + Send>, BlobError> {
        let body = self.get("GetObject", sha, None)?;
        Ok(Box::new(VerifyingReader::new(body.into_reader(), *sha)))
    }

    fn open_range(
        &self,
        sha: &Sha256Digest,
        start: u64,
        len: u64,
    ) -> Result<Box<dyn Read + Send>, BlobError> {
        let size = self.size(sha)?.ok_or(BlobError::NotFound(*sha))?;
        crate::check_range(start, len, size)?;
        if len == 0 {
            return Ok(Box::new(std::io::empty()));
        }
        let range = format!("bytes={start}-{}", start + len - 1);
        let body = self.get("GetObject(range)", sha, Some(range))?;
        Ok(Box::new(body.into_reader().take(len)))
    }

    fn size(&self, sha: &Sha256Digest) -> Result<Option<u64>, BlobError> {
        let Some(resp) = self.head(&blob_key(sha))? else {
            return Ok(None);
        };
        let len = header(&resp, "content-length")
            .and_then(|v| v.parse().ok())
            .ok_or(BlobError::UnexpectedResponse {
                operation: "HeadObject",
                detail: "no Content-Length".into(),
            })?;
        Ok(Some(len))
    }

    fn rehash(&self, sha: &Sha256Digest) -> Result<Digests, BlobError> {
        let body = self.get("GetObject", sha, None)?;
        crate::rehash_reader(sha, &mut body.into_reader())
    }

    fn retention(&self, sha: &Sha256Digest) -> Result<Option<Timestamp>, BlobError> {
        let key = blob_key(sha);
        let req = Req::new("GetObjectRetention", "GET", Some(&key)).query("retention", "");
        let text = match self.ok(req) {
            Ok((_, text)) => text,
            // "No retention on this object": AWS says NoSuchObjectLockConfiguration,
            // SeaweedFS ObjectLockConfigurationNotFoundError; a 404 for a missing key too.
            Err(BlobError::S3 {
                status: 404, code, ..
            }) if code != "NoSuchKey" => {
                return match self.head(&key)? {
                    Some(_) => Ok(None),
                    None => Err(BlobError::NotFound(*sha)),
                };
            }
            Err(BlobError::S3 { status: 404, .. }) => return Err(BlobError::NotFound(*sha)),
            Err(e) => return Err(e),
        };
        let Some(date) = xml::first(&text, "RetainUntilDate") else {
            return Ok(None);
        };
        date.parse()
            .map(Some)
            .map_err(|e| BlobError::UnexpectedResponse {
                operation: "GetObjectRetention",
                detail: format!("bad RetainUntilDate {date:?}: {e}"),
            })
    }

    fn set_legal_hold(&self, sha: &Sha256Digest, on: bool) -> Result<bool, BlobError> {
        let status = if on { "ON" } else { "OFF" };
        let body = format!(
            "<LegalHold xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>{status}</Status></LegalHold>"
        );
        let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(body.as_bytes()));
        let key = blob_key(sha);
        let req = Req::new("PutObjectLegalHold", "PUT", Some(&key))
            .query("legal-hold", "")
            .header("content-md5", md5)
            .header("content-type", "application/xml")
            .body(body.as_bytes());
        self.ok(req).map(|_| true)
    }

    fn legal_hold(&self, sha: &Sha256Digest) -> Result<Option<bool>, BlobError> {
        let key = blob_key(sha);
        let req = Req::new("GetObjectLegalHold", "GET", Some(&key)).query("legal-hold", "");
        match self.ok(req) {
            Ok((_, text)) => Ok(Some(xml::first(&text, "Status").as_deref() == Some("ON"))),
            Err(BlobError::S3 {
                status: 404, code, ..
            }) if code == "NoSuchKey" => Err(BlobError::NotFound(*sha)),
            // No legal hold was ever set on the object.
            Err(BlobError::S3 { status: 404, .. }) => Ok(Some(false)),
            Err(e) => Err(e),
        }
    }

    fn extend_retention(&self, sha: &Sha256Digest, until: Timestamp) -> Result<(), BlobError> {
        match crate::extension(self.retention(sha)?, until)? {
            Some(until) => self.put_retention(&blob_key(sha), None, until),
            None => Ok(()),
        }
    }

    /// S3 has no batch call for an object's retention: one `GetObjectRetention` per object
    /// and a `PutObjectRetention` only where it must grow, [`RETENTION_WORKERS`] requests in
    /// flight at a time (a case's 10,000 records would otherwise wait on 20,000 round trips
    /// in a row). The first error is returned once the workers have stopped.
    fn extend_retention_many(&self, items: &[(Sha256Digest, Timestamp)]) -> Result<(), BlobError> {
        if items.is_empty() {
            return Ok(());
        }
        let per = items.len().div_ceil(RETENTION_WORKERS);
        let extend = |part: &[(Sha256Digest, Timestamp)]| -> Result<(), BlobError> {
            for (sha, until) in part {
                let until = ceil_to_second(*until);
                match self.retention(sha)? {
                    Some(current) if current >= until => {}
                    _ => self.put_retention(&blob_key(sha), None, until)?,
                }
            }
            Ok(())
        };
        std::thread::scope(|s| {
            let workers: Vec<_> = items
                .chunks(per)
                .map(|part| s.spawn(move || extend(part)))
                .collect();
            let mut result = Ok(());
            for w in workers {
                let done = w
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                if result.is_ok() {
                    result = done;
                }
            }
            result
        })
    }

    fn list(&self) -> Result<Vec<Sha256Digest>, BlobError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut req = Req::new("ListObjectsV2", "GET", None)
                .query("list-type", "2")
                .query("prefix", "sha256/");
            if let Some(t) = token.take() {
                req = req.query("continuation-token", t);
            }
            let (_, text) = self.ok(req)?;
            for key in xml::all(&text, "Key") {
                if let Some(sha) = key.strip_prefix("sha256/").and_then(|h| h.parse().ok()) {
                    out.push(sha);
                }
            }
            token = xml::first(&text, "NextContinuationToken");
            if xml::first(&text, "IsTruncated").as_deref() != Some("true") || token.is_none() {
                break;
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// liuhen checks the lock first (by the warrant's time); then every version of the key
    /// is deleted by its version id (a plain DELETE would only add a delete marker), and
    /// the server refuses, by its own clock, a version still under COMPLIANCE retention.
    fn dispose(&self, sha: &Sha256Digest, warrant: &Warrant) -> Result<(), BlobError> {
        crate::check_disposable(sha, warrant, self.retention(sha)?)?;
        let key = blob_key(sha);
        // Each round deletes the current version; older versions (an overwrite made around
        // liuhen) become current in turn. Bounded, in case the server misbehaves.
        for _ in 0..16 {
            let Some(resp) = self.head(&key)? else {
                return Ok(());
            };
            let mut req = Req::new("DeleteObject", "DELETE", Some(&key));
            if let Some(v) = header(&resp, "x-amz-version-id") {
                req = req.query("versionId", v);
            }
            self.ok(req)?;
        }
        Err(BlobError::UnexpectedResponse {
            operation: "DeleteObject",
            detail: format!("{key} still has a current version after 16 deletions"),
        })
    }

    fn put_note(&self, name: &str, note: &[u8], retain_until: Timestamp) -> Result<(), BlobError> {
        self.put_note_object(name, note, retain_until)
    }

    fn note_names(&self) -> Result<Vec<String>, BlobError> {
        self.note_object_names()
    }

    fn read_note(&self, name: &str) -> Result<Option<Vec<u8>>, BlobError> {
        self.read_note_object(name)
    }
}
