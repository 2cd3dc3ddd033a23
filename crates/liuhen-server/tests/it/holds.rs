//! Preservation holds in the UI (R3.7): the keeper sees the ground the case's flags propose
//! and places the hold; an officer cannot; the leader lifts it with a reason; the record
//! page shows the hold and the longer retention.

use std::sync::Arc;

use liuhen_app::cases::CaseFlag;
use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_domain::{Classification, RecordId, Role};

use crate::support::{TEST_PASSWORD, TestApp, location};

const GX: &str = "平顶山高新区应急管理局";

async fn signed_in(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let client = app.client();
    let csrf = app.login(&client, username, TEST_PASSWORD).await;
    (client, csrf)
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = client.get(app.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn the_keeper_places_a_proposed_hold_and_the_leader_lifts_it() {
    let app = TestApp::new().await;
    app.user_named("zhaomin", "赵敏", &[Role::RecordsKeeper], GX)
        .await;
    app.user_named("qian", "钱局长", &[Role::EnforcementLeader], GX)
        .await;
    app.user_named("zhangwei", "张伟", &[Role::Officer], GX)
        .await;
    let c = &app.custody;
    let dir = app.data.parent().unwrap().join("incoming");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("DSJ-03_0001.MP4");
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
    let summary = c.ingest(&[path], &opts, Arc::new(NoProgress)).await;
    let record = RecordId::parse(summary.reports[0].record_id.as_deref().unwrap()).unwrap();
    let case = app
        .case("平高应急罚〔2026〕12号")
        .unit(GX, "执法一科")
        .team(&["张伟"])
        .record(&record)
        .create()
        .await
        .case;
    c.set_case_flag(&case.id, CaseFlag::Disputed, true, "当事人提出异议", "test")
        .await
        .unwrap();
    let holds = format!("/cases/{}/holds", case.id);

    // An officer of the team sees the page but not the form; a post is refused, changing nothing.
    let (officer, csrf) = signed_in(&app, "zhangwei").await;
    let (status, html) = get(&officer, &app, &holds).await;
    assert_eq!(status, 200, "{html}");
    assert!(!html.contains(r#"id="place-hold""#));
    let res = officer
        .post(app.url(&holds))
        .form(&[
            ("csrf", csrf.as_str()),
            ("ground", "objection"),
            ("note", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("无权设置保全标记"));
    assert!(c.holds_of_case(&case.id).await.unwrap().is_empty());

    // The keeper: the flag proposes "objection", preselected; placing it raises retention.
    let (keeper, csrf) = signed_in(&app, "zhaomin").await;
    let (status, html) = get(&keeper, &app, &format!("/cases/{}", case.id)).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!(r#"href="/cases/{}/holds""#, case.id)));
    let (_, html) = get(&keeper, &app, &holds).await;
    assert!(html.contains(r#"id="hold-proposals""#));
    assert!(html.contains(r#"<option value="objection" selected>当事人提出异议、投诉或信访"#));
    let res = keeper
        .post(app.url(&holds))
        .form(&[
            ("csrf", csrf.as_str()),
            ("ground", "objection"),
            ("note", "当事人申请行政复议"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("{holds}?done=placed"));
    let (_, html) = get(&keeper, &app, &holds).await;
    assert!(html.contains("当事人申请行政复议"));
    assert!(
        !html.contains(r#"id="hold-proposals""#),
        "held: no longer proposed"
    );
    let (_, html) = get(&keeper, &app, &format!("/records/{record}")).await;
    assert!(html.contains(r#"id="record-holds""#));
    assert!(html.contains("保全标记，最少保存 30 年"), "{html}");

    // The keeper cannot lift it; the leader does, with a reason.
    let hold = c.holds_of_case(&case.id).await.unwrap()[0].id.clone();
    let lift = format!("/holds/{hold}/lift");
    let res = keeper
        .post(app.url(&lift))
        .form(&[("csrf", csrf.as_str()), ("reason", "已结案")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let (leader, csrf) = signed_in(&app, "qian").await;
    let res = leader
        .post(app.url(&lift))
        .form(&[("csrf", csrf.as_str()), ("reason", "复议结束，维持原决定")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let (_, html) = get(&leader, &app, &holds).await;
    assert!(html.contains("复议结束，维持原决定"));
    assert!(!c.holds_of_case(&case.id).await.unwrap()[0].in_force());
}

/// Six years on (the server's clock moved), the keeper's disposal list shows the record
/// in no case and leaves the held one out; an officer may not draw it up.
#[tokio::test]
async fn the_disposal_list_six_years_later_leaves_held_records_out() {
    let app = TestApp::new().await;
    app.user_named("zhaomin", "赵敏", &[Role::RecordsKeeper], GX)
        .await;
    app.user_named("zhangwei", "张伟", &[Role::Officer], GX)
        .await;
    let c = &app.custody;
    let dir = app.data.parent().unwrap().join("incoming");
    std::fs::create_dir_all(&dir).unwrap();
    let mut ids = Vec::new();
    // Two of this unit, one of another unit (never on this keeper's list).
    for (n, unit) in [(1, GX), (2, GX), (3, "卫东区应急管理局")] {
        let path = dir.join(format!("DSJ-03_000{n}.MP4"));
        std::fs::write(&path, format!("clip {n}")).unwrap();
        let opts = IngestOptions {
            actor: "test".into(),
            classification: Classification {
                agency: Some(unit.into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let summary = c.ingest(&[path], &opts, Arc::new(NoProgress)).await;
        ids.push(summary.reports[0].record_id.clone().unwrap());
    }
    let keeper = liuhen_domain::authz::Principal {
        user_id: "k".into(),
        roles: vec![Role::RecordsKeeper],
        unit: Some(GX.into()),
        department: None,
        officer_name: "赵敏".into(),
    };
    c.place_hold(
        &keeper,
        &liuhen_app::holds::HoldTarget::Record(RecordId::parse(&ids[1]).unwrap()),
        "mass_incident",
        "",
    )
    .await
    .unwrap();

    let (client, _) = signed_in(&app, "zhaomin").await;
    let (status, html) = get(&client, &app, "/disposal").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"id="disposal-empty""#));

    app.clock.advance_years(6);
    let (client, _) = signed_in(&app, "zhaomin").await;
    let (status, html) = get(&client, &app, "/disposal").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"id="disposal-list""#));
    assert!(html.contains(&ids[0]), "the record in no case is due");
    assert!(!html.contains(&ids[1]), "the held record is never listed");
    assert!(
        !html.contains(&ids[2]),
        "another unit's record is not this keeper's"
    );

    let (officer, _) = signed_in(&app, "zhangwei").await;
    let (status, _) = get(&officer, &app, "/disposal").await;
    assert_eq!(status, 403);
}
