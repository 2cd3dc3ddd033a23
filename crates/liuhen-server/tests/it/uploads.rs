//! tus 1.0 at /api/v1/uploads: creation, offsets, checksums, termination, resume after a
//! dropped connection, ownership, metadata and size limits, expiry.

use base64::Engine as _;
use liuhen_app::accounts::NewUser;
use liuhen_domain::Role;
use reqwest::{Method, StatusCode};
use sha2::Digest as _;

use crate::support::{TEST_PASSWORD, TestApp};

pub const TUS: &str = "1.0.0";

/// A user that calls the API with a bearer token (no CSRF). Returns (user id, token).
pub async fn api_user(
    app: &TestApp,
    username: &str,
    display: &str,
    unit: &str,
) -> (String, String) {
    api_user_on(&app.custody, username, display, unit).await
}

/// [`api_user`] on any server's custody.
pub async fn api_user_on(
    custody: &liuhen_app::Custody,
    username: &str,
    display: &str,
    unit: &str,
) -> (String, String) {
    let id = custody
        .create_user_unchecked(
            "test",
            NewUser {
                username: username.into(),
                display_name: display.into(),
                password: TEST_PASSWORD.into(),
                unit: Some(unit.into()),
                department: None,
                roles: vec![Role::Officer],
            },
        )
        .await
        .unwrap();
    let token = custody.create_api_token(&id, "tests").await.unwrap();
    (id, token)
}

pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

pub fn sha256_b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(data))
}

struct Tus<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    token: String,
}

impl<'a> Tus<'a> {
    fn new(app: &'a TestApp, token: &str) -> Self {
        Self {
            app,
            http: app.client(),
            token: token.to_owned(),
        }
    }

    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.app.url(path))
            .bearer_auth(&self.token)
            .header("Tus-Resumable", TUS)
    }

    async fn create(&self, length: u64, metadata: &str) -> reqwest::Response {
        self.req(Method::POST, "/api/v1/uploads")
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", metadata)
            .send()
            .await
            .unwrap()
    }

    async fn created(&self, length: u64, metadata: &str) -> String {
        let res = self.create(length, metadata).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
        let loc = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(loc.starts_with("/api/v1/uploads/"), "{loc}");
        loc
    }

    async fn head(&self, loc: &str) -> reqwest::Response {
        self.req(Method::HEAD, loc).send().await.unwrap()
    }

    async fn offset(&self, loc: &str) -> u64 {
        let res = self.head(loc).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.headers()["upload-offset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    async fn patch(
        &self,
        loc: &str,
        offset: u64,
        chunk: &[u8],
        sum: Option<String>,
    ) -> reqwest::Response {
        let mut r = self
            .req(Method::PATCH, loc)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string());
        if let Some(sum) = sum {
            r = r.header("Upload-Checksum", format!("sha256 {sum}"));
        }
        r.body(chunk.to_vec()).send().await.unwrap()
    }
}

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../../shared/media-corpus/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn partial_files(app: &TestApp) -> Vec<String> {
    match std::fs::read_dir(app.data.join("uploads")) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => vec![],
    }
}

