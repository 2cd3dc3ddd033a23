//! Raw S3 calls the public API deliberately lacks, for tests that prove the *server*
//! refuses to destroy locked originals. Only with feature `test-hooks`.

use super::*;

impl S3Store {
    /// The S3 key under which a blob is stored.
    pub fn blob_key(sha: &Sha256Digest) -> String {
        blob_key(sha)
    }

    /// Version id of the current version of `key`.
    pub fn raw_version_id(&self, key: &str) -> Result<Option<String>, BlobError> {
        let (resp, _) = self.ok(Req::new("HeadObject", "HEAD", Some(key)))?;
        Ok(header(&resp, "x-amz-version-id"))
    }

    /// DELETE `key` (a specific version if given).
    pub fn raw_delete(&self, key: &str, version_id: Option<&str>) -> Result<(), BlobError> {
        let mut req = Req::new("DeleteObject", "DELETE", Some(key));
        if let Some(v) = version_id {
            req = req.query("versionId", v);
        }
        self.ok(req).map(drop)
    }

    /// PUT `body` at `key`, replacing whatever is current; returns the new version id.
    pub fn raw_put_overwrite(&self, key: &str, body: &[u8]) -> Result<Option<String>, BlobError> {
        let (resp, _) = self.ok(Req::new("PutObject", "PUT", Some(key)).body(body))?;
        Ok(header(&resp, "x-amz-version-id"))
    }

    /// GET `key` (a specific version if given), whole body into memory.
    pub fn raw_get(&self, key: &str, version_id: Option<&str>) -> Result<Vec<u8>, BlobError> {
        let mut req = Req::new("GetObject", "GET", Some(key));
        if let Some(v) = version_id {
            req = req.query("versionId", v);
        }
        let resp = self.send(req)?;
        let status = resp.status().as_u16();
        let bytes = resp
            .into_body()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .map_err(|e| BlobError::Http {
                operation: "GetObject",
                source: Box::new(e),
            })?;
        if status != 200 {
            let text = String::from_utf8_lossy(&bytes);
            return Err(BlobError::S3 {
                operation: "GetObject",
                status,
                code: xml::first(&text, "Code").unwrap_or_default(),
                message: xml::first(&text, "Message").unwrap_or_default(),
            });
        }
        Ok(bytes)
    }

    /// Keys with a `staging/` prefix still present (should be none after puts).
    pub fn raw_list_staging(&self) -> Result<Vec<String>, BlobError> {
        let req = Req::new("ListObjectsV2", "GET", None)
            .query("list-type", "2")
            .query("prefix", "staging/");
        let (_, text) = self.ok(req)?;
        Ok(xml::all(&text, "Key"))
    }
}

impl S3Store {
    /// PutObjectRetention without the client-side "never shorten" check, to show that the
    /// server itself refuses to shorten COMPLIANCE retention.
    pub fn raw_put_retention(&self, sha: &Sha256Digest, until: Timestamp) -> Result<(), BlobError> {
        self.put_retention(&blob_key(sha), None, until)
    }
}
