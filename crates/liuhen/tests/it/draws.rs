//! `liuhen draw`: announce, checkpoint, perform, print, and `draw verify`, which says
//! whether the logged draw recomputes, and fails once the logged result is forged.

use liuhen_app::accounts::NewUser;
use liuhen_app::{Custody, OpenOptions};
use liuhen_domain::Role;

use crate::support::TestApp;

/// Runs as the supervisor once there is one (else as the operator); must succeed.
fn ok(app: &TestApp, args: &[&str]) -> String {
    let jd = app.work.join("jd.token");
    let out = if jd.exists() {
        app.run_as(&jd, args)
    } else {
        app.run(args)
    };
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The supervisor `jd`; returns the file of its token.
async fn supervisor(app: &TestApp) -> std::path::PathBuf {
    let c = Custody::open(OpenOptions::new(&app.data)).await.unwrap();
    let id = c
        .create_user_unchecked(
            "test",
            NewUser {
                username: "jd".into(),
                display_name: "监督员".into(),
                password: "Test-Passw0rd!".into(),
                unit: Some("甲局".into()),
                department: None,
                roles: vec![Role::Supervisor],
            },
        )
        .await
        .unwrap();
    let token = c.create_api_token(&id, "cli").await.unwrap();
    c.db().close().await;
    app.token_file("jd", &token)
}

/// A 50 % sample of one agency's records of a period: the population is exactly that
/// agency's records (another agency's are left out).
#[tokio::test]
async fn draw_of_an_agencys_records() {
    let app = TestApp::new();
    let ours = app.make_files("ours", 6, 3000, 1);
    let theirs = app.make_files("theirs", 3, 3000, 2);
    let (ok1, mine) = app.ingest(&[ours.to_str().unwrap(), "--agency", "甲局"]);
    let (ok2, _) = app.ingest(&[theirs.to_str().unwrap(), "--agency", "乙局"]);
    assert!(ok1 && ok2);
    let mut ids: Vec<String> = mine
        .iter()
        .map(|r| r["record_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    supervisor(&app).await;
    let id = ok(
        &app,
        &[
            "draw",
            "announce",
            "--purpose",
            "记录抽查",
            "--records-of",
            "甲局",
            "--from",
            "2000-01-01",
            "--to",
            "2999-12-31",
            "--permille",
            "500",
        ],
    );
    let id = id.trim();
    let shown: serde_json::Value =
        serde_json::from_str(ok(&app, &["draw", "show", id]).trim()).unwrap();
    assert_eq!(shown["announcement"]["population"], serde_json::json!(ids));
    assert_eq!(shown["announcement"]["count"], 3);
    ok(&app, &["log", "checkpoint"]);
    ok(&app, &["draw", "perform", id]);
    assert!(ok(&app, &["draw", "verify", id]).contains("核验一致"));
}

#[tokio::test]
async fn draw_verify_command_recomputes_and_fails_on_a_forged_result() {
    let app = TestApp::new();
    supervisor(&app).await;
    let pop = app.work.join("population.txt");
    let items: Vec<String> = (1..=40).map(|i| format!("案件-{i:03}")).collect();
    std::fs::write(&pop, items.join("\n") + "\n\n").unwrap();
    let id = ok(
        &app,
        &[
            "draw",
            "announce",
            "--purpose",
            "年度抽查",
            "--kind",
            "cases",
            "--population",
            pop.to_str().unwrap(),
            "--permille",
            "100",
        ],
    );
    let id = id.trim();
    // No checkpoint after the announcement yet: refused, nothing drawn.
    assert!(
        !app.run_as(&app.work.join("jd.token"), &["draw", "perform", id])
            .status
            .success()
    );
    ok(&app, &["log", "checkpoint"]);
    let out = ok(&app, &["draw", "perform", id, "--json"]);
    let result: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let selected: Vec<String> = serde_json::from_value(result["selected"].clone()).unwrap();
    assert_eq!(selected.len(), 4);
    assert!(selected.iter().all(|s| items.contains(s)));
    let text = ok(&app, &["draw", "verify", id]);
    assert!(text.contains("核验一致"), "{text}");
    let pdf = app.work.join("draw.pdf");
    ok(&app, &["draw", "pdf", id, "-o", pdf.to_str().unwrap()]);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));

    // Forge the result (the last entry), keeping its leaf hash consistent.
    let db = app.sql().await;
    let (seq, body): (i64, String) =
        sqlx::query_as("SELECT seq, body FROM audit_entries WHERE action = 'draw.performed'")
            .fetch_one(&db)
            .await
            .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let other = items.iter().find(|i| !selected.contains(i)).unwrap();
    v["details"]["selected"][0] = other.clone().into();
    let forged = v.to_string();
    let mut input = vec![0u8];
    input.extend_from_slice(forged.as_bytes());
    let leaf = <sha2::Sha256 as sha2::Digest>::digest(&input).to_vec();
    sqlx::query("UPDATE audit_entries SET body = $1, leaf_hash = $2 WHERE seq = $3")
        .bind(forged)
        .bind(leaf)
        .bind(seq)
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let out = app.run(&["draw", "verify", id, "--json"]);
    assert!(!out.status.success());
    let check: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(check["ok"], false);
    assert_eq!(check["recomputed"], serde_json::json!(selected));
}