#[tokio::test]
async fn upload_in_three_chunks_becomes_a_logged_record() {
    let app = TestApp::new().await;
    let (uid, token) = api_user(&app, "zhangwei", "张伟", "甲局").await;
    let tus = Tus::new(&app, &token);

    let res = tus
        .req(Method::OPTIONS, "/api/v1/uploads")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let h = res.headers();
    assert_eq!(h["tus-resumable"], TUS);
    assert_eq!(h["tus-version"], TUS);
    assert_eq!(h["tus-extension"], "creation,termination,checksum");
    assert_eq!(h["tus-checksum-algorithm"], "sha256");
    assert!(h["tus-max-size"].to_str().unwrap().parse::<u64>().unwrap() > 0);

    let data = corpus("meta.mp4");
    let meta = format!(
        "filename {},officer {},agency {},case_name {}",
        b64("现场执法.mp4"),
        b64("张伟"),
        b64("甲局"),
        b64("某公司安全检查")
    );
    let loc = tus.created(data.len() as u64, &meta).await;
    let id = loc.rsplit('/').next().unwrap().to_owned();
    let head = tus.head(&loc).await;
    assert_eq!(head.headers()["upload-offset"], "0");
    assert_eq!(head.headers()["upload-length"], data.len().to_string());
    assert_eq!(head.headers()["cache-control"], "no-store");
    assert_eq!(head.headers()["tus-resumable"], TUS);

    let cuts = [0, data.len() / 3, 2 * data.len() / 3, data.len()];
    let mut record_id = None;
    for w in cuts.windows(2) {
        let chunk = &data[w[0]..w[1]];
        let res = tus
            .patch(&loc, w[0] as u64, chunk, Some(sha256_b64(chunk)))
            .await;
        assert_eq!(
            res.status(),
            StatusCode::NO_CONTENT,
            "{:?}",
            res.text().await
        );
        assert_eq!(res.headers()["upload-offset"], w[1].to_string());
        assert_eq!(res.headers()["tus-resumable"], TUS);
        record_id = res
            .headers()
            .get("liuhen-record-id")
            .map(|v| v.to_str().unwrap().to_owned());
        if w[1] < data.len() {
            assert!(record_id.is_none());
            assert_eq!(tus.offset(&loc).await, w[1] as u64);
        }
    }
    let record_id = record_id.expect("the last PATCH names the record");
    let rid = liuhen_domain::RecordId::parse(&record_id).unwrap();
    let (record, _) = app.custody.db().record(&rid).await.unwrap().unwrap();
    let expected = liuhen_blob::hash_reader(&mut &data[..]).unwrap();
    assert_eq!(record.sha256, expected.sha256);
    assert_eq!(record.sm3, expected.sm3);
    assert_eq!(record.size_bytes, data.len() as u64);
    assert_eq!(record.original_name, "现场执法.mp4");
    assert_eq!(record.classification.officer.as_deref(), Some("张伟"));
    assert_eq!(
        record.classification.case_name.as_deref(),
        Some("某公司安全检查")
    );
    assert_eq!(record.media.video_codec.as_deref(), Some("h264"));
    // The stored blob is the uploaded content.
    assert_eq!(
        app.custody.blobs().rehash(&record.sha256).unwrap(),
        expected
    );

    let log = app.entries(&format!("record:{record_id}")).await;
    assert_eq!(log[0].action, "record.ingested");
    assert_eq!(log[0].actor, uid);
    assert_eq!(log[0].details["source"], format!("upload:{id}"));
    let started = app.entries(&format!("upload:{id}")).await;
    assert_eq!(started[0].action, "upload.started");
    assert_eq!(started[0].details["length"], data.len());
    assert!(partial_files(&app).is_empty(), "the partial file is gone");

    // HEAD after completion still answers, naming the record.
    let head = tus.head(&loc).await;
    assert_eq!(head.headers()["upload-offset"], data.len().to_string());
    assert_eq!(head.headers()["liuhen-record-id"], record_id.as_str());

    // The same content again: a duplicate, logged against the existing record.
    let loc2 = tus
        .created(data.len() as u64, &format!("filename {}", b64("again.mp4")))
        .await;
    let res = tus.patch(&loc2, 0, &data, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(res.headers()["liuhen-record-id"], record_id.as_str());
    let log = app.entries(&format!("record:{record_id}")).await;
    assert_eq!(log.last().unwrap().action, "record.duplicate");
}

#[tokio::test]
async fn wrong_offset_bad_checksum_and_wrong_version_change_nothing() {
    let app = TestApp::new().await;
    let (_, token) = api_user(&app, "zhangwei", "张伟", "甲局").await;
    let tus = Tus::new(&app, &token);
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let loc = tus
        .created(data.len() as u64, &format!("filename {}", b64("a.bin")))
        .await;
    assert_eq!(tus.patch(&loc, 0, &data[..1000], None).await.status(), 204);

    // Wrong offset → 409, offset unchanged.
    let res = tus.patch(&loc, 500, &data[500..2000], None).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(res.headers()["tus-resumable"], TUS);
    assert_eq!(tus.offset(&loc).await, 1000);

    // Bad checksum → 460, the chunk is discarded.
    let chunk = &data[1000..100_000];
    let res = tus
        .patch(&loc, 1000, chunk, Some(sha256_b64(b"something else")))
        .await;
    assert_eq!(res.status().as_u16(), 460);
    assert_eq!(tus.offset(&loc).await, 1000);
    assert_eq!(
        std::fs::metadata(
            app.data
                .join("uploads")
                .join(format!("{}.part", loc.rsplit('/').next().unwrap()))
        )
        .unwrap()
        .len(),
        1000
    );
    // Unsupported algorithm → 400.
    let res = tus
        .req(Method::PATCH, &loc)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "1000")
        .header("Upload-Checksum", "md5 AAAA")
        .body(chunk.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // Wrong protocol version → 412 with the supported one.
    let res = tus
        .http
        .head(app.url(&loc))
        .bearer_auth(&token)
        .header("Tus-Resumable", "0.2.2")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(res.headers()["tus-version"], TUS);

    // Past Upload-Length → 400, nothing kept.
    let mut too_much = data[1000..].to_vec();
    too_much.extend_from_slice(b"extra");
    assert_eq!(tus.patch(&loc, 1000, &too_much, None).await.status(), 400);
    assert_eq!(tus.offset(&loc).await, 1000);

    // The hashing state was rebuilt after the rejected chunks: the digests are right.
    let rest = &data[1000..];
    let res = tus.patch(&loc, 1000, rest, Some(sha256_b64(rest))).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let rid = res.headers()["liuhen-record-id"].to_str().unwrap();
    let (record, _) = app
        .custody
        .db()
        .record(&liuhen_domain::RecordId::parse(rid).unwrap())
        .await
        .unwrap()
        .unwrap();
    let expected = liuhen_blob::hash_reader(&mut &data[..]).unwrap();
    assert_eq!((record.sha256, record.sm3), (expected.sha256, expected.sm3));
}

#[tokio::test]
async fn termination_removes_the_partial_data_and_is_logged() {
    let app = TestApp::new().await;
    let (uid, token) = api_user(&app, "zhangwei", "张伟", "甲局").await;
    let tus = Tus::new(&app, &token);
    let loc = tus
        .created(10_000, &format!("filename {}", b64("x.bin")))
        .await;
    let id = loc.rsplit('/').next().unwrap().to_owned();
    assert_eq!(tus.patch(&loc, 0, &[1u8; 4000], None).await.status(), 204);
    assert_eq!(partial_files(&app).len(), 1);

    let res = tus.req(Method::DELETE, &loc).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(res.headers()["tus-resumable"], TUS);
    assert!(partial_files(&app).is_empty());
    assert_eq!(tus.head(&loc).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(tus.patch(&loc, 4000, &[1u8; 10], None).await.status(), 404);
    let log = app.entries(&format!("upload:{id}")).await;
    assert_eq!(log.last().unwrap().action, "upload.terminated");
    assert_eq!(log.last().unwrap().actor, uid);
    assert_eq!(log.last().unwrap().details["offset"], 4000);
}

#[tokio::test]
async fn a_dropped_connection_keeps_what_was_written_and_the_upload_resumes() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::new().await;
    let (_, token) = api_user(&app, "zhangwei", "张伟", "甲局").await;
    let tus = Tus::new(&app, &token);
    let data: Vec<u8> = (0..6_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let loc = tus
        .created(data.len() as u64, &format!("filename {}", b64("drop.bin")))
        .await;

    // Announce the whole body, send half of it, then drop the connection.
    let half = 3_500_000usize;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "PATCH {loc} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n\
         Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: {}\r\n\r\n",
        data.len()
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(&data[..half]).await.unwrap();
    sock.flush().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(sock);

    // HEAD shows what was durably written (the server may still be closing the PATCH).
    let mut offset = 0;
    for _ in 0..100 {
        let res = tus.head(&loc).await;
        offset = res.headers()["upload-offset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        if offset == half as u64 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(offset, half as u64, "every received byte is kept");

    let res = tus
        .patch(&loc, offset, &data[offset as usize..], None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let rid = res.headers()["liuhen-record-id"].to_str().unwrap();
    let (record, _) = app
        .custody
        .db()
        .record(&liuhen_domain::RecordId::parse(rid).unwrap())
        .await
        .unwrap()
        .unwrap();
    let expected = liuhen_blob::hash_reader(&mut &data[..]).unwrap();
    assert_eq!((record.sha256, record.sm3), (expected.sha256, expected.sm3));
}

#[tokio::test]
async fn another_user_cannot_touch_the_upload() {
    let app = TestApp::new().await;
    let (_, owner) = api_user(&app, "zhangwei", "张伟", "甲局").await;
    let (other_id, other) = api_user(&app, "lina", "李娜", "甲局").await;
    let tus = Tus::new(&app, &owner);
    let loc = tus
        .created(100, &format!("filename {}", b64("x.bin")))
        .await;
    let id = loc.rsplit('/').next().unwrap().to_owned();
    let intruder = Tus::new(&app, &other);
    assert_eq!(intruder.head(&loc).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        intruder.patch(&loc, 0, &[0u8; 100], None).await.status(),
        403
    );
    let res = intruder.req(Method::DELETE, &loc).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(tus.offset(&loc).await, 0);
    let log = app.entries(&format!("upload:{id}")).await;
    let refused: Vec<_> = log
        .iter()
        .filter(|e| e.action == "access.refused")
        .collect();
    assert_eq!(refused.len(), 3);
    assert!(
        refused
            .iter()
            .all(|e| e.actor == other_id && e.details["reason"] == "not_owner")
    );
    // No credentials at all.
    let res = reqwest::Client::new()
        .head(app.url(&loc))
        .header("Tus-Resumable", TUS)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_metadata_is_refused_in_chinese_and_creates_nothing() {
    let app = TestApp::new().await;
    let (_, token) = api_user(&app, "zhangwei", "张伟", "甲局").await;
    let tus = Tus::new(&app, &token);
    let (entries_before, _) = app.custody.db().log_sizes().await.unwrap();
    let cases = [
        (format!("officer {}", b64("张伟")), "文件名"),
        ("filename !!!notbase64".to_owned(), "Base64"),
        (
            format!("filename {},colour {}", b64("a.mp4"), b64("red")),
            "不支持的元数据项",
        ),
        (
            format!("filename {},returned_at {}", b64("a.mp4"), b64("昨天")),
            "返回时间",
        ),
        (format!("filename {}", b64("../../etc/passwd")), "文件名"),
        (
            format!("filename {},filename {}", b64("a"), b64("b")),
            "重复",
        ),
    ];
    for (meta, needle) in cases {
        let res = tus.create(100, &meta).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{meta}");
        let body: serde_json::Value = res.json().await.unwrap();
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{meta}: {msg}");
    }
    let res = tus
        .req(Method::POST, "/api/v1/uploads")
        .header("Upload-Metadata", format!("filename {}", b64("a.mp4")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "Upload-Length is required"
    );
    assert!(partial_files(&app).is_empty());
    assert_eq!(
        app.custody.db().log_sizes().await.unwrap().0,
        entries_before
    );
}

#[tokio::test]
async fn too_large_is_413_and_idle_uploads_expire() {
    let app = TestApp::with_config("[uploads]\nmax_size_bytes = 1000\n").await;
    let (_, token) = api_user(&app, "zhangwei", "张伟", "甲局").await;
    let tus = Tus::new(&app, &token);
    let res = tus
        .create(1001, &format!("filename {}", b64("big.bin")))
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.headers()["tus-resumable"], TUS);
    assert!(partial_files(&app).is_empty());

    let loc = tus
        .created(1000, &format!("filename {}", b64("ok.bin")))
        .await;
    let id = loc.rsplit('/').next().unwrap().to_owned();
    assert_eq!(tus.patch(&loc, 0, &[7u8; 10], None).await.status(), 204);
    // Not idle yet.
    assert_eq!(
        app.custody
            .sweep_uploads(jiff::Timestamp::now())
            .await
            .unwrap(),
        0
    );
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(25);
    assert_eq!(app.custody.sweep_uploads(later).await.unwrap(), 1);
    assert!(partial_files(&app).is_empty());
    assert_eq!(tus.head(&loc).await.status(), StatusCode::NOT_FOUND);
    let log = app.entries(&format!("upload:{id}")).await;
    let last = log.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("upload.terminated", "system")
    );
    assert_eq!(last.details["reason"], "expired");
}

#[tokio::test]
async fn the_upload_page_and_browser_sessions_with_csrf() {
    let app = TestApp::new().await;
    let (u, p) = app
        .user_named("zhangwei", "张伟", &[Role::Officer], "甲局")
        .await;
    let c = app.client();
    let csrf = app.login(&c, &u, &p).await;
    let res = c.get(app.url("/upload")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("上传音像记录"), "{html}");
    assert!(
        html.contains("value=\"张伟\""),
        "officer defaults to the user"
    );
    assert!(html.contains("/assets/tus.min.js") && html.contains("/assets/upload.js"));
    for asset in ["tus.min.js", "upload.js", "player.js"] {
        let res = c
            .get(app.url(&format!("/assets/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
    }
    let create = |token: Option<&str>| {
        let mut r = c
            .post(app.url("/api/v1/uploads"))
            .header("Tus-Resumable", TUS)
            .header("Upload-Length", "3")
            .header("Upload-Metadata", format!("filename {}", b64("a.txt")));
        if let Some(t) = token {
            r = r.header("X-CSRF-Token", t);
        }
        r.send()
    };
    // A browser session needs the CSRF header, as tus-js-client sends it.
    assert_eq!(create(None).await.unwrap().status(), StatusCode::FORBIDDEN);
    let res = create(Some(&csrf)).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let loc = res.headers()["location"].to_str().unwrap().to_owned();
    let res = c
        .patch(app.url(&loc))
        .header("Tus-Resumable", TUS)
        .header("X-CSRF-Token", &csrf)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.headers().contains_key("liuhen-record-id"));

    // A role without the right to upload sees no page.
    let (a, pw) = app.user("auditor", &[Role::AuditAdmin], "甲局").await;
    let c2 = app.client();
    app.login(&c2, &a, &pw).await;
    let res = c2.get(app.url("/upload")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
