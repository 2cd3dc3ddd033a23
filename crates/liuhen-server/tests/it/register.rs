//! The access register (R4.1) and the misconduct alerts (R3.13) through HTTP. Uses that the
//! approval workflows will log (copies, loans, outside visits, grants) are written here
//! through `Custody::log_event`, following the audit contract.

use std::sync::Arc;

use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_db::NewEntry;
use liuhen_domain::{AuditAction, Classification, Role};
use serde_json::{Value, json};

use crate::support::{TestApp, location};

const GX: &str = "平顶山高新区应急管理局";
const WD: &str = "卫东区应急管理局";

async fn record(app: &TestApp, n: u32, agency: &str, case_name: &str) -> String {
    let dir = app.data.parent().unwrap().join("incoming");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("20261103_0930{n:02}_DSJ-03_{n:04}.MP4"));
    std::fs::write(&path, format!("not really a video, number {n}")).unwrap();
    let opts = IngestOptions {
        actor: "test".into(),
        classification: Classification {
            agency: Some(agency.into()),
            device: Some("执法记录仪-03".into()),
            officer: Some(if n == 1 { "张伟" } else { "王芳" }.into()),
            case_name: Some(case_name.into()),
            party: Some("平顶山市某化工有限公司".into()),
            camera_operator: None,
        },
        ..Default::default()
    };
    let summary = app
        .custody
        .ingest(&[path], &opts, Arc::new(NoProgress))
        .await;
    assert_eq!(summary.stored, 1, "{:?}", summary.reports);
    summary.reports[0].record_id.clone().unwrap()
}

