//! Holds and the disposal procedure over the JSON API, six years on (the server's clock is
//! moved): the keeper holds one record, lists the other, the chain approves it (the
//! drafter's own approval refused), the keeper executes it, the certificate names the
//! original's digests, and the held record stays.

use std::sync::Arc;

use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_domain::{Classification, RecordId, Role};
use serde_json::{Value, json};

use crate::support::{TEST_PASSWORD, TestApp};

const GX: &str = "平顶山高新区应急管理局";

struct Caller {
    client: reqwest::Client,
    csrf: String,
}

impl Caller {
    async fn new(app: &TestApp, username: &str) -> Self {
        let client = app.client();
        let csrf = app.login(&client, username, TEST_PASSWORD).await;
        Caller { client, csrf }
    }
    async fn post(&self, app: &TestApp, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .client
            .post(app.url(path))
            .header("X-CSRF-Token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
    async fn get(&self, app: &TestApp, path: &str) -> (u16, Value) {
        let res = self.client.get(app.url(path)).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

async fn ingest(app: &TestApp, name: &str) -> RecordId {
    let dir = app.data.parent().unwrap().join("incoming");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("recording {name}")).unwrap();
    let opts = IngestOptions {
        actor: "test".into(),
        classification: Classification {
            agency: Some(GX.into()),
            officer: Some("张伟".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let summary = app
        .custody
        .ingest(&[path], &opts, Arc::new(NoProgress))
        .await;
    RecordId::parse(summary.reports[0].record_id.as_deref().unwrap()).unwrap()
}

#[tokio::test]
async fn holds_and_a_disposal_list_over_the_api() {
    let app = TestApp::new().await;
    for (u, name, role) in [
        ("zhaomin", "赵敏", Role::RecordsKeeper),
        ("qianli", "钱立", Role::RecordsKeeper),
        ("sunfa", "孙法", Role::LegalOffice),
        ("lilead", "李领", Role::DeputyHead),
    ] {
        app.user_named(u, name, &[role], GX).await;
    }
    let gone = ingest(&app, "DSJ-01_0001.MP4").await;
    let held = ingest(&app, "DSJ-01_0002.MP4").await;
    let keeper = Caller::new(&app, "zhaomin").await;

    let (status, hold) = keeper
        .post(
            &app,
            &format!("/api/v1/records/{held}/holds"),
            json!({ "ground": "obstruction", "note": "当事人阻挠执法" }),
        )
        .await;
    assert_eq!(status, 201, "{hold}");
    assert_eq!(hold["in_force"], true);
    let (status, holds) = keeper
        .get(&app, &format!("/api/v1/records/{held}/holds"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(holds["holds"][0]["id"], hold["id"]);

    app.clock.advance_years(6);
    // Six years on, the session has long expired: sign in again.
    let keeper = Caller::new(&app, "zhaomin").await;
    let (status, due) = keeper.get(&app, "/api/v1/disposal/due").await;
    assert_eq!(status, 200, "{due}");
    let ids: Vec<&str> = due["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["record_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [gone.as_str()], "the held record is not due");

    let (status, list) = keeper
        .post(
            &app,
            "/api/v1/disposal/lists",
            json!({ "note": "2032年第一批", "items": [
                { "record_id": gone.as_str(), "appraisal": "保管期限届满，无保存价值" }
            ] }),
        )
        .await;
    assert_eq!(status, 201, "{list}");
    let id = list["id"].as_str().unwrap().to_owned();
    assert_eq!(list["next_step"]["role"], "records_keeper");
    let decide = format!("/api/v1/disposal/lists/{id}/decisions");
    let ok = json!({ "decision": "approve", "reason": "同意" });
    let (status, body) = keeper.post(&app, &decide, ok.clone()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("disposal_self_approval"))
    );
    for who in ["qianli", "sunfa", "lilead"] {
        let (status, body) = Caller::new(&app, who)
            .await
            .post(&app, &decide, ok.clone())
            .await;
        assert_eq!(status, 200, "{who}: {body}");
    }
    let (status, done) = keeper
        .post(
            &app,
            &format!("/api/v1/disposal/lists/{id}/execute"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["disposed"][0]["record_id"], gone.as_str());
    let (_, list) = keeper
        .get(&app, &format!("/api/v1/disposal/lists/{id}"))
        .await;
    assert_eq!(list["status"], "executed");

    let res = keeper
        .client
        .get(app.url(&format!("/api/v1/disposal/lists/{id}/certificate.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let pdf = res.bytes().await.unwrap();
    let path = app.data.parent().unwrap().join("certificate.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let sha = done["disposed"][0]["sha256"].as_str().unwrap();
    if let Some(text) = crate::support::pdf_text(&path) {
        let flat: String = text.split_whitespace().collect();
        for needle in ["音像记录销毁记录", "钱立", "孙法", "李领", "赵敏", sha] {
            assert!(flat.contains(needle), "certificate lacks {needle}:\n{text}");
        }
    }
    let record = app.custody.record(&held).await.unwrap();
    assert!(app.custody.blobs().size(&record.sha256).unwrap().is_some());
}
