//! R4.7 over HTTP (issue 17): an archived case file is closed: the API refuses changes with
//! `case_archived`, the page offers notes and (to the deputy head) reopening instead of
//! edit forms; reopening is a reasoned request approved by a reopening role who is not
//! the requester (bypasses refused); notes are appended to the history.

use jiff::{SignedDuration, Timestamp};
use liuhen_domain::Role;
use serde_json::{Value, json};

use crate::support::{TEST_PASSWORD, TestApp};

const GX: &str = "平顶山高新区应急管理局";

async fn call(
    c: &reqwest::Client,
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    csrf: &str,
    body: Value,
) -> (u16, Value) {
    let res = c
        .request(method, app.url(path))
        .header("X-CSRF-Token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = res.status().as_u16();
    (s, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn archived_case_refuses_changes_and_offers_notes_and_reopening() {
    use reqwest::Method;
    let app = TestApp::new().await;
    app.user_named("zhangwei", "张伟", &[Role::Officer], GX)
        .await;
    app.user_named("zhouli", "周丽", &[Role::DeputyHead], GX)
        .await;
    let zw = app.client();
    let csrf = app.login(&zw, "zhangwei", TEST_PASSWORD).await;
    let (s, case) = call(
        &zw,
        &app,
        Method::POST,
        "/api/v1/cases",
        &csrf,
        json!({ "number": "高新应急检〔2026〕88号", "name": "某公司检查", "category": "inspection",
                "department": "执法监察大队", "team": ["张伟"] }),
    )
    .await;
    assert_eq!(s, 201, "{case}");
    let id = case["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/cases/{id}");
    let (s, v) = call(
        &zw,
        &app,
        Method::PATCH,
        &path,
        &csrf,
        json!({ "status": "archived", "reason": "结案归档" }),
    )
    .await;
    assert_eq!(s, 200, "{v}");

    // Closed: status, team, steps, flags.
    let t0 = Timestamp::now() - SignedDuration::from_hours(1);
    let attempts = [
        (
            Method::PATCH,
            path.clone(),
            json!({ "status": "open", "reason": "补充材料" }),
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({ "team": ["张伟", "李娜"], "reason": "补录" }),
        ),
        (
            Method::POST,
            format!("{path}/steps"),
            json!({ "checklist_row": "2.7", "start": t0.to_string(),
                    "end": (t0 + SignedDuration::from_mins(5)).to_string(),
                    "place": "某公司", "officers": ["张伟"] }),
        ),
        (
            Method::POST,
            format!("{path}/flags"),
            json!({ "flag": "disputed", "value": true, "reason": "补标" }),
        ),
    ];
    for (m, p, body) in attempts {
        let (s, v) = call(&zw, &app, m, &p, &csrf, body).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (403, Some("case_archived")),
            "{p}: {v}"
        );
    }
    let (_, v) = call(&zw, &app, Method::GET, &path, &csrf, json!(null)).await;
    assert_eq!(v["case"]["status"], "archived");
    assert_eq!(
        (&v["can_manage"], &v["can_note"], &v["can_reopen"]),
        (&json!(false), &json!(true), &json!(false))
    );

    // A correction is a note appended to the file.
    let (s, v) = call(
        &zw,
        &app,
        Method::POST,
        &format!("{path}/notes"),
        &csrf,
        json!({ "note": "当事人名称应为“某化工有限公司”，以此说明为准" }),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = call(
        &zw,
        &app,
        Method::POST,
        &format!("{path}/notes"),
        &csrf,
        json!({ "note": " " }),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    let (_, h) = call(
        &zw,
        &app,
        Method::GET,
        &format!("{path}/history"),
        &csrf,
        json!(null),
    )
    .await;
    assert!(h.to_string().contains("以此说明为准"), "{h}");

    // The page: no edit forms, a note form; the officer cannot reopen.
    let html = zw
        .get(app.url(&format!("/cases/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"archived\"") && html.contains("/notes\""),
        "{html}"
    );
    assert!(
        !html.contains("/reopen\"") && !html.contains("/edit\""),
        "{html}"
    );
    let (s, v) = call(
        &zw,
        &app,
        Method::POST,
        &format!("{path}/reopen"),
        &csrf,
        json!({ "reason": "补充证据" }),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("case_reopen_role")),
        "{v}"
    );

    // Reopening is an approved, reasoned act (R4.7): a request with a reason, then the
    // decision of a reopening role who is not the requester. Bypass attempts first.
    app.user_named("wangqiang", "王强", &[Role::DeputyHead], GX)
        .await;
    let dh = app.client();
    let dcsrf = app.login(&dh, "zhouli", TEST_PASSWORD).await;
    let page = |c: reqwest::Client| {
        let url = app.url(&format!("/cases/{id}"));
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let html = page(dh.clone()).await;
    assert!(!html.contains("/reopen\""), "no request pending: {html}");
    // 1. approving with no request at all
    let (s, v) = call(
        &dh,
        &app,
        Method::POST,
        &format!("{path}/reopen"),
        &dcsrf,
        json!({ "reason": "直接打开" }),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("case_reopen_no_request")),
        "{v}"
    );
    // 2. setting the status back by an edit
    let (s, v) = call(
        &dh,
        &app,
        Method::PATCH,
        &path,
        &dcsrf,
        json!({ "status": "open", "reason": "直接打开" }),
    )
    .await;
    assert!(s == 403 || s == 400, "{s} {v}");
    // The officer asks, with a reason (an empty one is refused).
    let (s, v) = call(
        &zw,
        &app,
        Method::POST,
        &format!("{path}/reopen-request"),
        &csrf,
        json!({ "reason": " " }),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = call(
        &zw,
        &app,
        Method::POST,
        &format!("{path}/reopen-request"),
        &csrf,
        json!({ "reason": "行政复议决定撤销，重新调查" }),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = call(
        &zw,
        &app,
        Method::POST,
        &format!("{path}/reopen-request"),
        &csrf,
        json!({ "reason": "再次申请" }),
    )
    .await;
    assert_eq!(s, 400, "one pending request at a time: {v}");
    // 3. the requester cannot decide it (no role), still archived
    let (s, v) = call(
        &zw,
        &app,
        Method::POST,
        &format!("{path}/reopen"),
        &csrf,
        json!({ "reason": "同意" }),
    )
    .await;
    assert_eq!(v["error"]["code"], "case_reopen_role", "{s} {v}");
    let html = page(dh.clone()).await;
    assert!(
        html.contains("/reopen\"") && html.contains("行政复议决定撤销，重新调查"),
        "{html}"
    );
    // The deputy head declines (with a reason); the case stays archived.
    let (s, v) = call(
        &dh,
        &app,
        Method::POST,
        &format!("{path}/reopen"),
        &dcsrf,
        json!({ "reason": "" }),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = call(
        &dh,
        &app,
        Method::POST,
        &format!("{path}/reopen"),
        &dcsrf,
        json!({ "reason": "理由不足", "decline": true }),
    )
    .await;
    assert_eq!((s, &v["status"]), (200, &json!("archived")), "{v}");
    // 4. a reopening role asking and approving alone
    let (s, v) = call(
        &dh,
        &app,
        Method::POST,
        &format!("{path}/reopen-request"),
        &dcsrf,
        json!({ "reason": "行政复议决定撤销，重新调查" }),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = call(
        &dh,
        &app,
        Method::POST,
        &format!("{path}/reopen"),
        &dcsrf,
        json!({ "reason": "同意" }),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("case_reopen_self")),
        "{v}"
    );
    assert!(!page(dh.clone()).await.contains("/reopen\""));
    // Another deputy head approves.
    let dh2 = app.client();
    let d2csrf = app.login(&dh2, "wangqiang", TEST_PASSWORD).await;
    let (s, v) = call(
        &dh2,
        &app,
        Method::POST,
        &format!("{path}/reopen"),
        &d2csrf,
        json!({ "reason": "同意重新调查" }),
    )
    .await;
    assert_eq!((s, &v["status"]), (200, &json!("open")), "{v}");
    // The history shows request, decline, request and approval, with their reasons.
    let actions: Vec<String> = app
        .custody
        .db()
        .entries_for(&format!("case:{id}"))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("case.reopen") || a == "case.edited")
        .collect();
    let tail: Vec<&str> = actions
        .iter()
        .rev()
        .take(4)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "case.reopen_requested",
            "case.reopen_declined",
            "case.reopen_requested",
            "case.edited"
        ]
    );
    let (s, v) = call(
        &zw,
        &app,
        Method::PATCH,
        &path,
        &csrf,
        json!({ "name": "某公司安全生产检查", "reason": "更正案件名称" }),
    )
    .await;
    assert_eq!(s, 200, "open again: {v}");
}
