//! Every use is logged (R6.1), issue 17: case page views (shown in the access register as
//! a consultation of the case's records, R4.1), record and case searches (the query, not
//! the results), dashboard views and case list and dashboard exports. Before, only record
//! views were.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_domain::{Classification, Role};
use serde_json::{Value, json};

use crate::support::{TEST_PASSWORD, TestApp};

const GX: &str = "平顶山高新区应急管理局";

/// Entries of `action`, details only, oldest first.
async fn logged(app: &TestApp, action: &str) -> Vec<(String, Value)> {
    app.custody
        .db()
        .entries_page(None, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| {
            let body: Value = serde_json::from_str(&e.body).unwrap();
            (e.actor, body["details"].clone())
        })
        .collect()
}

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_use_is_logged_case_views_searches_and_exports() {
    let app = TestApp::new().await;
    app.user_named("zhangwei", "张伟", &[Role::Officer], GX)
        .await;
    app.user_named("xuming", "徐明", &[Role::ArchiveKeeper], GX)
        .await;
    let zw = app.client();
    let csrf = app.login(&zw, "zhangwei", TEST_PASSWORD).await;

    // A record of 张伟 (any file), a case with a step it is linked to.
    let dir = app.data.parent().unwrap().join("incoming");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("现场检查.bin");
    std::fs::write(&file, b"not a media file, but a record all the same").unwrap();
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
        .ingest(&[file], &opts, Arc::new(NoProgress))
        .await;
    let record = summary.reports[0].record_id.clone().unwrap();
    let post = |path: String, body: Value| {
        zw.post(app.url(&path))
            .header("X-CSRF-Token", &csrf)
            .json(&body)
            .send()
    };
    let (s, case) = json_of(
        post(
            "/api/v1/cases".into(),
            json!({ "number": "高新应急检〔2026〕77号", "name": "某公司检查",
                    "category": "inspection", "department": "执法监察大队", "team": ["张伟"] }),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{case}");
    let case_id = case["id"].as_str().unwrap().to_owned();
    let t0 = Timestamp::now() - SignedDuration::from_hours(1);
    let (s, step) = json_of(
        post(
            format!("/api/v1/cases/{case_id}/steps"),
            json!({ "checklist_row": "2.7", "start": t0.to_string(),
                    "end": (t0 + SignedDuration::from_mins(10)).to_string(),
                    "place": "某公司", "officers": ["张伟"] }),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{step}");
    let step_id = step["id"].as_str().unwrap();
    let (s, _) = json_of(
        post(
            format!("/api/v1/cases/{case_id}/steps/{step_id}/links"),
            json!({ "record_id": record }),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 201);

    // A case page view: logged with the case and its records; not in the case's history.
    let res = zw
        .get(app.url(&format!("/cases/{case_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let views = logged(&app, "case.viewed").await;
    assert_eq!(views.len(), 1, "{views:?}");
    assert!(!views[0].0.is_empty());
    assert_eq!(views[0].1["case"], case_id.as_str());
    assert_eq!(views[0].1["records"], json!([record]));
    let history = app.custody.case_events(&case_id).await.unwrap();
    assert!(history.iter().all(|e| e.action_code != "case.viewed"));
    // through the API too
    let res = zw
        .get(app.url(&format!("/api/v1/cases/{case_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(logged(&app, "case.viewed").await.len(), 2);

    // Searches: the query is logged, not what was found.
    let res = zw
        .get(app.url("/records?officer=%E5%BC%A0%E4%BC%9F&q=%E7%8E%B0%E5%9C%BA"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let searches = logged(&app, "records.searched").await;
    let last = &searches.last().expect("a record search is logged").1;
    assert_eq!(last["query"]["officer"], "张伟", "{last}");
    assert_eq!(last["query"]["text"], "现场", "{last}");
    assert!(
        !last.to_string().contains(&record),
        "no results in the entry: {last}"
    );
    let res = zw
        .get(app.url("/api/v1/cases?q=%E6%9F%90%E5%85%AC%E5%8F%B8"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let searches = logged(&app, "cases.searched").await;
    let last = &searches.last().expect("a case search is logged").1;
    assert_eq!(last["query"]["text"], "某公司", "{last}");
    assert!(!last.to_string().contains(&case_id), "{last}");

    // The list export: one entry with its query, format and size.
    let before = logged(&app, "cases.searched").await.len();
    let res = zw
        .get(app.url("/cases.csv?q=%E6%9F%90%E5%85%AC%E5%8F%B8"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let exports = logged(&app, "cases.exported").await;
    assert_eq!(exports.len(), 1);
    let e = &exports[0].1;
    assert_eq!(
        (&e["file"], &e["format"], &e["rows"], &e["query"]["text"]),
        (
            &json!("cases.csv"),
            &json!("csv"),
            &json!(1),
            &json!("某公司")
        )
    );
    assert_eq!(logged(&app, "cases.searched").await.len(), before);

    // The register shows the case view as a consultation of the record (查阅案卷).
    let archive = app.client();
    app.login(&archive, "xuming", TEST_PASSWORD).await;
    let (s, v) = json_of(
        archive
            .get(app.url(&format!("/api/v1/register?record={record}&kind=case_view")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    assert_eq!(rows[0]["actor_name"], "张伟");
}

/// Dashboard views are logged (R6.1, issue 17): `dashboard.viewed` with the counts shown;
/// its CSV exports log `cases.exported`, not a second view.
#[tokio::test]
async fn dashboard_views_and_exports_are_logged() {
    let app = TestApp::new().await;
    app.user_named("zhangwei", "张伟", &[Role::Officer], GX)
        .await;
    let zw = app.client();
    let csrf = app.login(&zw, "zhangwei", TEST_PASSWORD).await;
    let res = zw
        .post(app.url("/api/v1/cases"))
        .header("X-CSRF-Token", &csrf)
        .json(
            &json!({ "number": "高新应急检〔2026〕7号", "name": "某公司检查",
                       "category": "inspection", "department": "执法监察大队",
                       "team": ["张伟"] }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert!(logged(&app, "dashboard.viewed").await.is_empty());
    let res = zw.get(app.url("/cases/dashboard")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let views = logged(&app, "dashboard.viewed").await;
    assert_eq!(views.len(), 1);
    let (actor, d) = &views[0];
    assert!(!actor.is_empty());
    assert_eq!((&d["cases"], &d["findings"]), (&json!(1), &json!(0)), "{d}");
    let before = logged(&app, "cases.exported").await.len();
    let res = zw
        .get(app.url("/cases/dashboard/findings.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(logged(&app, "cases.exported").await.len(), before + 1);
    assert_eq!(logged(&app, "dashboard.viewed").await.len(), 1);
}
