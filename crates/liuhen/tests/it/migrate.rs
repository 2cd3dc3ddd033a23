//! Migrations are explicit (issue 14): a start migrates only an empty database (the
//! zero-configuration first `serve` keeps working, `serve.rs`); a schema that is behind is
//! refused with the command to run, and `liuhen migrate` brings it up to date.

use crate::support::TestApp;

#[tokio::test]
async fn a_schema_behind_is_refused_until_liuhen_migrate() {
    let app = TestApp::new();
    let files = app.make_files("a", 1, 3000, 1);
    assert!(app.ingest(&[files.to_str().unwrap()]).0);
    // As the liuhen before migration 28 left it.
    let db = app.sql().await;
    for sql in [
        "DROP TABLE decision_review_alerts",
        "DELETE FROM schema_migrations WHERE version = 28",
    ] {
        sqlx::query(sql).execute(&db).await.unwrap();
    }
    db.close().await;

    for args in [
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["log", "checkpoint"],
    ] {
        let out = app.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("[28]") && stderr.contains("liuhen migrate"),
            "{stderr}"
        );
    }
    let out = app.run(&["migrate"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("[28]"), "{stderr}");
    let out = app.run(&["migrate"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to migrate"));
    app.assert_verifies();
}
