//! Playback: Range/ETag/If-Range, refusals, playback reports, proxies and thumbnails.

use std::path::PathBuf;
use std::sync::Arc;

use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_domain::Classification;
use reqwest::StatusCode;

use crate::support::TestApp;
use crate::uploads::api_user;

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(format!(
        "{}/../../../shared/media-corpus/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
}

/// Ingests a corpus file as 张伟's (甲局) record; returns its id and bytes.
async fn ingest(app: &TestApp, name: &str) -> (String, Vec<u8>) {
    let opts = IngestOptions {
        actor: "test".into(),
        classification: Classification {
            officer: Some("张伟".into()),
            agency: Some("甲局".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let path = corpus(name);
    let summary = app
        .custody
        .ingest(std::slice::from_ref(&path), &opts, Arc::new(NoProgress))
        .await;
    let id = summary.reports[0].record_id.clone().expect("ingested");
    (id, std::fs::read(path).unwrap())
}

#[tokio::test]
async fn media_is_served_with_ranges_and_etag() {
    let app = TestApp::new().await;
    let (_, token) = api_user(&app, "zhangwei", "张伟", "甲局").await;
    let (id, data) = ingest(&app, "meta.mp4").await;
    let http = app.client();
    let url = app.url(&format!("/records/{id}/media"));
    let get = |range: Option<&str>, if_range: Option<&str>| {
        let mut r = http.get(&url).bearer_auth(&token);
        if let Some(v) = range {
            r = r.header("Range", v);
        }
        if let Some(v) = if_range {
            r = r.header("If-Range", v);
        }
        r.send()
    };
    let sha = liuhen_blob::hash_reader(&mut &data[..]).unwrap().sha256;
    let etag = format!("\"{}\"", sha.to_hex());

    let res = get(None, None).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "video/mp4");
    assert_eq!(res.headers()["accept-ranges"], "bytes");
    assert_eq!(res.headers()["etag"], etag.as_str());
    assert_eq!(res.headers()["content-length"], data.len().to_string());
    assert!(res.bytes().await.unwrap() == data, "full body differs");

    let res = get(Some("bytes=100-1123"), None).await.unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 100-1123/{}", data.len()).as_str()
    );
    assert_eq!(&res.bytes().await.unwrap()[..], &data[100..1124]);

    // The tail, and a large open range (streamed).
    let res = get(Some("bytes=-10"), None).await.unwrap();
    assert_eq!(&res.bytes().await.unwrap()[..], &data[data.len() - 10..]);
    let res = get(Some("bytes=5-"), None).await.unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert!(res.bytes().await.unwrap()[..] == data[5..]);

    // Unsatisfiable → 416 naming the size.
    let res = get(Some(&format!("bytes={}-", data.len())), None)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes */{}", data.len()).as_str()
    );
    assert_eq!(get(Some("bytes=9-3"), None).await.unwrap().status(), 416);
    // Several ranges → the whole content.
    let res = get(Some("bytes=0-1,5-9"), None).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // If-Range: the current ETag → the range; another → the whole content.
    let res = get(Some("bytes=0-9"), Some(&etag)).await.unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    let res = get(Some("bytes=0-9"), Some("\"something-else\""))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().len(), data.len());
    let res = http
        .get(&url)
        .bearer_auth(&token)
        .header("If-None-Match", etag.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn another_officer_is_refused_and_the_refusal_logged() {
    let app = TestApp::new().await;
    let (other_id, other) = api_user(&app, "lina", "李娜", "甲局").await;
    let (id, _) = ingest(&app, "meta.mp4").await;
    let http = app.client();
    for path in [
        format!("/records/{id}/media"),
        format!("/records/{id}/thumbnail"),
    ] {
        let res = http
            .get(app.url(&path))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let res = http
        .post(app.url(&format!("/api/v1/records/{id}/playback")))
        .bearer_auth(&other)
        .json(&serde_json::json!({ "intervals": [[0.0, 1.0]] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let log = app.entries(&format!("record:{id}")).await;
    let refused: Vec<_> = log
        .iter()
        .filter(|e| e.action == "access.refused")
        .collect();
    assert_eq!(refused.len(), 3);
    assert!(
        refused
            .iter()
            .all(|e| e.actor == other_id && e.details["action"] == "record.play")
    );
    let res = http
        .get(app.url(&format!("/records/{id}/media")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn playback_reports_are_logged_with_their_intervals() {
    let app = TestApp::new().await;
    let (uid, token) = api_user(&app, "zhangwei", "张伟", "甲局").await;
    let (id, _) = ingest(&app, "3gp_640x360.3gp").await; // 13.3 s
    let http = app.client();
    let url = app.url(&format!("/api/v1/records/{id}/playback"));
    let post = |body: serde_json::Value| http.post(&url).bearer_auth(&token).json(&body).send();
    let res = post(serde_json::json!({ "intervals": [[0.0, 4.5], [3.0, 6.0], [10.0, 13.5]] }))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let log = app.entries(&format!("record:{id}")).await;
    let played = log.last().unwrap();
    assert_eq!(
        (played.action.as_str(), played.actor.as_str()),
        ("record.played", uid.as_str())
    );
    // The body is RFC 8785 (log format 2): whole seconds are printed without a fraction.
    assert_eq!(
        played.details["intervals"],
        serde_json::json!([[0, 4.5], [3, 6], [10, 13.5]])
    );
    assert_eq!(played.details["seconds"], 9.5);

    let n = log.len();
    for bad in [
        serde_json::json!({ "intervals": [[0.0, 60.0]] }),
        serde_json::json!({ "intervals": [[5.0, 1.0]] }),
        serde_json::json!({ "intervals": [] }),
        serde_json::json!({ "intervals": vec![[0.0, 1.0]; 1001] }),
        serde_json::json!({ "intervals": [["a", 1.0]] }),
        serde_json::json!({ "seconds": 3 }),
    ] {
        let res = post(bad.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(app.entries(&format!("record:{id}")).await.len(), n);
}

#[tokio::test]
async fn proxies_are_made_for_what_browsers_cannot_play() {
    let app = TestApp::new().await;
    if app.custody.ffmpeg().is_none() {
        crate::support::missing("ffmpeg");
        return;
    }
    let (_, token) = api_user(&app, "zhangwei", "张伟", "甲局").await;
    let (mkv, mkv_bytes) = ingest(&app, "mkv_640x360.mkv").await;
    let (hevc, _) = ingest(&app, "udta.auth.mp4").await;
    let (mp4, _) = ingest(&app, "meta.mp4").await;
    let http = app.client();
    let get = |path: String| http.get(app.url(&path)).bearer_auth(&token).send();

    // Before the worker ran: nothing to play for MKV/HEVC yet.
    assert_eq!(
        get(format!("/records/{mkv}/media")).await.unwrap().status(),
        404
    );
    let handled = app.custody.make_derivatives(10).await.unwrap();
    assert_eq!(handled, 3);
    assert_eq!(
        app.custody.make_derivatives(10).await.unwrap(),
        0,
        "done once"
    );

    for id in [&mkv, &hevc] {
        let res = get(format!("/records/{id}/media")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{id}");
        assert_eq!(res.headers()["content-type"], "video/mp4");
        let body = res.bytes().await.unwrap();
        assert_eq!(&body[4..8], b"ftyp", "an MP4 proxy");
        let res = get(format!("/records/{id}/thumbnail")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert_eq!(&res.bytes().await.unwrap()[..2], b"\xff\xd8");
        let log = app.entries(&format!("record:{id}")).await;
        let made: Vec<_> = log
            .iter()
            .filter(|e| e.action == "derivative.created")
            .collect();
        assert_eq!(made.len(), 2, "proxy and thumbnail");
        assert!(made.iter().all(|e| e.details["status"] == "ready"));
    }
    // The MP4 plays as it is: only a thumbnail.
    let log = app.entries(&format!("record:{mp4}")).await;
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "derivative.created")
            .count(),
        1
    );
    // The original is untouched.
    let mkv_id = liuhen_domain::RecordId::parse(&mkv).unwrap();
    let (record, _) = app.custody.db().record(&mkv_id).await.unwrap().unwrap();
    let rehash = app.custody.blobs().rehash(&record.sha256).unwrap();
    assert_eq!(
        rehash,
        liuhen_blob::hash_reader(&mut &mkv_bytes[..]).unwrap()
    );
}

#[tokio::test]
async fn without_ffmpeg_the_player_says_why() {
    let app = TestApp::with_config("[media]\nffmpeg = \"/nonexistent/ffmpeg\"\n").await;
    let (id, _) = ingest(&app, "mkv_640x360.mkv").await;
    let rid = liuhen_domain::RecordId::parse(&id).unwrap();
    let (record, _) = app.custody.db().record(&rid).await.unwrap().unwrap();
    assert_eq!(
        app.custody.preview(&record).await.unwrap(),
        liuhen_app::playback::Preview::NoFfmpeg
    );
    assert_eq!(app.custody.make_derivatives(10).await.unwrap(), 0);
}

/// A permission found for one Range request serves the next ones, but no change committed
/// since: a reclassified record and a revoked token take effect at the next request.
#[tokio::test]
async fn reused_playback_permissions_end_with_any_change() {
    let app = TestApp::new().await;
    let (user_id, token) = api_user(&app, "zhangwei", "张伟", "甲局").await;
    let (id, data) = ingest(&app, "meta.mp4").await;
    let http = app.client();
    let get = |range: &'static str| {
        http.get(app.url(&format!("/records/{id}/media")))
            .bearer_auth(&token)
            .header("Range", range)
            .send()
    };
    for _ in 0..3 {
        let res = get("bytes=0-9").await.unwrap();
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(res.bytes().await.unwrap(), data[..10]);
    }

    let rid = liuhen_domain::RecordId::parse(&id).unwrap();
    let to_lina = liuhen_app::records::ClassificationChange {
        officer: Some("李娜".into()),
        ..Default::default()
    };
    app.custody
        .change_classification(&rid, &to_lina, "改正执法人员", "keeper")
        .await
        .unwrap();
    assert_eq!(
        get("bytes=0-9").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    let back = liuhen_app::records::ClassificationChange {
        officer: Some("张伟".into()),
        ..Default::default()
    };
    app.custody
        .change_classification(&rid, &back, "恢复", "keeper")
        .await
        .unwrap();
    assert_eq!(
        get("bytes=0-9").await.unwrap().status(),
        StatusCode::PARTIAL_CONTENT
    );
    let t = app.custody.api_tokens(&user_id).await.unwrap().remove(0);
    app.custody.revoke_api_token(&user_id, &t.id).await.unwrap();
    assert_eq!(
        get("bytes=0-9").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}
