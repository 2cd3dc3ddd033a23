//! Issue 11: every command that acts has an identity — an API token from a file only its
//! owner can read, with the token's scopes, or break-glass on the console, logged with its
//! reason. No credential, a file readable by others, a revoked or read-only token: refused,
//! nothing ingested.

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::support::{OPERATOR_UNIT, TestApp, write_token_file};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn ingest_without_a_credential_or_with_a_token_file_readable_by_others_is_refused() {
    let app = TestApp::new();
    let files = app.make_files("in", 1, 2048, 3);
    let token_file = app.operator_token_file();

    let out = app.run_anonymous(&["ingest", files.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--token-file"), "{}", stderr(&out));

    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = app.run(&["ingest", files.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("其他用户可以读取")
            && err.contains("readable by others")
            && err.contains("644"),
        "{err}"
    );
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();

    let forged = app.work.join("forged.token");
    write_token_file(&forged, "liuhen_not-a-real-token");
    let out = app.run_as(&forged, &["ingest", files.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown, expired or revoked"),
        "{}",
        stderr(&out)
    );

    // Nothing was ingested by the refused runs; the operator's own token works.
    let (ok, reports) = app.ingest(&[files.to_str().unwrap()]);
    assert!(ok, "{reports:?}");
    assert_eq!(reports[0]["status"], "stored");
}

#[tokio::test]
async fn a_read_only_token_may_show_but_not_change_a_record() {
    let app = TestApp::new();
    let files = app.make_files("in", 1, 2048, 4);
    let (ok, reports) = app.ingest(&[files.to_str().unwrap()]);
    assert!(ok);
    let id = reports[0]["record_id"].as_str().unwrap();
    let reader = {
        let (data, unit) = (app.data.clone(), OPERATOR_UNIT.to_owned());
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                let c = liuhen_app::Custody::open(liuhen_app::OpenOptions::new(&data))
                    .await
                    .unwrap();
                let uid = c
                    .create_user_unchecked(
                        "test",
                        liuhen_app::accounts::NewUser {
                            username: "reader".into(),
                            display_name: "查阅员".into(),
                            password: "Test-Passw0rd!-4711".into(),
                            unit: Some(unit),
                            department: None,
                            roles: vec![liuhen_domain::Role::RecordsKeeper],
                        },
                    )
                    .await
                    .unwrap();
                let t = c
                    .create_api_token_with(
                        &uid,
                        "read",
                        &[liuhen_domain::auth::TokenScope::Read],
                        None,
                    )
                    .await
                    .unwrap();
                c.db().close().await;
                t
            })
        })
        .join()
        .unwrap()
    };
    let reader = app.token_file("reader", &reader);
    let out = app.run_as(&reader, &["record", "show", id, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = app.run_as(
        &reader,
        &[
            "record",
            "edit",
            id,
            "--party",
            "某公司",
            "--reason",
            "更正",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("\"write\""), "{}", stderr(&out));
    let files = app.make_files("more", 1, 2048, 5);
    let out = app.run_as(&reader, &["ingest", files.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("\"upload\""), "{}", stderr(&out));
    app.assert_verifies();
}

#[tokio::test]
async fn break_glass_needs_a_reason_and_is_logged_with_it_before_the_act() {
    let app = TestApp::new();
    app.operator_token_file();
    let files = app.make_files("in", 1, 2048, 6);
    let path = files.to_str().unwrap();
    let bg = |reason: Option<&str>| {
        let mut args = vec!["--break-glass", "operator"];
        if let Some(r) = reason {
            args.extend(["--break-glass-reason", r]);
        }
        args.extend(["ingest", "--agency", OPERATOR_UNIT, path]);
        app.run_anonymous(&args)
    };
    let out = bg(None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("reason"), "{}", stderr(&out));
    let out = bg(Some("服务器令牌过期，现场取证须立即入库"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("break-glass"), "{}", stderr(&out));

    let db = app.sql().await;
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT seq, action, actor, body FROM audit_entries \
         WHERE action IN ('auth.break_glass', 'record.ingested') ORDER BY seq",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let operator: String = sqlx::query_scalar("SELECT id FROM users WHERE username = 'operator'")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].1, "auth.break_glass");
    assert_eq!(rows[1].1, "record.ingested");
    assert!(rows.iter().all(|r| r.2 == operator));
    let body: Value = serde_json::from_str(&rows[0].3).unwrap();
    assert_eq!(
        body["details"]["reason"],
        "服务器令牌过期，现场取证须立即入库"
    );
    assert_eq!(body["details"]["command"], "ingest");
    assert!(body["details"]["os_uid"].is_u64());
    db.close().await;
    app.assert_verifies();
}
