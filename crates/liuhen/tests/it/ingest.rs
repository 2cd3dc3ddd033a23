use std::process::Command;

use crate::support::{TestApp, require_tool, sha256_file};

#[tokio::test]
async fn folder_ingest_stores_logs_and_classifies() {
    let app = TestApp::new();
    let dir = app.make_files("DCIM/100MEDIA", 4, 10_000, 3);
    let (ok, reports) = app.ingest(&[
        "--agency",
        "平顶山高新区应急管理局",
        "--officer",
        "张伟",
        "--case-name",
        "某化工厂安全检查",
        "--party",
        "某化工有限公司",
        "--device",
        "执法记录仪-03",
        app.work.join("DCIM").to_str().unwrap(),
    ]);
    assert!(ok);
    assert_eq!(reports.len(), 4);
    for r in &reports {
        assert_eq!(r["status"], "stored");
        let src = dir.join(
            std::path::Path::new(r["path"].as_str().unwrap())
                .file_name()
                .unwrap(),
        );
        assert_eq!(r["sha256"].as_str().unwrap(), sha256_file(&src));
        assert_eq!(
            sha256_file(&app.blob_path(r["sha256"].as_str().unwrap())),
            r["sha256"].as_str().unwrap()
        );
        assert_eq!(r["sm3"].as_str().unwrap().len(), 64);
    }
    let db = app.sql().await;
    let rows: Vec<(String, String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT agency, device, officer, case_name, party, record_date FROM records",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.0 == "平顶山高新区应急管理局"
        && r.2 == "张伟"
        && r.3 == "某化工厂安全检查"
        && r.5.is_some()));
    let actions: Vec<(String, String)> =
        sqlx::query_as("SELECT action, actor FROM audit_entries ORDER BY seq")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(actions[0].0, "keys.created");
    // After the keys and the operator's account and token, every entry is an ingest by
    // the operator's account (its id, as for the web), never a self-declared name.
    let operator: String = sqlx::query_scalar("SELECT id FROM users WHERE username = 'operator'")
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(
        actions[4..]
            .iter()
            .all(|(a, who)| a == "record.ingested" && *who == operator),
        "{actions:?}"
    );
    app.assert_verifies();
}

#[tokio::test]
async fn same_content_twice_is_one_blob_and_a_logged_duplicate() {
    let app = TestApp::new();
    let a = app.make_files("a", 1, 50_000, 4);
    let b = app.work.join("b");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::copy(a.join("REC_0000.MP4"), b.join("copy.MP4")).unwrap();
    let (ok, first) = app.ingest(&[a.to_str().unwrap()]);
    assert!(ok);
    let (ok, second) = app.ingest(&[b.to_str().unwrap()]);
    assert!(ok);
    assert_eq!(second[0]["status"], "duplicate");
    assert_eq!(second[0]["record_id"], first[0]["record_id"]);
    // Rerunning the same source is recognised without logging anything new.
    let (ok, third) = app.ingest(&[a.to_str().unwrap()]);
    assert!(ok);
    assert_eq!(third[0]["status"], "already_done");
    let db = app.sql().await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM records")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let dups: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'record.duplicate'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(dups, 1);
    app.assert_verifies();
}

#[tokio::test]
async fn clear_source_deletes_only_after_read_back() {
    let app = TestApp::new();
    let dir = app.make_files("card", 3, 30_000, 5);
    let (ok, reports) = app.ingest(&["--clear-source", dir.to_str().unwrap()]);
    assert!(ok);
    assert!(reports.iter().all(|r| r["source_cleared"] == true));
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "the card is empty"
    );
    let db = app.sql().await;
    let cleared: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_entries WHERE action = 'ingest.source_cleared'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(cleared, 3);
    app.assert_verifies();
}

#[tokio::test]
async fn unreadable_paths_fail_alone_with_a_reason() {
    let app = TestApp::new();
    let dir = app.make_files("ok", 2, 1000, 6);
    let missing = app.work.join("no-such-card");
    let out = app
        .cmd()
        .args([
            "ingest",
            "--json",
            dir.to_str().unwrap(),
            missing.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "non-zero when anything failed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\"status\":\"failed\"") && text.contains("no-such-card"),
        "{text}"
    );
    assert_eq!(text.matches("\"status\":\"stored\"").count(), 2);
    let db = app.sql().await;
    let failed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_entries WHERE action = 'ingest.failed'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(failed, 1, "the failed attempt is logged");
    app.assert_verifies();
}

