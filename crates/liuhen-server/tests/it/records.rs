//! Record list, search, record page and their API: who sees what, what is logged, escaping.

use std::sync::Arc;

use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_domain::{Classification, Role};
use serde_json::Value;

use crate::support::{TestApp, location};

const GX: &str = "平顶山高新区应急管理局";
const WD: &str = "卫东区应急管理局";

/// Ingests a small file with this classification and returns the record id.
async fn record(app: &TestApp, n: u32, agency: &str, officer: &str, case_name: &str) -> String {
    let party = match n {
        1 => "平顶山市某化工有限公司",
        2 => "王某",
        _ => "某烟花爆竹经营部",
    };
    let dir = app.data.parent().unwrap().join("incoming");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("20261103_0930{n:02}_DSJ-03_{n:04}.MP4"));
    std::fs::write(&path, format!("not really a video, number {n}")).unwrap();
    let opts = IngestOptions {
        actor: "test".into(),
        classification: Classification {
            agency: Some(agency.into()),
            device: Some("DSJ-03".into()),
            officer: Some(officer.into()),
            case_name: Some(case_name.into()),
            party: Some(party.into()),
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

struct World {
    app: TestApp,
    /// 张伟's, in 高新区, case about a chemical company.
    own: String,
    /// 李娜's, in 高新区.
    colleague: String,
    /// 王芳's, in 卫东区.
    other_unit: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    // Accounts first: ingest maps the officer's name to the one account of the unit.
    app.user_named("zhangwei", "张伟", &[Role::Officer], GX)
        .await;
    app.user_named("zhaomin", "赵敏", &[Role::RecordsKeeper], GX)
        .await;
    let own = record(&app, 1, GX, "张伟", "某化工有限公司安全生产检查").await;
    let colleague = record(&app, 2, GX, "李娜", "某加油站动火作业违规案").await;
    let other_unit = record(&app, 3, WD, "王芳", "烟花爆竹违规储存案").await;
    World {
        app,
        own,
        colleague,
        other_unit,
    }
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

async fn api_ids(client: &reqwest::Client, app: &TestApp, query: &str) -> Vec<String> {
    let (status, body) = get(client, app, &format!("/api/v1/records{query}")).await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let mut ids: Vec<String> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn an_officer_sees_only_his_own_records_and_a_keeper_his_units() {
    let w = world().await;
    let officer = signed_in(&w.app, "zhangwei").await;
    let (status, html) = get(&officer, &w.app, "/records").await;
    assert_eq!(status, 200);
    assert!(html.contains(&w.own));
    assert!(!html.contains(&w.colleague) && !html.contains(&w.other_unit));
    assert!(
        html.contains("执法人员") && html.contains("案件名称"),
        "Chinese columns"
    );
    assert_eq!(api_ids(&officer, &w.app, "").await, vec![w.own.clone()]);
    // Asking for the other unit explicitly changes nothing.
    let q = format!("?agency={WD}");
    assert!(api_ids(&officer, &w.app, &q).await.is_empty());

    let keeper = signed_in(&w.app, "zhaomin").await;
    assert_eq!(
        api_ids(&keeper, &w.app, "").await,
        sorted(vec![w.own.clone(), w.colleague.clone()])
    );
    let (_, html) = get(&keeper, &w.app, "/records").await;
    assert!(html.contains(&w.own) && html.contains(&w.colleague));
    assert!(!html.contains(&w.other_unit));

    // Not signed in: the page sends to the login, the API answers 401.
    let anon = w.app.client();
    let res = anon.get(w.app.url("/records")).send().await.unwrap();
    assert_eq!(location(&res), "/login");
    let (status, _) = get(&anon, &w.app, "/api/v1/records").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn another_units_record_is_refused_and_the_refusal_logged() {
    let w = world().await;
    let keeper = signed_in(&w.app, "zhaomin").await;
    for path in [
        format!("/records/{}", w.other_unit),
        format!("/api/v1/records/{}", w.other_unit),
    ] {
        // One answer for records one may not know exist: 404, as for none at all.
        let (status, body) = get(&keeper, &w.app, &path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(!body.contains("烟花爆竹"), "{path} leaks the record");
    }
    let officer = signed_in(&w.app, "zhangwei").await;
    let (status, _) = get(&officer, &w.app, &format!("/records/{}", w.colleague)).await;
    assert_eq!(status, 404);

    let trail = w
        .app
        .custody
        .db()
        .entries_for(&format!("record:{}", w.other_unit))
        .await
        .unwrap();
    let refused = trail
        .iter()
        .filter(|e| e.action == "access.refused")
        .count();
    assert_eq!(refused, 2);
    assert!(!trail.iter().any(|e| e.action == "record.viewed"));
    let (status, _) = get(&keeper, &w.app, "/records/not-a-record-id").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_record_page_shows_digests_and_trail_and_the_view_is_logged() {
    let w = world().await;
    let keeper = signed_in(&w.app, "zhaomin").await;
    let (status, html) = get(&keeper, &w.app, &format!("/records/{}", w.own)).await;
    assert_eq!(status, 200, "{html}");
    let r = w
        .app
        .custody
        .record(&liuhen_domain::RecordId::parse(&w.own).unwrap())
        .await
        .unwrap();
    assert!(html.contains(&r.sha256.to_hex()), "SHA-256 shown");
    assert!(html.contains(&r.sm3.to_hex()), "SM3 shown");
    assert!(html.contains("某化工有限公司安全生产检查"));
    assert!(html.contains("入库"), "ingest in the trail");
    assert!(html.contains("查看记录"), "this view in the trail");
    assert!(html.contains("赵敏"), "the viewer's name in the trail");
    assert!(html.contains(r#"class="player""#));

    let trail = w
        .app
        .custody
        .db()
        .entries_for(&format!("record:{}", w.own))
        .await
        .unwrap();
    let views: Vec<_> = trail
        .iter()
        .filter(|e| e.action == "record.viewed")
        .collect();
    assert_eq!(views.len(), 1);
    assert_ne!(views[0].actor, "test");

    // The API view is logged as well and names the channel.
    let (status, body) = get(&keeper, &w.app, &format!("/api/v1/records/{}", w.own)).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["record"]["sha256"], r.sha256.to_hex());
    assert_eq!(v["can_edit"], true);
    let n = w
        .app
        .custody
        .db()
        .entries_for(&format!("record:{}", w.own))
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "record.viewed" && e.body.contains(r#""via":"api""#))
        .count();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn chinese_queries_of_two_characters_find_records() {
    let w = world().await;
    let keeper = signed_in(&w.app, "zhaomin").await;
    let cases: &[(&str, Vec<String>)] = &[
        ("?q=化工", vec![w.own.clone()]),
        ("?q=加油", vec![w.colleague.clone()]),
        ("?q=张伟", vec![w.own.clone()]),
        ("?q=动火作业", vec![w.colleague.clone()]),
        ("?q=检", vec![w.own.clone()]),
        ("?q=烟花", vec![]),
        ("?officer=李娜", vec![w.colleague.clone()]),
        ("?case_name=违规", vec![w.colleague.clone()]),
    ];
    for (q, want) in cases {
        assert_eq!(&api_ids(&keeper, &w.app, q).await, want, "{q}");
    }
    let (_, html) = get(&keeper, &w.app, "/records?q=%E5%8C%96%E5%B7%A5").await;
    assert!(html.contains(&w.own) && !html.contains(&w.colleague));
    assert!(html.contains(r#"value="化工""#), "the form keeps the query");

    // htmx gets the results only; bad input is refused with a message.
    let res = keeper
        .get(w.app.url("/records?q=%E5%8C%96%E5%B7%A5&sort=size&dir=asc"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    let part = res.text().await.unwrap();
    assert!(part.contains(&w.own) && !part.contains("<html"));
    let (status, body) = get(&keeper, &w.app, "/api/v1/records?date_from=2026-13-40").await;
    assert_eq!(status, 400);
    assert!(body.contains("记录日期"), "{body}");
}

#[tokio::test]
async fn hostile_metadata_is_escaped() {
    let w = world().await;
    let id = record(
        &w.app,
        9,
        GX,
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(2)>",
    )
    .await;
    let keeper = signed_in(&w.app, "zhaomin").await;
    for path in ["/records".to_owned(), format!("/records/{id}")] {
        let (status, html) = get(&keeper, &w.app, &path).await;
        assert_eq!(status, 200);
        assert!(!html.contains("<script>alert(1)"), "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{path}: escaped text shown"
        );
    }
}

#[tokio::test]
async fn the_keeper_reclassifies_with_a_reason_and_others_cannot() {
    let w = world().await;
    let keeper = signed_in(&w.app, "zhaomin").await;
    let csrf = w.app.csrf_of(&keeper, "/records").await;
    let path = format!("/records/{}/classification", w.colleague);
    let form = |reason: &str, case: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("agency", GX.to_owned()),
            ("device", "DSJ-03".to_owned()),
            ("officer", "李娜".to_owned()),
            ("case_name", case.to_owned()),
            ("party", "某化工有限公司".to_owned()),
            ("reason", reason.to_owned()),
        ]
    };
    let post = |f: Vec<(&'static str, String)>| keeper.post(w.app.url(&path)).form(&f).send();
    let res = post(form(" ", "某液化气站检查")).await.unwrap();
    assert!(location(&res).ends_with("?error=reason"));
    let res = post(form("案件名称录入错误", "某液化气站检查"))
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).ends_with("?saved=1"));
    let (_, html) = get(&keeper, &w.app, &location(&res)).await;
    assert!(html.contains("某液化气站检查") && html.contains("案件名称录入错误"));
    assert!(html.contains("修改元数据"));
    // 摄录人员 (issue 19): set from the same form, with its own reason, shown on the page.
    let mut with_operator = form("补录摄录人员（核对现场记录）", "某液化气站检查");
    with_operator.push(("camera_operator", "王强".to_owned()));
    let res = post(with_operator).await.unwrap();
    assert!(location(&res).ends_with("?saved=1"), "{}", location(&res));
    let (_, html) = get(&keeper, &w.app, &location(&res)).await;
    assert!(
        html.contains(r#"<dd id="camera-operator">王强</dd>"#),
        "camera operator not shown"
    );
    assert!(html.contains("补录摄录人员（核对现场记录）"));
    assert_eq!(
        api_ids(&keeper, &w.app, "?q=液化").await,
        vec![w.colleague.clone()]
    );
    // Moving the record to another unit (or to none) is refused; it stays (issue 10.3).
    for agency in [WD, ""] {
        let mut away = form("移交", "某液化气站检查");
        away[1].1 = agency.to_owned();
        let res = post(away).await.unwrap();
        assert_eq!(res.status(), 403, "agency {agency:?}");
    }
    assert_eq!(
        api_ids(&keeper, &w.app, "?q=液化").await,
        vec![w.colleague.clone()]
    );

    // An officer may not, and the refusal is logged.
    let officer = signed_in(&w.app, "zhangwei").await;
    let csrf = w.app.csrf_of(&officer, "/records").await;
    let res = officer
        .post(w.app.url(&format!("/records/{}/classification", w.own)))
        .form(&[
            ("csrf", csrf.as_str()),
            ("agency", GX),
            ("device", ""),
            ("officer", "张伟"),
            ("case_name", "改名"),
            ("party", ""),
            ("reason", "试图修改"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let trail = w
        .app
        .custody
        .db()
        .entries_for(&format!("record:{}", w.own))
        .await
        .unwrap();
    assert!(trail.iter().any(|e| e.action == "access.refused"));
    assert!(!trail.iter().any(|e| e.action == "record.metadata_changed"));
}

#[tokio::test]
async fn the_english_interface_shows_the_domain_labels_in_english() {
    let w = world().await;
    let c = signed_in(&w.app, "zhaomin").await;
    let page = format!("/records/{}", w.own);
    let (_, zh) = get(&c, &w.app, &page).await;
    assert!(zh.contains("查看记录") && zh.contains("入库"), "{zh}");
    let res = c.get(w.app.url("/lang/en")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let (status, en) = get(&c, &w.app, &page).await;
    assert_eq!(status, 200);
    // The record's trail: the audit actions in English, none left in Chinese.
    for label in ["Record viewed", "Stored"] {
        assert!(en.contains(label), "{label} missing:\n{en}");
    }
    for label in ["查看记录", ">入库<"] {
        assert!(
            !en.contains(label),
            "{label} left in the English page:\n{en}"
        );
    }
}

#[tokio::test]
async fn the_record_page_shows_retention_and_the_case_it_follows() {
    use liuhen_app::cases::CaseFlag;
    let w = world().await;
    let keeper = signed_in(&w.app, "zhaomin").await;
    let (status, html) = get(&keeper, &w.app, &format!("/records/{}", w.own)).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("自入库之日起最少保存 3 年"),
        "own minimum shown"
    );

    let c = &w.app.custody;
    let id = liuhen_domain::RecordId::parse(&w.own).unwrap();
    let case = w
        .app
        .case("平高应急罚〔2026〕7号")
        .unit(GX, "执法一科")
        .team(&["张伟"])
        .record(&id)
        .create()
        .await
        .case;
    c.set_case_flag(
        &case.id,
        CaseFlag::MajorPenalty,
        true,
        "重大行政处罚",
        "test",
    )
    .await
    .unwrap();
    let (status, html) = get(&keeper, &w.app, &format!("/records/{}", w.own)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("随案件档案保管期限"), "the case is the basis");
    assert!(html.contains("平高应急罚〔2026〕7号"));
    assert!(html.contains("永久（重大行政处罚、重大社会影响）"));
    assert!(html.contains("永久保存"));
    assert!(
        html.contains("案件尚未归档"),
        "an open case's period has not started"
    );
}
