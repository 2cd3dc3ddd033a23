//! Downloads of originals checked as they stream (R6.2): a full download re-hashes the
//! bytes while sending them and holds the last chunk back until the digest is known; a
//! mismatch (or a short blob) is logged (`record.download_aborted`, an alert) and the
//! connection is cut before the last bytes, so the client never holds a complete file
//! that differs from the record. Ranged requests (resuming) are served unverified by
//! `playback::serve_blob`, as playback is.

use axum::body::{Body, Bytes};
use axum::http::header::{
    ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_NONE_MATCH, IF_RANGE, RANGE,
};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use liuhen_app::Custody;
use liuhen_app::playback::Playable;
use liuhen_domain::{Record, Sha256Digest};
use sha2::{Digest as _, Sha256};

use crate::ApiError;
use crate::playback::{RangeAsk, ReaderBody, STREAM_CHUNK, parse_range, serve_blob};

/// Serves the original of `record` to `actor`: whole and checked, or a range unverified.
pub(crate) async fn serve_original(
    c: &Custody,
    record: &Record,
    actor: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let p = Playable {
        sha256: record.sha256,
        size: record.size_bytes,
        content_type: "application/octet-stream",
        derived: false,
    };
    let get = |h| {
        headers
            .get(h)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    let whole = get(IF_NONE_MATCH).is_none()
        && (get(IF_RANGE).is_some()
            || parse_range(get(RANGE), record.size_bytes) == RangeAsk::Full);
    if !whole {
        return serve_blob(c, &p, headers).await;
    }
    let blobs = c.blobs().clone();
    let (sha, size) = (record.sha256, record.size_bytes);
    let reader = tokio::task::spawn_blocking(move || blobs.open_range(&sha, 0, size))
        .await
        .map_err(liuhen_app::AppError::from)?
        .map_err(liuhen_app::AppError::from)?;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let custody = c.clone();
    let (actor, id) = (actor.to_owned(), record.id.to_string());
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let cut = |found: Option<Sha256Digest>, read: u64, why: String| {
            if let Err(e) = handle.block_on(custody.download_aborted(
                &actor,
                &id,
                &sha,
                found.as_ref(),
                read,
                &why,
            )) {
                tracing::error!(error = %liuhen_app::error_chain(&e), record = %id, "logging a cut download failed");
            }
        };
        checked_stream(reader, sha, size, &tx, cut);
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, p.content_type)
        .header(CONTENT_LENGTH, size)
        .header(ACCEPT_RANGES, "bytes")
        .header(ETAG, format!("\"{}\"", sha.to_hex()))
        .body(Body::new(ReaderBody::from_channel(rx)))
        .map_err(|e| ApiError::Internal(liuhen_app::AppError::Task(e.to_string())))
}

/// Sends `reader`'s bytes on `tx`, one chunk behind the reading; at the end the last
/// chunk goes only if the bytes hashed to `expected` and were `size` long, else `cut` is
/// called (found digest, bytes read, why) and an error ends the body instead.
fn checked_stream(
    mut reader: Box<dyn std::io::Read + Send>,
    expected: Sha256Digest,
    size: u64,
    tx: &tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    cut: impl FnOnce(Option<Sha256Digest>, u64, String),
) {
    let mut hasher = Sha256::new();
    let mut read: u64 = 0;
    let mut held: Option<Bytes> = None;
    loop {
        let mut buf = Vec::with_capacity(STREAM_CHUNK as usize);
        match std::io::Read::read_to_end(
            &mut std::io::Read::take(&mut reader, STREAM_CHUNK),
            &mut buf,
        ) {
            Ok(0) => break,
            Ok(n) => {
                read += n as u64;
                hasher.update(&buf);
                if let Some(previous) = held.replace(Bytes::from(buf))
                    && tx.blocking_send(Ok(previous)).is_err()
                {
                    return; // the client went away
                }
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
    }
    let found = Sha256Digest::from_bytes(hasher.finalize().into());
    if found == expected && read == size {
        if let Some(last) = held {
            let _ = tx.blocking_send(Ok(last));
        }
        return;
    }
    let why = format!(
        "原始文件校验不符，下载已中断：应为 SHA-256 {expected}（{size} 字节），读出 SHA-256 {found}（{read} 字节）"
    );
    cut(Some(found), read, why.clone());
    let _ = tx.blocking_send(Err(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        why,
    )));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(data: &[u8], expected: Sha256Digest, size: u64) -> (Vec<u8>, bool, bool) {
        let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
        let mut was_cut = false;
        checked_stream(
            Box::new(std::io::Cursor::new(data.to_vec())),
            expected,
            size,
            &tx,
            |_, _, _| was_cut = true,
        );
        drop(tx);
        let mut got = Vec::new();
        let mut errored = false;
        while let Ok(item) = rx.try_recv() {
            match item {
                Ok(b) => got.extend_from_slice(&b),
                Err(_) => errored = true,
            }
        }
        (got, was_cut, errored)
    }

    fn sha(data: &[u8]) -> Sha256Digest {
        // independent of the code under test: the sha2 crate directly
        Sha256Digest::from_bytes(Sha256::digest(data).into())
    }

    #[test]
    fn a_good_original_streams_whole() {
        let data: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        let (got, cut, err) = run(&data, sha(&data), data.len() as u64);
        assert_eq!(got, data);
        assert!(!cut && !err);
    }

    #[test]
    fn a_flipped_byte_cuts_before_the_last_bytes() {
        let data: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        let mut bad = data.clone();
        bad[10] ^= 1;
        let (got, cut, err) = run(&bad, sha(&data), data.len() as u64);
        assert!(cut && err);
        assert!(
            got.len() < data.len(),
            "sent {} of {}",
            got.len(),
            data.len()
        );
        // a small original is never sent at all
        let small = b"hello".to_vec();
        let (got, cut, _) = run(b"hellp", sha(&small), 5);
        assert!(cut && got.is_empty());
    }
}