async fn uid(app: &TestApp, username: &str) -> String {
    app.custody
        .db()
        .user_by_username(username)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn signed_in(app: &TestApp, username: &str) -> reqwest::Client {
    let client = app.client();
    app.login(&client, username, crate::support::TEST_PASSWORD)
        .await;
    client
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = client.get(app.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn log(
    app: &TestApp,
    actor: &str,
    action: AuditAction,
    subject: &str,
    details: Value,
) -> u64 {
    app.custody
        .log_event(NewEntry {
            actor: actor.into(),
            action,
            subject: Some(subject.into()),
            details,
        })
        .await
        .unwrap()
        .seq
}

async fn count(app: &TestApp, action: &str) -> usize {
    app.custody
        .db()
        .entries_page(None, 10_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == action)
        .count()
}

/// A record, its users, and uses of every kind: a direct view, a copy with fee and
/// approvals, an outside visit by a lawyer, a playback under a grant.
struct World {
    app: TestApp,
    rec: String,
    wd_rec: String,
    copy_seq: u64,
    visit_seq: u64,
    play_seq: u64,
}

async fn world(config: &str) -> World {
    let app = TestApp::with_config(config).await;
    // The account first: ingest maps the officer's name to the one account of the unit.
    app.user_named("zhangwei", "张伟", &[Role::Officer], GX)
        .await;
    let rec = record(&app, 1, GX, "某化工有限公司安全生产检查").await;
    let wd_rec = record(&app, 2, WD, "烟花爆竹违规储存案").await;
    app.user_named("zhaomin", "赵敏", &[Role::RecordsKeeper], GX)
        .await;
    app.user_named("wdkeeper", "孙丽", &[Role::RecordsKeeper], WD)
        .await;
    app.user_named("dangan", "档案员", &[Role::ArchiveKeeper], GX)
        .await;
    app.user_named("jiandu", "监督员", &[Role::Supervisor], GX)
        .await;
    app.user_named("fazhi", "法制员", &[Role::LegalOffice], GX)
        .await;
    app.user("sysadmin", &[Role::SystemAdmin], None).await;
    app.user("auditor", &[Role::AuditAdmin], None).await;
    let zw = uid(&app, "zhangwei").await;
    let keeper = uid(&app, "zhaomin").await;
    let copy_seq = log(
        &app,
        &keeper,
        AuditAction::parse("copy.made").unwrap_or(AuditAction::RecordDownloaded),
        "request:q1",
        json!({
            "request": "q1", "kind": "copy", "records": [rec], "purpose": "行政诉讼举证",
            "requester": { "user": zw, "name": "张伟", "type": "staff", "unit": GX },
            "approved_by": ["法制科王某", "分管领导赵某"], "fee_cents": 1500,
            "receipt_no": "NO.20260001"
        }),
    )
    .await;
    let visit_seq = log(
        &app,
        &keeper,
        AuditAction::RecordViewed,
        &format!("record:{rec}"),
        json!({
            "request": "q2", "kind": "outside", "records": [rec], "purpose": "代理行政复议",
            "requester": { "name": "李律师", "type": "lawyer", "unit": "河南某律师事务所" },
            "approved_by": ["案件承办科"]
        }),
    )
    .await;
    if let Some(approved) = AuditAction::parse("access.approved") {
        log(
            &app,
            &keeper,
            approved,
            "request:q3",
            json!({ "request": "q3", "step": "consent", "decision": "approve" }),
        )
        .await;
    }
    let play_seq = log(
        &app,
        &zw,
        AuditAction::RecordPlayed,
        &format!("record:{rec}"),
        json!({ "seconds": 42.5, "grant": "g-unknown", "purpose": "案件研究" }),
    )
    .await;
    World {
        app,
        rec,
        wd_rec,
        copy_seq,
        visit_seq,
        play_seq,
    }
}

#[tokio::test]
async fn the_register_lists_every_use_with_who_what_why_fee_and_log_entry() {
    let w = world("").await;
    let app = &w.app;
    // A direct view through the page is a use too.
    let officer = signed_in(app, "zhangwei").await;
    let (status, _) = get(&officer, app, &format!("/records/{}", w.rec)).await;
    assert_eq!(status, 200);

    let archive = signed_in(app, "dangan").await;
    let before = count(app, "register.viewed").await;
    let (status, html) = get(&archive, app, "/register").await;
    assert_eq!(status, 200, "{html}");
    for needle in [
        "行政执法音像记录查阅登记簿",
        "某化工有限公司安全生产检查",
        "平顶山市某化工有限公司",
        "执法记录仪-03",
        "代理行政复议",
        "李律师",
        "河南某律师事务所",
        "播放 42.5 秒",
        &format!("#{}", w.visit_seq),
        &format!("#{}", w.play_seq),
        &format!("/records/{}", w.rec),
        "/api/v1/register/export?format=pdf",
    ] {
        assert!(html.contains(needle), "register page lacks {needle}");
    }
    assert_eq!(count(app, "register.viewed").await, before + 1);

    let api = |q: &str| {
        let q = q.to_owned();
        let archive = archive.clone();
        async move {
            let (status, body) = get(&archive, app, &format!("/api/v1/register{q}")).await;
            assert_eq!(status, 200, "{q}: {body}");
            serde_json::from_str::<Value>(&body).unwrap()
        }
    };
    let all = api("").await;
    let seqs: Vec<u64> = all["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    // The outside visit was logged as a view; the approval-only entry is no use.
    assert_eq!(seqs.len(), 4, "{all}");
    assert!(seqs.contains(&w.copy_seq));
    let lawyer = api("?person=%E6%9D%8E%E5%BE%8B%E5%B8%88").await; // 李律师
    assert_eq!(lawyer["total"], 1);
    let row = &lawyer["rows"][0];
    assert_eq!(row["seq"].as_u64(), Some(w.visit_seq));
    assert_eq!(row["requester_type"], "lawyer");
    assert_eq!(row["approved_by"], "案件承办科");
    assert_eq!(row["case_name"], "某化工有限公司安全生产检查");
    let receipt = api("?q=NO.2026").await;
    assert_eq!(receipt["total"], 1);
    assert_eq!(receipt["rows"][0]["fee_cents"], 1500);
    assert_eq!(
        receipt["rows"][0]["approved_by"],
        "法制科王某、分管领导赵某"
    );
    assert_eq!(receipt["rows"][0]["purpose"], "行政诉讼举证");
    let copy_kind = if AuditAction::parse("copy.made").is_some() {
        "copy"
    } else {
        "download"
    };
    assert_eq!(receipt["rows"][0]["kind"], copy_kind);
    assert_eq!(api("?kind=playback").await["total"], 1);
    assert_eq!(api(&format!("?record={}", w.wd_rec)).await["total"], 0);
    assert_eq!(api("?from=2000-01-01&to=2000-01-31").await["total"], 0);
    let (status, body) = get(&archive, app, "/api/v1/register?from=3/1").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("bad_date"));
    let (status, _) = get(&archive, app, "/api/v1/register?kind=steal").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn only_the_named_roles_read_the_register_and_keepers_only_their_units() {
    let w = world("").await;
    let app = &w.app;
    for user in ["dangan", "jiandu", "fazhi", "auditor", "zhaomin"] {
        let c = signed_in(app, user).await;
        let (status, body) = get(&c, app, "/api/v1/register").await;
        assert_eq!(status, 200, "{user}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["total"], 3, "{user}");
        let (status, html) = get(&c, app, "/").await;
        assert_eq!(status, 200);
        assert!(
            html.contains("href=\"/register\""),
            "{user} has no menu link"
        );
    }
    // Another unit's keeper: the register of his own unit, which has no uses.
    let wd = signed_in(app, "wdkeeper").await;
    let (status, body) = get(&wd, app, "/api/v1/register").await;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["total"], 0);
    let refused_before = count(app, "access.refused").await;
    for user in ["zhangwei", "sysadmin"] {
        let c = signed_in(app, user).await;
        for path in [
            "/register",
            "/api/v1/register",
            "/api/v1/register/export?format=csv",
        ] {
            let (status, body) = get(&c, app, path).await;
            assert_eq!(status, 403, "{user} {path}: {body}");
            assert!(!body.contains("李律师"), "{user} {path} leaks");
        }
        let (_, html) = get(&c, app, "/").await;
        assert!(
            !html.contains("href=\"/register\""),
            "{user} has a menu link"
        );
    }
    assert_eq!(count(app, "access.refused").await, refused_before + 6);
    let anonymous = app.client();
    let (status, _) = get(&anonymous, app, "/api/v1/register").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn exports_are_csv_with_bom_and_a_chinese_pdf_and_are_logged() {
    let w = world("").await;
    let app = &w.app;
    let archive = signed_in(app, "dangan").await;
    let res = archive
        .get(app.url("/api/v1/register/export?format=csv"))
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
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".csv")
    );
    let csv = res.bytes().await.unwrap();
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]), "no BOM");
    let text = std::str::from_utf8(&csv[3..]).unwrap();
    assert!(text.starts_with("日志序号,登记时间,类别,查阅人"), "{text}");
    assert!(
        text.contains("李律师") && text.contains("代理行政复议"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 4, "{text}");

    let res = archive
        .get(app.url("/api/v1/register/export?format=pdf&from=2020-01-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let file = app.data.parent().unwrap().join("register.pdf");
    std::fs::write(&file, &pdf).unwrap();
    if let Some(text) = crate::support::pdf_text(&file) {
        for needle in [
            "行政执法音像记录查阅登记簿",
            "平顶山高新区应急管理局",
            "2020-01-01",
            "李律师",
            "代理行政复议",
            "第 1 页 共 1 页",
        ] {
            assert!(text.contains(needle), "PDF text lacks {needle}:\n{text}");
        }
    }
    let exports: Vec<Value> = app
        .custody
        .db()
        .entries_page(None, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "register.exported")
        .map(|e| liuhen_db::EntryBody::parse(&e.body).unwrap().details)
        .collect();
    assert_eq!(exports.len(), 2);
    assert_eq!(exports[1]["format"], "pdf");
    use sha2::Digest;
    assert_eq!(
        exports[1]["sha256"],
        hex::encode(sha2::Sha256::digest(&pdf))
    );
    let (status, _) = get(&archive, app, "/api/v1/register/export?format=xls").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn deleting_an_original_is_refused_logged_and_alerted_then_acknowledged() {
    let w = world("").await;
    let app = &w.app;
    let keeper = signed_in(app, "zhaomin").await;
    let csrf = app.csrf_of(&keeper, "/account").await;
    let res = keeper
        .delete(app.url(&format!("/api/v1/records/{}", w.rec)))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "originals_never_deleted");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("不得删除")
    );
    // The record is still there.
    let (status, _) = get(&keeper, app, &format!("/api/v1/records/{}", w.rec)).await;
    assert_eq!(status, 200);
    let refusal = app
        .custody
        .db()
        .entries_for(&format!("record:{}", w.rec))
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "access.refused")
        .expect("the attempt is logged");
    let details = liuhen_db::EntryBody::parse(&refusal.body).unwrap().details;
    assert_eq!(details["action"], "record.delete");

    let sup = signed_in(app, "jiandu").await;
    let (status, body) = get(&sup, app, "/api/v1/alerts?kind=tamper_attempt").await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let alerts = v["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{v}");
    assert_eq!(alerts[0]["evidence"], json!([refusal.seq]));
    assert_eq!(alerts[0]["actor_name"], "赵敏（zhaomin）");
    let key = alerts[0]["key"].as_str().unwrap().to_owned();
    let (status, html) = get(&sup, app, "/alerts").await;
    assert_eq!(status, 200);
    assert!(html.contains("试图删除或篡改原始记录") && html.contains(&format!("#{}", refusal.seq)));
    assert!(html.contains("action=\"/alerts/ack\""));

    // The audit administrator reads alerts but does not acknowledge them.
    let auditor = signed_in(app, "auditor").await;
    let (status, html) = get(&auditor, app, "/alerts").await;
    assert_eq!(status, 200);
    assert!(!html.contains("action=\"/alerts/ack\""));
    let res = auditor
        .post(app.url("/api/v1/alerts/ack"))
        .header("x-csrf-token", app.csrf_of(&auditor, "/account").await)
        .json(&json!({ "key": key, "note": "看过" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let sup_csrf = app.csrf_of(&sup, "/alerts").await;
    let res = sup
        .post(app.url("/alerts/ack"))
        .form(&[
            ("csrf", sup_csrf.as_str()),
            ("key", key.as_str()),
            ("note", ""),
            ("back", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "a note is required");
    let res = sup
        .post(app.url("/alerts/ack"))
        .form(&[
            ("csrf", sup_csrf.as_str()),
            ("key", key.as_str()),
            ("note", "已核实：误操作，已谈话提醒"),
            ("back", "kind=tamper_attempt"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/alerts?kind=tamper_attempt&acked=1");
    assert_eq!(count(app, "alert.acknowledged").await, 1);
    let (_, body) = get(&sup, app, "/api/v1/alerts?kind=tamper_attempt").await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["alerts"],
        json!([])
    );
    let (_, body) = get(&sup, app, "/api/v1/alerts?kind=tamper_attempt&all=1").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["alerts"][0]["acknowledged"]["note"],
        "已核实：误操作，已谈话提醒"
    );
    // Twice is refused; a made-up key too.
    for k in [key.as_str(), "odd_hours:nobody:999999", "garbage"] {
        let res = sup
            .post(app.url("/api/v1/alerts/ack"))
            .header("x-csrf-token", &sup_csrf)
            .json(&json!({ "key": k, "note": "x" }))
            .send()
            .await
            .unwrap();
        assert!(
            matches!(res.status().as_u16(), 400 | 404),
            "{k}: {}",
            res.status()
        );
    }
    // Officers see no alerts.
    let officer = signed_in(app, "zhangwei").await;
    let (status, _) = get(&officer, app, "/alerts").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn refusals_bulk_downloads_odd_hours_and_grant_breaches_are_signalled() {
    // Working hours that exclude the present hour, and low thresholds.
    let hour = jiff::tz::offset(8)
        .to_datetime(jiff::Timestamp::now())
        .hour();
    let start = (hour + 2) % 23;
    let config = format!(
        "[supervision.signals]\nrefusals_count = 3\nbulk_count = 3\nworkday_start_hour = {start}\n\
         workday_end_hour = {}\nweekends_are_odd = false\n",
        start + 1
    );
    let w = world(&config).await;
    let app = &w.app;
    let zw = uid(app, "zhangwei").await;
    let officer = signed_in(app, "zhangwei").await;
    for _ in 0..3 {
        let (status, _) = get(&officer, app, &format!("/api/v1/records/{}", w.wd_rec)).await;
        assert_eq!(status, 404, "a record he may not see");
    }
    let mut downloads = Vec::new();
    for _ in 0..3 {
        downloads.push(
            log(
                app,
                &zw,
                AuditAction::RecordDownloaded,
                &format!("record:{}", w.rec),
                json!({}),
            )
            .await,
        );
    }
    let expired = jiff::Timestamp::now().as_millisecond() - 1_000;
    let granted = log(
        app,
        "keeper",
        AuditAction::parse("access.granted").unwrap_or(AuditAction::RecordViewed),
        "request:q9",
        json!({ "grant": "g9", "request": "q9", "records": [w.rec], "requester": { "user": zw },
                "approved_by": ["案件承办科"], "expires_ms": expired }),
    )
    .await;
    let late = log(
        app,
        &zw,
        AuditAction::RecordPlayed,
        &format!("record:{}", w.rec),
        json!({ "seconds": 3.0, "grant": "g9", "purpose": "复核" }),
    )
    .await;

    let sup = signed_in(app, "jiandu").await;
    let (status, body) = get(&sup, app, "/api/v1/alerts").await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let of = |kind: &str| -> Vec<Value> {
        v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == kind && a["actor"] == zw.as_str())
            .cloned()
            .collect()
    };
    assert_eq!(of("repeated_refusals").len(), 1, "{v}");
    assert_eq!(
        of("repeated_refusals")[0]["evidence"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let bulk = of("bulk_takeaway");
    assert_eq!(bulk.len(), 1, "{v}");
    let evidence = bulk[0]["evidence"].as_array().unwrap();
    assert!(
        downloads.iter().all(|d| evidence.contains(&json!(d))),
        "{v}"
    );
    assert_eq!(of("odd_hours").len(), 1, "{v}");
    if AuditAction::parse("access.granted").is_some() {
        let breach = of("outside_grant");
        assert_eq!(breach.len(), 1, "{v}");
        assert!(
            breach[0]["evidence"]
                .as_array()
                .unwrap()
                .contains(&json!(late))
        );
        assert!(
            breach[0]["detail"]
                .as_str()
                .unwrap()
                .contains("grant_expired")
        );
        assert_eq!(breach[0]["context"], json!([granted]));
    } else {
        // Until the grant actions exist, the use names a grant the log does not know.
        let breach = of("outside_grant");
        assert!(
            breach[0]["detail"]
                .as_str()
                .unwrap()
                .contains("grant_unknown"),
            "{v}"
        );
    }
    let (status, html) = get(&sup, app, "/alerts").await;
    assert_eq!(status, 200);
    for label in [
        "多次被拒绝的访问",
        "短时间内大量下载/复制",
        "非工作时间访问",
        "超出授权范围使用",
    ] {
        assert!(html.contains(label), "alerts page lacks {label}");
    }
    let (status, _) = get(&sup, app, "/api/v1/alerts?from=2026-13-01").await;
    assert_eq!(status, 400);
}