#[tokio::test]
async fn bad_returned_at_is_refused_before_anything_changes() {
    let app = TestApp::new();
    let dir = app.make_files("x", 1, 1000, 7);
    let out = app.run(&["ingest", "--returned-at", "昨天", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--returned-at"));
    let db = app.sql().await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM records")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn lateness_counts_from_recording_end_or_declared_return() {
    if !require_tool("ffmpeg") {
        return;
    }
    let app = TestApp::new();
    let make = |name: &str, when: &str| {
        let path = app.work.join(name);
        let ok = Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc=duration=2:size=320x240:rate=10",
            ])
            .args([
                "-c:v",
                "libx264",
                "-pix_fmt",
                "yuv420p",
                "-metadata",
                &format!("creation_time={when}"),
            ])
            .arg(&path)
            .status()
            .unwrap()
            .success();
        assert!(ok);
        path
    };
    let long_ago = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(72)).to_string();
    let recent = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(2)).to_string();
    let late = make("late.mp4", &long_ago);
    let fresh = make("fresh.mp4", &recent);
    let (ok, r) = app.ingest(&[late.to_str().unwrap(), fresh.to_str().unwrap()]);
    assert!(ok);
    // Files are ingested concurrently: find each report by its path.
    let by_name = |name: &str| {
        r.iter()
            .find(|x| x["path"].as_str().unwrap().ends_with(name))
            .unwrap()
            .clone()
    };
    let (late_r, fresh_r) = (by_name("late.mp4"), by_name("fresh.mp4"));
    assert_eq!(
        late_r["late"], true,
        "stored 72 h after recording: late, but stored"
    );
    assert_eq!(late_r["status"], "stored");
    assert_eq!(fresh_r["late"], false);
    assert_eq!(late_r["kind"], "video");

    // Out of town: returned 3 hours ago, so a 3-day-old recording is on time.
    let away = make(
        "away.mp4",
        &(jiff::Timestamp::now() - jiff::SignedDuration::from_hours(73)).to_string(),
    );
    let back = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(3)).to_string();
    let (ok, r) = app.ingest(&["--returned-at", &back, away.to_str().unwrap()]);
    assert!(ok);
    assert_eq!(r[0]["late"], false);
    let ms = r[0]["lateness_ms"].as_i64().unwrap();
    assert!(
        (3 * 3_600_000 - 60_000..3 * 3_600_000 + 60_000).contains(&ms),
        "{ms}"
    );
    app.assert_verifies();
}

#[tokio::test]
async fn classification_changes_need_a_reason_are_logged_and_still_verify() {
    let app = TestApp::new();
    let dir = app.make_files("x", 1, 2000, 8);
    let (ok, r) = app.ingest(&["--officer", "张伟", dir.to_str().unwrap()]);
    assert!(ok);
    let id = r[0]["record_id"].as_str().unwrap();

    let out = app.run(&["record", "edit", id, "--officer", "李娜", "--reason", " "]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("修改理由"));

    let out = app.run(&[
        "record",
        "edit",
        id,
        "--officer",
        "李娜",
        "--party",
        "某公司",
        "--reason",
        "录入错误，更正执法人员",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = app.run(&["record", "show", id, "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["record"]["officer"], "李娜");
    // The CLI's own `record show` calls are logged as views (`record.viewed`, via cli).
    let history: Vec<_> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] != "record.viewed")
        .collect();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[1]["action"], "record.metadata_changed");
    assert_eq!(history[1]["details"]["before"]["officer"], "张伟");
    assert_eq!(history[1]["details"]["reason"], "录入错误，更正执法人员");
    app.assert_verifies();

    // Putting the old value back into the row by hand is caught: the row is bound to the edit.
    let db = app.sql().await;
    sqlx::query("UPDATE records SET officer = '张伟'")
        .execute(&db)
        .await
        .unwrap();
    let (ok, report) = app.verify();
    assert!(!ok);
    assert_eq!(crate::support::codes(&report), vec!["record_edited"]);
}

#[tokio::test]
async fn retention_is_extended_with_a_reason_and_never_shortened() {
    let app = TestApp::new();
    let dir = app.make_files("x", 1, 3000, 9);
    let (ok, r) = app.ingest(&[dir.to_str().unwrap()]);
    assert!(ok);
    let id = r[0]["record_id"].as_str().unwrap();
    let out = app.run(&[
        "record",
        "retain",
        id,
        "--until",
        "2020-01-01",
        "--reason",
        "测试",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("保存期限只能延长"));
    let out = app.run(&[
        "record",
        "retain",
        id,
        "--until",
        "2099-01-01",
        "--reason",
        "当事人申诉，需长期保存",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = app.run(&["record", "show", id, "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let until = shown["record"]["retain_until_ms"].as_i64().unwrap();
    assert!(until > 4_000_000_000_000, "{until}");
    assert_eq!(shown["history"][1]["action"], "record.retention_extended");
    // What the rules ask for (3 years from custody), below the hand-made extension.
    assert_eq!(shown["retention"]["kind"], "custody", "{shown}");
    assert_eq!(shown["holds"], serde_json::json!([]));
    let sidecar = app.data.join("blobs/retention");
    assert!(sidecar.exists());
    app.assert_verifies();
}
