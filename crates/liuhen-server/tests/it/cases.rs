//! Case pages and `/api/v1/cases…`: create, list, steps, compliance shown and cleared by
//! linking a covering recording, flags, edits, unlinking, and who may do what.

use std::process::Command;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_domain::{Classification, Role};
use serde_json::{Value, json};

use crate::support::{TEST_PASSWORD, TestApp, location};

const GX: &str = "平顶山高新区应急管理局";
const WD: &str = "卫东区应急管理局";

/// Ingests a `secs`-second video captured at `start` by 张伟 (ffmpeg), or `None` without
/// ffmpeg.
async fn video(app: &TestApp, name: &str, start: Timestamp, secs: u32) -> Option<String> {
    let dir = app.data.parent().unwrap().join("incoming");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let ok = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc=duration={secs}:size=160x120:rate=2"))
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-metadata"])
        .arg(format!("creation_time={start}"))
        .arg(&path)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        crate::support::missing("a working ffmpeg (lavfi, libx264)");
        return None;
    }
    let opts = IngestOptions {
        actor: "test".into(),
        classification: Classification {
            agency: Some(GX.into()),
            device: Some("DSJ-03".into()),
            officer: Some("张伟".into()),
            case_name: Some("某化工有限公司案".into()),
            party: Some("某化工有限公司".into()),
            camera_operator: None,
        },
        ..Default::default()
    };
    let summary = app
        .custody
        .ingest(&[path], &opts, Arc::new(NoProgress))
        .await;
    assert_eq!(summary.stored, 1, "{:?}", summary.reports);
    summary.reports[0].record_id.clone()
}

