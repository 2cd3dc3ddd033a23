//! `liuhen identity`: officers mapped to no account are listed for a person; resolving one
//! needs an account of the record's unit, and a refused resolution changes nothing.

use liuhen_app::accounts::NewUser;
use liuhen_app::{Custody, OpenOptions};
use liuhen_domain::{RecordId, Role};
use serde_json::Value;

use crate::support::TestApp;

#[test]
fn unmapped_officers_are_listed_and_a_bad_resolution_changes_nothing() {
    let app = TestApp::new();
    let files = app.make_files("in", 1, 2048, 7);
    let (ok, reports) = app.ingest(&[
        "--officer",
        "陈某",
        "--agency",
        "平顶山高新区应急管理局",
        files.to_str().unwrap(),
    ]);
    assert!(ok, "{reports:?}");
    let id = reports[0]["record_id"].as_str().unwrap().to_owned();
    let out = app.run(&["identity", "unresolved", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["record"], Value::from(id.clone()));
    assert_eq!(rows[0]["officer"], "陈某");
    // No such account: refused, nothing logged or changed.
    let out = app.run(&[
        "identity",
        "resolve-record",
        &id,
        "--user",
        "chen",
        "--reason",
        "核对",
    ]);
    assert!(!out.status.success());
    let out = app.run(&["identity", "unresolved"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&id) && text.contains("1 records"), "{text}");
    app.assert_verifies();
}

/// Issue 10.1: a camera names its officer by police number. The number set on an account
/// (`identity set-police`, unique in the bureau) makes `ingest --police` the account's
/// record; an unknown number makes it nobody's own and listed, never matched by name.
#[tokio::test]
async fn ingest_by_police_number_maps_to_the_account_and_an_unknown_one_is_listed() {
    const GX: &str = "平顶山高新区应急管理局";
    let app = TestApp::new();
    let c = Custody::open(OpenOptions::new(&app.data)).await.unwrap();
    // Police numbers are account administration: never with a token; the system
    // administrator on the console (break-glass, logged).
    c.bootstrap_admin().await.unwrap().unwrap();
    let mut ids = Vec::new();
    for (username, name) in [("zhangwei", "张伟"), ("liuyang", "刘洋")] {
        ids.push(
            c.create_user_unchecked(
                "test",
                NewUser {
                    username: username.into(),
                    display_name: name.into(),
                    password: "Test-Passw0rd!".into(),
                    unit: Some(GX.into()),
                    department: None,
                    roles: vec![Role::Officer],
                },
            )
            .await
            .unwrap(),
        );
    }
    c.db().close().await;
    let set_police = |user: &str, number: &str| {
        app.run_anonymous(&[
            "--break-glass",
            "sysadmin",
            "--break-glass-reason",
            "登记警号",
            "identity",
            "set-police",
            user,
            number,
        ])
    };
    let out = app.run(&["identity", "set-police", "zhangwei", "012345"]);
    assert!(!out.status.success(), "not with a token");
    let out = set_police("zhangwei", "012345");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Unique in the bureau; letters and digits only.
    assert!(!set_police("liuyang", "012345").status.success());
    assert!(!set_police("liuyang", "01 23").status.success());
    let listed = String::from_utf8_lossy(&app.run(&["identity", "police"]).stdout).into_owned();
    assert!(listed.contains("012345  zhangwei  张伟"), "{listed}");

    let known = app.make_files("known", 1, 2048, 11);
    let (ok, reports) = app.ingest(&["--police", "012345", known.to_str().unwrap()]);
    assert!(ok, "{reports:?}");
    let mapped = reports[0]["record_id"].as_str().unwrap().to_owned();
    // An unknown number, even next to the name of an account: nobody's own.
    let unknown = app.make_files("unknown", 1, 2048, 12);
    let (ok, reports) = app.ingest(&[
        "--police",
        "999999",
        "--officer",
        "刘洋",
        "--agency",
        GX,
        unknown.to_str().unwrap(),
    ]);
    assert!(ok, "{reports:?}");
    let nobodys = reports[0]["record_id"].as_str().unwrap().to_owned();

    let c = Custody::open(OpenOptions::new(&app.data)).await.unwrap();
    let rec = c.record(&RecordId::parse(&mapped).unwrap()).await.unwrap();
    assert_eq!(rec.officer_id.as_deref(), Some(ids[0].as_str()));
    assert_eq!(rec.classification.officer.as_deref(), Some("张伟"));
    assert_eq!(
        rec.classification.agency.as_deref(),
        Some(GX),
        "the account's unit"
    );
    let rec = c.record(&RecordId::parse(&nobodys).unwrap()).await.unwrap();
    assert_eq!(rec.officer_id, None, "never matched by name");
    assert_eq!(
        rec.classification.officer.as_deref(),
        Some("刘洋（警号 999999）")
    );
    let logged = c
        .db()
        .entries_for(&format!("user:{}", ids[0]))
        .await
        .unwrap();
    assert!(logged.iter().any(|e| e.action == "account.police_number"));
    c.db().close().await;
    let out = app.run(&["identity", "unresolved", "--json"]);
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["record"], Value::from(nobodys));
    app.assert_verifies();
}
