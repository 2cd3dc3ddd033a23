//! One signing identity for every server of a group (issue 14), on PostgreSQL and S3:
//! a server with no keys or foreign keys refuses to start and says how to install the
//! right ones; with the identity exported and imported it joins, and the log verifies.

use std::process::Output;

use crate::support::TestApp;

fn env_or_fail(name: &str) -> Option<String> {
    std::env::var(name)
        .map_err(|_| liuhen_test_support::missing(name))
        .ok()
}

fn configure(app: &TestApp, config: &str) {
    std::fs::create_dir_all(&app.data).unwrap();
    std::fs::write(app.data.join("liuhen.toml"), config).unwrap();
}

fn refused(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(needle), "{stderr}");
    assert!(stderr.contains("keys import"), "says how: {stderr}");
}

#[tokio::test]
async fn a_server_with_foreign_keys_refuses_to_start_and_joins_with_the_groups() {
    let (Some(pg), Some(endpoint)) = (
        env_or_fail("LIUHEN_TEST_PG_URL"),
        env_or_fail("LIUHEN_TEST_S3_ENDPOINT"),
    ) else {
        return;
    };
    let key = std::env::var("LIUHEN_TEST_S3_ACCESS_KEY").unwrap_or_default();
    let secret = std::env::var("LIUHEN_TEST_S3_SECRET_KEY").unwrap_or_default();
    let name = format!("liuhen_ident_{}", jiff::Timestamp::now().as_nanosecond());
    let db_url = liuhen_db::testing::create_pg_database(&pg, &name)
        .await
        .unwrap();
    let config = format!(
        "[storage]\nblobs = \"s3\"\ndatabase_url = \"{db_url}\"\n[storage.s3]\nendpoint = \"{endpoint}\"\n\
         region = \"us-east-1\"\nbucket = \"{}\"\naccess_key = \"{key}\"\nsecret_key = \"{secret}\"\n",
        name.replace('_', "-")
    );

    let first = TestApp::new();
    configure(&first, &config);
    let files = first.make_files("a", 1, 5000, 1);
    assert!(first.ingest(&[files.to_str().unwrap()]).0);

    // A fresh data directory on the same database: no keys are made, the start refused.
    let fresh = TestApp::new();
    configure(&fresh, &config);
    first.share_operator_with(&fresh);
    let out = fresh.run_anonymous(&["serve", "--listen", "127.0.0.1:0"]);
    refused(&out, "has none");
    assert!(!fresh.data.join("keys/ed25519.key").exists(), "no key made");

    // A server with keys of its own (made on another database first): refused too.
    let foreign = TestApp::new();
    let f = foreign.make_files("x", 1, 3000, 2);
    assert!(foreign.ingest(&[f.to_str().unwrap()]).0);
    configure(&foreign, &config);
    let out = foreign.run(&["serve", "--listen", "127.0.0.1:0"]);
    refused(&out, "are not the log's identity");
    let out = foreign.run(&["ingest", f.to_str().unwrap()]);
    refused(&out, "are not the log's identity");

    // Exported from the first server, imported into the fresh one: it joins.
    let bundle = first.work.join("identity");
    let out = first.run(&["keys", "export", "--to", bundle.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = fresh.run_anonymous(&["keys", "import", bundle.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Importing into a data directory with another identity is refused.
    let out = foreign.run(&["keys", "import", bundle.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("other contents"));

    let more = fresh.make_files("b", 2, 4000, 3);
    let (ok, reports) = fresh.ingest(&[more.to_str().unwrap()]);
    assert!(ok, "{reports:#?}");
    for app in [&first, &fresh] {
        let (ok, report) = app.verify();
        assert!(ok, "{report:#}");
        assert_eq!(report["records"], 3);
    }
    liuhen_db::testing::drop_pg_database(&pg, &name).await;
}
