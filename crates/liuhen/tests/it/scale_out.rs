//! The province set-up: PostgreSQL for metadata and S3 (SeaweedFS, Object Lock) for
//! originals, through the same binary and the same checks as the embedded default.

use sqlx::Connection;

use crate::support::{TestApp, codes};

fn env_or_fail(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) => Some(v),
        Err(_) => {
            liuhen_test_support::missing(name);
            None
        }
    }
}

#[tokio::test]
async fn postgres_and_s3_ingest_verify_and_detect_tampering() {
    let (Some(pg), Some(endpoint)) = (
        env_or_fail("LIUHEN_TEST_PG_URL"),
        env_or_fail("LIUHEN_TEST_S3_ENDPOINT"),
    ) else {
        return;
    };
    let key = std::env::var("LIUHEN_TEST_S3_ACCESS_KEY").unwrap_or_default();
    let secret = std::env::var("LIUHEN_TEST_S3_SECRET_KEY").unwrap_or_default();
    let name = format!("liuhen_e2e_{}", jiff::Timestamp::now().as_nanosecond());
    let db_url = liuhen_db::testing::create_pg_database(&pg, &name)
        .await
        .unwrap();

    let app = TestApp::new();
    std::fs::create_dir_all(&app.data).unwrap();
    std::fs::write(
        app.data.join("liuhen.toml"),
        format!(
            "[storage]\nblobs = \"s3\"\ndatabase_url = \"{db_url}\"\n[storage.s3]\nendpoint = \"{endpoint}\"\n\
             region = \"us-east-1\"\nbucket = \"{}\"\naccess_key = \"{key}\"\nsecret_key = \"{secret}\"\n",
            name.replace('_', "-")
        ),
    )
    .unwrap();
    let files = app.make_files("card", 3, 9 << 20, 21);
    let (ok, reports) = app.ingest(&["--officer", "王芳", files.to_str().unwrap()]);
    assert!(ok, "{reports:#?}");
    assert!(reports.iter().all(|r| r["status"] == "stored"));
    assert!(
        !app.data.join("liuhen.db").exists(),
        "metadata went to PostgreSQL"
    );
    assert!(!app.data.join("blobs").exists(), "originals went to S3");
    let (ok, report) = app.verify();
    assert!(ok, "{report:#}");
    assert_eq!(report["blobs_checked"], 3);

    let mut db = sqlx::PgConnection::connect(&db_url).await.unwrap();
    sqlx::query("UPDATE records SET officer = '赵六'")
        .execute(&mut db)
        .await
        .unwrap();
    let (ok, report) = app.verify();
    assert!(!ok);
    assert_eq!(codes(&report), vec!["record_edited"; 3]);
    db.close().await.unwrap();
    liuhen_db::testing::drop_pg_database(&pg, &name).await;
}
