//! Checkpoint notes on S3 ([`crate::notes`]): `checkpoints/<size>.note`, each put once with
//! COMPLIANCE retention (read back and set explicitly where a server ignores the headers),
//! so that neither liuhen nor anyone with the bucket's keys can change or remove it before
//! its retain-until.

use super::*;
use crate::notes::{NOTE_AREA, same_or_conflict};

fn note_key(name: &str) -> String {
    format!("{NOTE_AREA}/{name}")
}

impl S3Store {
    pub(super) fn put_note_object(
        &self,
        name: &str,
        note: &[u8],
        retain_until: Timestamp,
    ) -> Result<(), BlobError> {
        if let Some(existing) = self.read_note_object(name)? {
            return same_or_conflict(name, &existing, note);
        }
        let until = ceil_to_second(retain_until);
        let key = note_key(name);
        let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(note));
        let req = Req::new("PutObject", "PUT", Some(&key))
            .header("content-md5", md5)
            .header("content-type", "text/plain; charset=utf-8")
            .header("x-amz-object-lock-mode", "COMPLIANCE")
            .header("x-amz-object-lock-retain-until-date", until.to_string())
            .body(note);
        let (resp, _) = self.ok(req)?;
        let version = header(&resp, "x-amz-version-id");
        if self.note_retention(&key)?.is_none_or(|cur| cur < until) {
            self.put_retention(&key, version.as_deref(), until)?;
        }
        Ok(())
    }

    fn note_retention(&self, key: &str) -> Result<Option<Timestamp>, BlobError> {
        let req = Req::new("GetObjectRetention", "GET", Some(key)).query("retention", "");
        match self.ok(req) {
            Ok((_, text)) => Ok(xml::first(&text, "RetainUntilDate").and_then(|d| d.parse().ok())),
            Err(BlobError::S3 { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(super) fn note_object_names(&self) -> Result<Vec<String>, BlobError> {
        let prefix = format!("{NOTE_AREA}/");
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut req = Req::new("ListObjectsV2", "GET", None)
                .query("list-type", "2")
                .query("prefix", prefix.clone());
            if let Some(t) = token.take() {
                req = req.query("continuation-token", t);
            }
            let (_, text) = self.ok(req)?;
            for key in xml::all(&text, "Key") {
                if let Some(name) = key.strip_prefix(&prefix)
                    && crate::notes::note_size(name).is_some()
                {
                    out.push(name.to_owned());
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

    pub(super) fn read_note_object(&self, name: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let resp = self.send(Req::new("GetObject", "GET", Some(&note_key(name))))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .into_body()
            .with_config()
            .limit(1024 * 1024)
            .read_to_vec()
            .map_err(|e| BlobError::Http {
                operation: "GetObject",
                source: Box::new(e),
            })?;
        match status {
            200 => Ok(Some(bytes)),
            404 => Ok(None),
            _ => {
                let text = String::from_utf8_lossy(&bytes);
                Err(BlobError::S3 {
                    operation: "GetObject",
                    status,
                    code: xml::first(&text, "Code").unwrap_or_default(),
                    message: xml::first(&text, "Message").unwrap_or_default(),
                })
            }
        }
    }
}
