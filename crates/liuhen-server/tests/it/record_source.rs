//! Issue 17 (R2.1): a record carries its source as declared at upload (the form's and the
//! tus API's `source` metadata; the CLI's `--source`), validated, and its recording mode
//! follows from it: a fixed surveillance camera's video counts as 视频监控 even when the
//! device registry does not know the camera.

use liuhen_domain::RecordId;
use liuhen_domain::case::{RecordingMode, RecordingSource};
use reqwest::StatusCode;

use crate::support::TestApp;
use crate::uploads::{TUS, api_user, b64};

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../../shared/media-corpus/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Uploads `data` in one PATCH with `meta`; the record id, or the refusal (status, body).
async fn upload(
    app: &TestApp,
    token: &str,
    data: &[u8],
    meta: &str,
) -> Result<String, (StatusCode, serde_json::Value)> {
    let http = app.client();
    let res = http
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(token)
        .header("Tus-Resumable", TUS)
        .header("Upload-Length", data.len().to_string())
        .header("Upload-Metadata", meta)
        .send()
        .await
        .unwrap();
    if res.status() != StatusCode::CREATED {
        let status = res.status();
        return Err((status, res.json().await.unwrap_or_default()));
    }
    let loc = res.headers()["location"].to_str().unwrap().to_owned();
    let res = http
        .patch(app.url(&loc))
        .bearer_auth(token)
        .header("Tus-Resumable", TUS)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(data.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    Ok(res.headers()["liuhen-record-id"]
        .to_str()
        .unwrap()
        .to_owned())
}

#[tokio::test]
async fn records_carry_the_source_declared_at_upload_and_the_mode_follows() {
    let app = TestApp::new().await;
    let (_, token) = api_user(&app, "zhangwei", "张伟", "甲局").await;
    let video = corpus("meta.mp4");
    let other_video = corpus("meta.mov");

    // (source metadata, file, expected stored source, expected mode) — by hand from R2.1.
    type Row<'a> = (
        Option<&'a str>,
        &'a [u8],
        Option<RecordingSource>,
        RecordingMode,
    );
    let table: [Row; 2] = [
        (
            Some("fixed_surveillance"),
            &video,
            Some(RecordingSource::FixedSurveillance),
            RecordingMode::Surveillance,
        ),
        // No declaration, a device the registry does not know: a body camera's 录像.
        (None, &other_video, None, RecordingMode::Video),
    ];
    for (source, data, stored, mode) in table {
        let mut meta = format!(
            "filename {},device {}",
            b64("大厅.mp4"),
            b64("未登记摄像头")
        );
        if let Some(s) = source {
            meta.push_str(&format!(",source {}", b64(s)));
        }
        let id = upload(&app, &token, data, &meta).await.unwrap();
        let (record, _) = app
            .custody
            .db()
            .record(&RecordId::parse(&id).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.source, stored, "{source:?}");
        let decided = app.custody.config().recording_source(&record);
        let linked = liuhen_app::cases::linked_recording(&record, decided);
        assert_eq!(linked.mode, mode, "{source:?}");
        // The API shows the declared source.
        let v: serde_json::Value = app
            .client()
            .get(app.url(&format!("/api/v1/records/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            v["record"]["source"].as_str(),
            stored.map(RecordingSource::code),
            "{v}"
        );
    }
    // The Chinese label is accepted too; an unknown source is refused, in Chinese, and
    // nothing is created.
    let meta = format!("filename {},source {}", b64("a.mp4"), b64("卫星"));
    let (status, body) = upload(&app, &token, b"x", &meta).await.unwrap_err();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_metadata", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("记录来源无效"),
        "{body}"
    );
    let meta = format!("filename {},source {}", b64("b.jpg"), b64("录音设备"));
    let id = upload(&app, &token, &corpus("exif.jpg"), &meta)
        .await
        .unwrap();
    let (record, _) = app
        .custody
        .db()
        .record(&RecordId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.source, Some(RecordingSource::AudioRecorder));
    // verify still binds the row (with its source) to its log entry
    let report = app
        .custody
        .verify(
            liuhen_app::verify::VerifyOptions { fixity: false },
            &liuhen_app::verify::Quiet,
        )
        .await
        .unwrap();
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
}