async fn signed_in(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let client = app.client();
    let csrf = app.login(&client, username, TEST_PASSWORD).await;
    (client, csrf)
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = client.get(app.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn post(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client.post(app.url(path)).form(form).send().await.unwrap()
}

async fn api(
    client: &reqwest::Client,
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    csrf: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client
        .request(method, app.url(path))
        .header("X-CSRF-Token", csrf);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn local(t: Timestamp) -> String {
    // The default bureau offset is +08:00; datetime-local has no zone.
    t.to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

#[tokio::test]
async fn a_hearing_without_video_is_a_violation_until_a_covering_video_is_linked() {
    let app = TestApp::new().await;
    app.user_named("zhangwei", "张伟", &[Role::Officer], GX)
        .await;
    app.user_named("lina", "李娜", &[Role::Officer], GX).await;
    app.user_named("ducha", "督察", &[Role::Supervisor], GX)
        .await;
    app.user_named("wangfang", "王芳", &[Role::Officer], WD)
        .await;
    let (zw, csrf) = signed_in(&app, "zhangwei").await;

    // Invalid input re-renders the form with the reason; nothing is created.
    let base = [
        ("csrf", csrf.as_str()),
        ("number", "平高应急罚〔2026〕7号"),
        ("name", "某化工有限公司未按规定开展隐患排查案"),
        ("category", "penalty"),
        ("agency", GX),
        ("department", "执法监察大队"),
        ("team", "张伟、李娜"),
        ("party_kind", "unit"),
        ("party_name", "平顶山市某化工有限公司"),
        ("party_code", "91410400MA00000000"),
        ("party_kind", "unit"),
        ("party_name", ""),
        ("party_code", ""),
    ];
    let mut bad = base.to_vec();
    bad[1] = ("number", " ");
    let res = post(&zw, &app, "/cases", &bad).await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(html.contains("案件编号不能为空"), "{html}");
    // A team without the officer himself: not his case to create.
    let mut foreign = base.to_vec();
    foreign[6] = ("team", "李娜");
    assert_eq!(post(&zw, &app, "/cases", &foreign).await.status(), 403);

    let res = post(&zw, &app, "/cases", &base).await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(to.ends_with("?done=created"), "{to}");
    let case_path = to.split('?').next().unwrap().to_owned();
    let case_id = case_path.trim_start_matches("/cases/").to_owned();

    // The list and its search.
    let (status, html) = get(&zw, &app, "/cases").await;
    assert_eq!(status, 200);
    assert!(html.contains("平高应急罚〔2026〕7号"));
    let (_, html) = get(&zw, &app, "/cases?q=%E6%9F%90%E5%8C%96%E5%B7%A5").await; // 某化工
    assert!(html.contains("平高应急罚〔2026〕7号"));
    let (_, html) = get(&zw, &app, "/cases?status=archived").await;
    assert!(!html.contains("平高应急罚〔2026〕7号"));
    let (status, _) = get(&zw, &app, "/cases?flag=loud").await;
    assert_eq!(status, 200);

    // A hearing (row 1.1) an hour ago, 50 s long, added through the page.
    let t0 = Timestamp::from_second(Timestamp::now().as_second() - 3600).unwrap();
    let t1 = t0 + SignedDuration::from_secs(50);
    let step_form = [
        ("csrf", csrf.as_str()),
        ("checklist_row", "1.1"),
        ("name", "听证会"),
        ("start", &local(t0)),
        ("end", &local(t1)),
        ("place", "局三楼听证室"),
        ("officers", "张伟"),
    ];
    let mut backwards = step_form.to_vec();
    backwards[3] = ("start", step_form[4].1);
    backwards[4] = ("end", step_form[3].1);
    let res = post(&zw, &app, &format!("{case_path}/steps"), &backwards).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("必须晚于开始时间"));
    let res = post(&zw, &app, &format!("{case_path}/steps"), &step_form).await;
    assert_eq!(res.status(), 303);

    let (status, html) = get(&zw, &app, &case_path).await;
    assert_eq!(status, 200);
    assert!(html.contains("听证会") && html.contains("违规"), "{html}");
    assert!(html.contains("没有关联任何记录"), "{html}");
    let (status, html) = get(&zw, &app, &format!("{case_path}/compliance")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("合规检查报告") && html.contains("R1.3") && html.contains("违规"),
        "{html}"
    );
    let res = zw
        .get(app.url("/cases.csv?q=%E6%9F%90%E5%8C%96%E5%B7%A5"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
    assert!(String::from_utf8_lossy(&bytes).contains("平高应急罚〔2026〕7号"));
    let (_, v) = api(
        &zw,
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/cases/{case_id}"),
        &csrf,
        None,
    )
    .await;
    assert_eq!(v["compliance"]["level"], "violation");
    let step_id = v["steps"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(v["steps"][0]["full_process"], true);

    // Supervisors see the case but do not change it; other units and admins see nothing.
    let (sup, sup_csrf) = signed_in(&app, "ducha").await;
    assert_eq!(get(&sup, &app, &case_path).await.0, 200);
    let flag = [
        ("csrf", sup_csrf.as_str()),
        ("flag", "disputed"),
        ("value", "1"),
        ("reason", "当事人提出异议"),
    ];
    assert_eq!(
        post(&sup, &app, &format!("{case_path}/flags"), &flag)
            .await
            .status(),
        403
    );
    let (wf, _) = signed_in(&app, "wangfang").await;
    assert_eq!(get(&wf, &app, &case_path).await.0, 403);
    let (_, html) = get(&wf, &app, "/cases").await;
    assert!(!html.contains("平高应急罚〔2026〕7号"));

    let Some(record_id) = video(&app, "hearing.mp4", t0, 50).await else {
        return;
    };

    // The picker proposes the recording (officer and time overlap); confirming links it.
    let (status, html) = get(&zw, &app, &format!("{case_path}/steps/{step_id}/pick")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&record_id) && html.contains("本环节执法人员"),
        "{html}"
    );
    let (_, v) = api(
        &zw,
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/cases/{case_id}/steps/{step_id}/proposals"),
        &csrf,
        None,
    )
    .await;
    assert_eq!(v["proposals"][0]["record_id"], record_id.as_str());
    let res = post(
        &zw,
        &app,
        &format!("{case_path}/steps/{step_id}/links"),
        &[("csrf", csrf.as_str()), ("record_id", record_id.as_str())],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, html) = get(&zw, &app, &case_path).await;
    assert!(html.contains("hearing.mp4"));
    let (_, v) = api(
        &zw,
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/cases/{case_id}"),
        &csrf,
        None,
    )
    .await;
    assert_eq!(v["compliance"]["level"], "ok", "{v}");
    assert_eq!(v["compliance"]["violations"], 0);

    // Unlinking needs a reason; without the link the violation is back.
    let unlink = format!("/api/v1/cases/{case_id}/steps/{step_id}/links/{record_id}");
    let (status, v) = api(&zw, &app, reqwest::Method::DELETE, &unlink, &csrf, None).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("invalid"))
    );
    let (status, _) = api(
        &zw,
        &app,
        reqwest::Method::DELETE,
        &format!("{unlink}?reason=%E9%94%99%E5%85%B3%E8%81%94"),
        &csrf,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (_, v) = api(
        &zw,
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/cases/{case_id}"),
        &csrf,
        None,
    )
    .await;
    assert_eq!(v["compliance"]["level"], "violation");

    // Flags through the API, with a reason; the history shows them.
    let flags = format!("/api/v1/cases/{case_id}/flags");
    let (status, _) = api(
        &zw,
        &app,
        reqwest::Method::POST,
        &flags,
        &csrf,
        Some(json!({"flag": "disputed", "value": true, "reason": ""})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, v) = api(
        &zw,
        &app,
        reqwest::Method::POST,
        &flags,
        &csrf,
        Some(json!({"flag": "disputed", "value": true, "reason": "当事人提出异议"})),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["flags"], json!(["disputed"]));

    // Edits: a status change needs a reason.
    let edit = format!("/api/v1/cases/{case_id}");
    let (status, _) = api(
        &zw,
        &app,
        reqwest::Method::PATCH,
        &edit,
        &csrf,
        Some(json!({"status": "decided"})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, v) = api(
        &zw,
        &app,
        reqwest::Method::PATCH,
        &edit,
        &csrf,
        Some(json!({"status": "decided", "reason": "已作出处罚决定"})),
    )
    .await;
    assert_eq!((status, v["status"].as_str()), (200, Some("decided")));
    let (_, v) = api(
        &zw,
        &app,
        reqwest::Method::GET,
        &format!("{edit}/history"),
        &csrf,
        None,
    )
    .await;
    let actions: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| *a != "access.refused")
        .collect();
    assert_eq!(
        actions,
        [
            "case.created",
            "case.step_added",
            "case.record_linked",
            "case.record_unlinked",
            "case.changed",
            "case.edited"
        ]
    );
    let (_, html) = get(&zw, &app, &case_path).await;
    assert!(html.contains("已作出处罚决定") && html.contains("当事人提出异议"));

    // The edit page (a team member) and an edit through it.
    let (status, html) = get(&zw, &app, &format!("{case_path}/edit")).await;
    assert_eq!(status, 200);
    assert!(html.contains("平顶山市某化工有限公司"));
    assert_eq!(get(&sup, &app, &format!("{case_path}/edit")).await.0, 403);
    // The supervisor's refusal was logged against the case.
    let refused = app
        .custody
        .db()
        .entries_for(&format!("case:{case_id}"))
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "access.refused")
        .count();
    assert!(refused >= 2, "{refused}");
    assert_verifies(&app).await;
}

#[tokio::test]
async fn api_creates_lists_and_refuses_bad_input() {
    let app = TestApp::new().await;
    app.user_named("zhaomin", "赵敏", &[Role::RecordsKeeper], GX)
        .await;
    // The team names accounts of the case's unit.
    app.user_named("zhangwei", "张伟", &[Role::Officer], GX)
        .await;
    let (keeper, csrf) = signed_in(&app, "zhaomin").await;
    let body = json!({
        "number": "平高应急检〔2026〕1号",
        "name": "某加油站安全检查",
        "category": "行政检查",
        "department": "执法一科",
        "parties": [{"kind": "unit", "name": "某加油站", "id_or_credit_code": "91410400MA11111111"}],
        "team": ["张伟"]
    });
    let (status, v) = api(
        &keeper,
        &app,
        reqwest::Method::POST,
        "/api/v1/cases",
        &csrf,
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["agency"], GX, "the keeper's unit is the default");
    let (status, v) = api(
        &keeper,
        &app,
        reqwest::Method::POST,
        "/api/v1/cases",
        &csrf,
        Some(body),
    )
    .await;
    assert_eq!(status, 400);
    assert!(v["error"]["message"].as_str().unwrap().contains("已存在"));
    let (status, v) = api(
        &keeper,
        &app,
        reqwest::Method::GET,
        "/api/v1/cases?category=inspection",
        &csrf,
        None,
    )
    .await;
    assert_eq!((status, v["total"].as_u64()), (200, Some(1)));
    let (status, _) = api(
        &keeper,
        &app,
        reqwest::Method::GET,
        "/api/v1/cases?category=x",
        &csrf,
        None,
    )
    .await;
    assert_eq!(status, 400);
    // Without the CSRF header a cookie request is refused.
    let res = keeper
        .post(app.url("/api/v1/cases"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // A step in another case's path is not found.
    let id = app.custody.case("平高应急检〔2026〕1号").await.unwrap().id;
    let (status, _) = api(
        &keeper,
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/cases/{id}/steps/nope/links"),
        &csrf,
        Some(json!({"record_id": "0190f3a0-0000-7000-8000-00000000dead"})),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_dashboard_counts_findings_and_exports_csv() {
    let app = TestApp::new().await;
    app.user_named("zhangwei", "张伟", &[Role::Officer], GX)
        .await;
    app.user_named("ducha", "督察", &[Role::Supervisor], GX)
        .await;
    app.user("sysadmin", &[Role::SystemAdmin], GX).await;
    let (zw, csrf) = signed_in(&app, "zhangwei").await;
    let (status, v) = api(
        &zw,
        &app,
        reqwest::Method::POST,
        "/api/v1/cases",
        &csrf,
        Some(json!({
            "number": "平高应急罚〔2026〕9号",
            "name": "某加油站动火作业违规案",
            "category": "penalty",
            "department": "执法监察大队",
            "parties": [{"kind": "unit", "name": "某加油站", "id_or_credit_code": "91410400MA22222222"}],
            "team": ["张伟"]
        })),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let t0 = Timestamp::from_second(Timestamp::now().as_second() - 7200).unwrap();
    let (status, v) = api(
        &zw,
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/cases/{id}/steps"),
        &csrf,
        Some(json!({
            "checklist_row": "1.1",
            "name": "听证会",
            "start": t0.to_string(),
            "end": (t0 + SignedDuration::from_mins(30)).to_string(),
            "place": "听证室",
            "officers": ["张伟"]
        })),
    )
    .await;
    assert_eq!(status, 201, "{v}");

    let (status, html) = get(&zw, &app, "/cases/dashboard").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("平高应急罚〔2026〕9号") && html.contains("<svg"),
        "{html}"
    );
    assert!(!html.contains("<script>"));
    // The supervisor of the unit sees it too.
    let (sup, _) = signed_in(&app, "ducha").await;
    let (status, html) = get(&sup, &app, "/cases/dashboard").await;
    assert_eq!(status, 200);
    assert!(html.contains("平高应急罚〔2026〕9号"));

    let res = zw
        .get(app.url("/cases/dashboard/findings.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("案件编号,"));
    assert!(text.contains("平高应急罚〔2026〕9号") && text.contains("违规"));
    for file in ["officers.csv", "late.csv"] {
        let (status, _) = get(&zw, &app, &format!("/cases/dashboard/{file}")).await;
        assert_eq!(status, 200, "{file}");
    }
    assert_eq!(get(&zw, &app, "/cases/dashboard/other.csv").await.0, 404);
    // Every string of the case pages exists in both languages.
    for lang in ["zh", "en"] {
        zw.get(app.url(&format!("/lang/{lang}")))
            .send()
            .await
            .unwrap();
        for path in [
            "/cases".to_owned(),
            "/cases/new".to_owned(),
            format!("/cases/{id}"),
            format!("/cases/{id}/edit"),
            format!("/cases/{id}/compliance"),
            "/cases/dashboard".to_owned(),
        ] {
            let (status, html) = get(&zw, &app, &path).await;
            assert_eq!(status, 200, "{lang} {path}");
            assert!(!html.contains("missing translation"), "{lang} {path}");
        }
    }
    let (_, html) = get(&zw, &app, "/cases").await;
    assert!(html.contains("Unit dashboard"), "English after the switch");
    // Administrators see no case content.
    let (admin, _) = signed_in(&app, "sysadmin").await;
    assert_eq!(get(&admin, &app, "/cases/dashboard").await.0, 403);
}

#[tokio::test]
async fn a_reviewer_ticks_the_sheet_on_the_record_page() {
    let app = TestApp::new().await;
    app.user_named("zhangwei", "张伟", &[Role::Officer], GX)
        .await;
    app.user_named("zhaomin", "赵敏", &[Role::RecordsKeeper], GX)
        .await;
    let dir = app.data.parent().unwrap().join("incoming");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("20261103_093001_DSJ-03_0001.MP4");
    std::fs::write(&path, "not really a video").unwrap();
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
    let id = summary.reports[0].record_id.clone().unwrap();
    let page = format!("/records/{id}");

    // The officer sees the sheet, not the form.
    let (zw, zw_csrf) = signed_in(&app, "zhangwei").await;
    let (status, html) = get(&zw, &app, &page).await;
    assert_eq!(status, 200);
    assert!(html.contains("审查记录表") && html.contains("开场告知"));
    assert!(!html.contains("name=\"v_environment\""));
    let res = post(
        &zw,
        &app,
        &format!("{page}/review"),
        &[("csrf", zw_csrf.as_str()), ("v_environment", "met")],
    )
    .await;
    assert_eq!(res.status(), 403);

    // The keeper ticks; a deficiency without a note is refused and changes nothing.
    let (keeper, csrf) = signed_in(&app, "zhaomin").await;
    let (_, html) = get(&keeper, &app, &page).await;
    assert!(html.contains("name=\"v_environment\""));
    let res = post(
        &keeper,
        &app,
        &format!("{page}/review"),
        &[
            ("csrf", csrf.as_str()),
            ("v_opening_statement", "met"),
            ("v_environment", "deficient"),
            ("n_environment", " "),
        ],
    )
    .await;
    assert_eq!(location(&res), format!("{page}?reviewed=error#review"));
    let rid = liuhen_domain::RecordId::parse(&id).unwrap();
    assert!(app.custody.reviews(&rid).await.unwrap().is_empty());
    let res = post(
        &keeper,
        &app,
        &format!("{page}/review"),
        &[
            ("csrf", csrf.as_str()),
            ("v_opening_statement", "met"),
            ("v_environment", "deficient"),
            ("n_environment", "未拍摄现场全景"),
        ],
    )
    .await;
    assert_eq!(location(&res), format!("{page}?reviewed=1#review"));
    let ticks = app.custody.reviews(&rid).await.unwrap();
    assert_eq!(ticks.len(), 2);
    let (_, html) = get(&zw, &app, &page).await;
    assert!(
        html.contains("未拍摄现场全景") && html.contains("赵敏"),
        "{html}"
    );
    let logged = app
        .custody
        .db()
        .entries_for(&format!("record:{id}"))
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "record.reviewed")
        .count();
    assert_eq!(logged, 1);

    // The same through the API.
    let api_path = format!("/api/v1/records/{id}/review");
    let (status, v) = api(&zw, &app, reqwest::Method::GET, &api_path, &zw_csrf, None).await;
    assert_eq!(status, 200);
    assert_eq!(v["can_review"], false);
    assert_eq!(v["items"][0]["verdict"], "deficient");
    assert_eq!(v["items"].as_array().unwrap().len(), 9);
    let (status, _) = api(
        &zw,
        &app,
        reqwest::Method::POST,
        &api_path,
        &zw_csrf,
        Some(json!({"items": [{"item": "people", "verdict": "met"}]})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, v) = api(&keeper, &app, reqwest::Method::POST, &api_path, &csrf, Some(json!({"items": [{"item": "people", "verdict": "met"}, {"item": "opening_statement", "verdict": "met"}]}))).await;
    assert_eq!((status, v["changed"].as_u64()), (200, Some(1)), "{v}");
    let (status, _) = api(
        &keeper,
        &app,
        reqwest::Method::POST,
        &api_path,
        &csrf,
        Some(json!({"items": [{"item": "weather", "verdict": "met"}]})),
    )
    .await;
    assert_eq!(status, 400);
    assert_verifies(&app).await;
}

/// `verify` finds the case tables and reviewer sheets as the log describes them.
async fn assert_verifies(app: &TestApp) {
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

#[tokio::test]
async fn an_interruption_is_a_violation_until_explained_within_the_next_recording() {
    let app = TestApp::new().await;
    app.user_named("zhangwei", "张伟", &[Role::Officer], GX)
        .await;
    let (zw, csrf) = signed_in(&app, "zhangwei").await;
    let (status, v) = api(
        &zw,
        &app,
        reqwest::Method::POST,
        "/api/v1/cases",
        &csrf,
        Some(json!({
            "number": "平高应急罚〔2026〕21号",
            "name": "某化工有限公司听证案",
            "category": "penalty",
            "department": "执法监察大队",
            "team": ["张伟"]
        })),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let t0 = Timestamp::from_second(Timestamp::now().as_second() - 3600).unwrap();
    let (_, st) = api(
        &zw,
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/cases/{id}/steps"),
        &csrf,
        Some(json!({
            "checklist_row": "1.1",
            "start": t0.to_string(),
            "end": (t0 + SignedDuration::from_secs(60)).to_string(),
            "place": "听证室",
            "officers": ["张伟"]
        })),
    )
    .await;
    let step = st["id"].as_str().unwrap().to_owned();
    // Recording stops 18 s in and resumes at 30 s: an interruption of 12 s.
    let Some(a) = video(&app, "a.mp4", t0 - SignedDuration::from_secs(2), 20).await else {
        return;
    };
    let Some(b) = video(&app, "b.mp4", t0 + SignedDuration::from_secs(30), 32).await else {
        return;
    };
    for r in [&a, &b] {
        let (status, _) = api(
            &zw,
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/cases/{id}/steps/{step}/links"),
            &csrf,
            Some(json!({ "record_id": r })),
        )
        .await;
        assert_eq!(status, 201);
    }
    let (_, v) = api(
        &zw,
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/cases/{id}"),
        &csrf,
        None,
    )
    .await;
    assert_eq!(v["compliance"]["unexplained_interruptions"], 1, "{v}");
    assert_eq!(v["steps"][0]["interruptions"][0]["after"], b.as_str());
    let (_, html) = get(&zw, &app, &format!("/cases/{id}")).await;
    assert!(html.contains("未说明"), "{html}");

    // Spoken after the end of the next recording: refused, nothing stored.
    let form = |offset: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("resumed_record", b.clone()),
            ("reason", "battery".to_owned()),
            ("text", String::new()),
            ("offset", offset.to_owned()),
        ]
    };
    let path = format!("/cases/{id}/steps/{step}/explanations");
    let res = zw
        .post(app.url(&path))
        .form(&form("99"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("不在中断后的下一段记录内")
    );
    let res = zw
        .post(app.url(&path))
        .form(&form("abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = zw
        .post(app.url(&path))
        .form(&form("0:05"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, v) = api(
        &zw,
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/cases/{id}"),
        &csrf,
        None,
    )
    .await;
    assert_eq!(v["compliance"]["unexplained_interruptions"], 0, "{v}");
    assert_eq!(v["steps"][0]["interruptions"][0]["explained"], true);
    assert_eq!(v["steps"][0]["explanations"][0]["spoken_at_offset_s"], 5);
    // The API refuses an explanation for a recording where nothing resumed.
    let (status, _) = api(
        &zw,
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/cases/{id}/steps/{step}/explanations"),
        &csrf,
        Some(json!({"resumed_record": a, "reason": "weather", "spoken_at_offset_s": 1})),
    )
    .await;
    assert_eq!(status, 400);
    assert_verifies(&app).await;
}
