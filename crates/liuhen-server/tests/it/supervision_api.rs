//! `/api/v1/supervision`: a supervisor makes a plan over the API, draws a 5 % sample of
//! a unit's cases, reads the pre-filled checks, files a sheet with a finding, decides a
//! consequence, reads the officer's record and the assessment (JSON, CSV with English
//! headers); an officer is refused.

use liuhen_app::cases::{NewCase, NewStep};
use liuhen_domain::Role;
use liuhen_domain::case::CaseCategory;
use serde_json::{Value, json};

use crate::support::TestApp;

const UNIT: &str = "甲局";

async fn token(app: &TestApp, username: &str, roles: &[Role]) -> String {
    app.user(username, roles, UNIT).await;
    let id = app
        .custody
        .user_listing()
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.user.username == username)
        .unwrap()
        .user
        .id;
    app.custody
        .create_api_token(&id, "supervision")
        .await
        .unwrap()
}

#[tokio::test]
async fn supervision_api_plan_sample_sheet_consequence_assessment() {
    let app = TestApp::new().await;
    let sup = token(&app, "jiandu", &[Role::Supervisor]).await;
    let officer = token(&app, "zhangwei", &[Role::Officer]).await;
    let now = app.custody.now();
    // 20 cases of the unit, each with a mandatory step that has no recording.
    for i in 0..20 {
        let case = app
            .custody
            .create_case(
                &NewCase {
                    number: format!("甲罚〔2026〕{i}号"),
                    name: format!("案件 {i}"),
                    category: CaseCategory::Penalty,
                    agency: UNIT.into(),
                    department: "执法一科".into(),
                    parties: vec![],
                    team: vec!["zhangwei".into()],
                    flags: Default::default(),
                },
                "test",
            )
            .await
            .unwrap();
        app.custody
            .add_step(
                &case.id,
                &NewStep {
                    checklist_row: Some("1.2".into()),
                    name: None,
                    window: (now, now + jiff::SignedDuration::from_mins(10)),
                    place: "现场".into(),
                    officers: vec!["zhangwei".into()],
                    on_site: true,
                    disputed: false,
                },
                "test",
            )
            .await
            .unwrap();
    }
    let date = now
        .to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .date();
    let (from, to) = (date.first_of_year(), date.last_of_year());
    let http = app.client();
    let get = |path: String, who: &str| http.get(app.url(&path)).bearer_auth(who).send();
    let post = |path: String, who: &str, body: Value| {
        http.post(app.url(&path))
            .bearer_auth(who)
            .json(&body)
            .send()
    };
    let plan = json!({ "title": "2026年度抽查", "from": from.to_string(), "to": to.to_string(),
                       "units": [UNIT], "permille": 50, "minimum": 1 });
    let res = post("/api/v1/supervision/plans".into(), &officer, plan.clone())
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = post(
        "/api/v1/supervision/plans".into(),
        &sup,
        json!({"title": 1}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 400);
    let res = post("/api/v1/supervision/plans".into(), &sup, plan)
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let list: Value = get("/api/v1/supervision/plans".into(), &sup)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["plans"][0]["id"], id.as_str());

    let res = post(
        format!("/api/v1/supervision/plans/{id}/draws"),
        &sup,
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let draws: Value = res.json().await.unwrap();
    assert_eq!(draws["draws"][0]["unit"], UNIT);
    app.custody.checkpoint().await.unwrap();
    let res = post(
        format!("/api/v1/supervision/plans/{id}/perform"),
        &sup,
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let shown: Value = res.json().await.unwrap();
    // 5 % of 20: one case.
    let selected = shown["draws"][0]["selected"].as_array().unwrap().clone();
    assert_eq!(
        (shown["draws"][0]["population"].as_u64(), selected.len()),
        (Some(20), 1)
    );
    let case = selected[0].as_str().unwrap();

    let pre: Value = get(
        format!("/api/v1/supervision/plans/{id}/cases/{case}/prefill"),
        &sup,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(pre["checks"][0]["check"], "steps");
    assert_eq!(pre["checks"][0]["verdict"], "fail", "{pre}");
    let sheet = json!({
        "answers": [
            {"check": "steps", "verdict": "fail", "note": ""},
            {"check": "continuity", "verdict": pre["checks"][1]["verdict"], "note": ""},
            {"check": "custody", "verdict": "pass", "note": ""}
        ],
        "findings": [{"check": "steps", "text": "留置送达未录像", "officers": ["zhangwei"]}]
    });
    let res = post(
        format!("/api/v1/supervision/plans/{id}/cases/{case}/sheet"),
        &sup,
        sheet.clone(),
    )
    .await
    .unwrap();
    let filed: Value = res.json().await.unwrap();
    assert_eq!(filed["case"], case, "{filed}");
    let res = post(
        format!("/api/v1/supervision/plans/{id}/cases/{case}/sheet"),
        &sup,
        sheet,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 400, "one sheet per plan and case");
    let finding = filed["findings"][0]["id"].as_str().unwrap().to_owned();
    let res = post(
        format!("/api/v1/supervision/findings/{finding}/consequences"),
        &sup,
        json!({"officer": "zhangwei", "code": "written_self_criticism",
               "reasoning": "未按规定记录", "statement": "无异议"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let sheets: Value = get("/api/v1/supervision/sheets".into(), &sup)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        sheets["sheets"][0]["findings"][0]["consequences"][0]["code"],
        "written_self_criticism"
    );
    let own: Value = get(
        "/api/v1/supervision/officers/zhangwei/findings".into(),
        &sup,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(own["findings"].as_array().unwrap().len(), 1);

    let q = format!("/api/v1/supervision/assessment?from={from}&to={to}&unit={UNIT}");
    let res = get(q.clone(), &officer).await.unwrap();
    assert_eq!(res.status(), 403);
    let a: Value = get(q.clone(), &sup).await.unwrap().json().await.unwrap();
    let unit = &a["units"][0];
    assert_eq!(unit["unit"], UNIT);
    assert_eq!(
        (
            unit["mandatory_steps"].as_u64(),
            unit["mandatory_covered"].as_u64(),
            unit["sampled"].as_u64(),
            unit["inspected"].as_u64(),
            unit["findings"].as_u64(),
            unit["consequences"]["written_self_criticism"].as_u64(),
        ),
        (Some(20), Some(0), Some(1), Some(1), Some(1), Some(1)),
        "{a}"
    );
    let csv = get(format!("{q}&format=csv&headers=en"), &sup)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.trim_start_matches('\u{feff}')
            .starts_with("unit,officer,records,late_records,"),
        "{csv}"
    );
    let res = get(format!("{q}&format=xml"), &sup).await.unwrap();
    assert_eq!(res.status(), 400);
    let res = get("/api/v1/supervision/assessment".into(), &sup)
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}
