//! Every kind of tampering is detected by `liuhen verify`, which names what was changed.

use serde_json::Value;

use crate::support::{TestApp, codes};

/// Two ingests of three files each: entries 0 (keys), 1–3 (the operator account and its
/// token), 4–6, 7–9; checkpoints of size 7 and 10.
fn custody() -> (TestApp, Vec<Value>) {
    let app = TestApp::new();
    let a = app.make_files("a", 3, 40_000, 1);
    let b = app.make_files("b", 3, 40_000, 2);
    let unit = crate::support::OPERATOR_UNIT;
    let (ok, mut reports) =
        app.ingest(&["--officer", "张伟", "--agency", unit, a.to_str().unwrap()]);
    assert!(ok);
    let (ok, more) = app.ingest(&["--officer", "李娜", "--agency", unit, b.to_str().unwrap()]);
    assert!(ok);
    reports.extend(more);
    app.assert_verifies();
    (app, reports)
}

fn problems_of(app: &TestApp) -> (Vec<String>, Value) {
    let (ok, report) = app.verify();
    assert!(!ok, "tampering went unnoticed: {report:#}");
    (codes(&report), report)
}

fn mentions(report: &Value, code: &str, needle: &str) -> bool {
    report["problems"].as_array().unwrap().iter().any(|p| {
        p["code"] == code
            && (p["subject"].as_str().unwrap().contains(needle)
                || p["message"].as_str().unwrap().contains(needle))
    })
}

#[tokio::test]
async fn flipped_byte_in_an_original() {
    let (app, reports) = custody();
    let victim = &reports[1];
    let sha = victim["sha256"].as_str().unwrap();
    let path = app.blob_path(sha);
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    assert!(perms.readonly(), "originals are stored read-only");
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();

    let (codes, report) = problems_of(&app);
    assert_eq!(codes, vec!["blob_corrupt"], "{report:#}");
    assert!(mentions(
        &report,
        "blob_corrupt",
        victim["record_id"].as_str().unwrap()
    ));
    assert!(mentions(&report, "blob_corrupt", sha));
}

#[tokio::test]
async fn deleted_original() {
    let (app, reports) = custody();
    let path = app.blob_path(reports[0]["sha256"].as_str().unwrap());
    std::fs::remove_file(path).unwrap();
    let (codes, report) = problems_of(&app);
    assert_eq!(codes, vec!["blob_missing"]);
    assert!(mentions(
        &report,
        "blob_missing",
        reports[0]["record_id"].as_str().unwrap()
    ));
}

#[tokio::test]
async fn edited_log_entry() {
    let (app, _) = custody();
    let db = app.sql().await;
    sqlx::query("UPDATE audit_entries SET body = replace(body, '张伟', '王五') WHERE seq = 5")
        .execute(&db)
        .await
        .unwrap();
    let (codes, report) = problems_of(&app);
    assert!(codes.contains(&"entry_leaf_mismatch".into()), "{report:#}");
    assert!(mentions(&report, "entry_leaf_mismatch", "entry:5"));
    assert!(codes.contains(&"checkpoint_root_mismatch".into()));
}

#[tokio::test]
async fn edited_log_entry_with_recomputed_hash() {
    // A careful forger recomputes the leaf hash: the chain and the signed roots still tell.
    let (app, _) = custody();
    let db = app.sql().await;
    let body: String = sqlx::query_scalar("SELECT body FROM audit_entries WHERE seq = 8")
        .fetch_one(&db)
        .await
        .unwrap();
    let forged = body.replace("李娜", "王五");
    let mut input = vec![0u8];
    input.extend_from_slice(forged.as_bytes());
    let leaf = <sha2::Sha256 as sha2::Digest>::digest(&input).to_vec();
    sqlx::query("UPDATE audit_entries SET body = $1, leaf_hash = $2 WHERE seq = 8")
        .bind(forged)
        .bind(leaf)
        .execute(&db)
        .await
        .unwrap();
    let (codes, report) = problems_of(&app);
    assert!(
        mentions(&report, "entry_chain_broken", "entry:9"),
        "{report:#}"
    );
    assert!(codes.contains(&"checkpoint_root_mismatch".into()));
    // The record's row no longer matches its (forged) entry either.
    assert!(codes.contains(&"record_edited".into()), "{report:#}");
}

#[tokio::test]
async fn deleted_log_entry() {
    let (app, _) = custody();
    let db = app.sql().await;
    sqlx::query("DELETE FROM audit_entries WHERE seq = 6")
        .execute(&db)
        .await
        .unwrap();
    let (codes, report) = problems_of(&app);
    assert!(mentions(&report, "entry_missing", "#6"), "{report:#}");
    assert!(codes.contains(&"checkpoint_root_mismatch".into()));
    assert!(codes.contains(&"log_head_mismatch".into()));
}

#[tokio::test]
async fn reordered_log_entries() {
    let (app, _) = custody();
    let db = app.sql().await;
    // Swap the contents of rows 7 and 8 (after the operator's three entries), keeping the
    // sequence numbers in place.
    let rows: Vec<(i64, String, Vec<u8>, Option<String>)> = sqlx::query_as(
        "SELECT seq, body, leaf_hash, subject FROM audit_entries WHERE seq IN (7, 8) ORDER BY seq",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    for (target, (_, body, leaf, subject)) in [(8, rows[0].clone()), (7, rows[1].clone())] {
        sqlx::query(
            "UPDATE audit_entries SET body = $1, leaf_hash = $2, subject = $3 WHERE seq = $4",
        )
        .bind(body)
        .bind(leaf)
        .bind(subject)
        .bind(target)
        .execute(&db)
        .await
        .unwrap();
    }
    let (codes, report) = problems_of(&app);
    assert!(
        mentions(&report, "entry_reordered", "entry:7"),
        "{report:#}"
    );
    assert!(mentions(&report, "entry_reordered", "entry:8"));
    assert!(codes.contains(&"checkpoint_root_mismatch".into()));
}

#[tokio::test]
async fn truncated_log() {
    let (app, _) = custody();
    let db = app.sql().await;
    // Cut the last two entries and make the head agree: only the checkpoint remembers.
    sqlx::query("DELETE FROM audit_entries WHERE seq >= 8")
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE log_head SET size = 8")
        .execute(&db)
        .await
        .unwrap();
    let (codes, report) = problems_of(&app);
    assert!(
        mentions(&report, "checkpoint_beyond_log", "covers 10 entries"),
        "{report:#}"
    );
    assert!(
        codes.contains(&"record_unlogged".into()),
        "rows of the cut entries are unlogged"
    );
}

#[tokio::test]
async fn edited_record_row() {
    let (app, reports) = custody();
    let id = reports[4]["record_id"].as_str().unwrap();
    let db = app.sql().await;
    sqlx::query("UPDATE records SET party = '某某公司', late = 1 WHERE id = $1")
        .bind(id)
        .execute(&db)
        .await
        .unwrap();
    let (codes, report) = problems_of(&app);
    assert_eq!(codes, vec!["record_edited"]);
    let msg = report["problems"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains(id)
            && msg.contains("party")
            && msg.contains("某某公司")
            && msg.contains("late"),
        "{msg}"
    );
}

#[tokio::test]
async fn deleted_record_row() {
    let (app, reports) = custody();
    let id = reports[2]["record_id"].as_str().unwrap();
    let db = app.sql().await;
    sqlx::query("DELETE FROM records WHERE id = $1")
        .bind(id)
        .execute(&db)
        .await
        .unwrap();
    let (codes, report) = problems_of(&app);
    assert_eq!(codes, vec!["record_missing"], "{report:#}");
    assert!(mentions(&report, "record_missing", id));
}

#[tokio::test]
async fn swapped_checkpoints() {
    let (app, _) = custody();
    let db = app.sql().await;
    type Row = (i64, i64, Vec<u8>, i64, String, Vec<u8>, Vec<u8>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, tree_size, root, timestamp_ms, body, ed25519_sig, sm2_sig FROM checkpoints ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    for (target, (_, size, root, ts, body, ed, sm2)) in [(2, rows[0].clone()), (1, rows[1].clone())]
    {
        sqlx::query(
            "UPDATE checkpoints SET tree_size = $1, root = $2, timestamp_ms = $3, body = $4, ed25519_sig = $5, sm2_sig = $6 WHERE id = $7",
        )
        .bind(size)
        .bind(root)
        .bind(ts)
        .bind(body)
        .bind(ed)
        .bind(sm2)
        .bind(target)
        .execute(&db)
        .await
        .unwrap();
    }
    let (codes, report) = problems_of(&app);
    assert_eq!(codes, vec!["checkpoint_order"], "{report:#}");
    assert!(mentions(&report, "checkpoint_order", "checkpoint:2"));
}

#[tokio::test]
async fn forged_checkpoint() {
    let (app, _) = custody();
    let db = app.sql().await;
    // Another root and size, with the old signatures: neither signature holds.
    sqlx::query("UPDATE checkpoints SET body = replace(body, char(10) || '10' || char(10), char(10) || '9' || char(10)), tree_size = 9 WHERE id = 2")
        .execute(&db)
        .await
        .unwrap();
    let (codes, report) = problems_of(&app);
    assert!(
        mentions(&report, "checkpoint_signature", "Ed25519"),
        "{report:#}"
    );
    assert!(
        codes.iter().all(|c| c.starts_with("checkpoint_")),
        "{codes:?}"
    );
    // And a second instance's checkpoint does not verify under this instance's keys.
    let other = TestApp::new();
    let f = other.make_files("x", 1, 1000, 9);
    assert!(other.ingest(&[f.to_str().unwrap()]).0);
    let theirs = other.sql().await;
    let (body, ed, sm2): (String, Vec<u8>, Vec<u8>) = sqlx::query_as(
        "SELECT body, ed25519_sig, sm2_sig FROM checkpoints ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&theirs)
    .await
    .unwrap();
    sqlx::query("UPDATE checkpoints SET body = $1, ed25519_sig = $2, sm2_sig = $3 WHERE id = 1")
        .bind(body)
        .bind(ed)
        .bind(sm2)
        .execute(&db)
        .await
        .unwrap();
    let (codes, _) = problems_of(&app);
    assert!(codes.contains(&"checkpoint_foreign".into()), "{codes:?}");
}

#[tokio::test]
async fn edited_case_rows() {
    let (app, reports) = custody();
    app.officers(&["张伟", "李娜"]);
    let record = reports[0]["record_id"].as_str().unwrap();
    let run = |args: &[&str]| {
        let out = app.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let number = "平高应急罚〔2026〕11号";
    run(&[
        "case",
        "create",
        "--number",
        number,
        "--name",
        "某化工有限公司案",
        "--category",
        "行政处罚",
        "--agency",
        crate::support::OPERATOR_UNIT,
        "--department",
        "执法一科",
        "--party",
        "unit:某化工有限公司:91410400MA00000000",
        "--team",
        "张伟,李娜",
    ]);
    run(&[
        "case",
        "flag",
        number,
        "--set",
        "disputed",
        "--reason",
        "当事人提出异议",
    ]);
    run(&[
        "case",
        "flag",
        number,
        "--set",
        "major_hazard",
        "--reason",
        "重大隐患",
    ]);
    run(&[
        "case", "flag", number, "--clear", "disputed", "--reason", "误设",
    ]);
    let out = run(&[
        "case",
        "step",
        number,
        "--json",
        "--name",
        "现场检查",
        "--from",
        "2026-03-01 09:00",
        "--to",
        "2026-03-01 10:00",
        "--place",
        "厂区",
        "--officers",
        "张伟",
    ]);
    let step: Value = serde_json::from_slice(&out.stdout).unwrap();
    let step = step["id"].as_str().unwrap().to_owned();
    run(&["case", "link", &step, record]);
    run(&["case", "unlink", &step, record, "--reason", "错关联"]);
    run(&["case", "link", &step, record]);
    // The case tables as liuhen left them verify.
    app.assert_verifies();

    let db = app.sql().await;
    sqlx::query("UPDATE cases SET name = '改过的名称', flag_disputed = 1 WHERE number = $1")
        .bind(number)
        .execute(&db)
        .await
        .unwrap();
    let (codes, report) = problems_of(&app);
    assert_eq!(codes, vec!["case_edited"], "{report:#}");
    let msg = report["problems"][0]["message"].as_str().unwrap();
    assert!(msg.contains("改过的名称") && msg.contains("flags"), "{msg}");

    sqlx::query("DELETE FROM step_records WHERE step_id = $1")
        .bind(&step)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE steps SET place = '别处' WHERE id = $1")
        .bind(&step)
        .execute(&db)
        .await
        .unwrap();
    let (codes, report) = problems_of(&app);
    assert_eq!(
        codes,
        vec!["case_edited", "step_edited", "link_missing"],
        "{report:#}"
    );
    assert!(mentions(&report, "link_missing", record));
}

/// Regression (issue 16): one row that does not decode stopped every remaining check
/// (exit 2, nothing named). It is named, and the other checks go on.
#[tokio::test]
async fn one_malformed_log_row_is_named_and_verify_goes_on() {
    let (app, reports) = custody();
    let pool = app.sql().await;
    sqlx::query("UPDATE audit_entries SET at_ms = 'not a time' WHERE seq = 5")
        .execute(&pool)
        .await
        .unwrap();
    // And an unrelated change after it, which only a check that went on can find.
    let victim = reports[4]["record_id"].as_str().unwrap();
    sqlx::query("UPDATE records SET officer = '王五' WHERE id = $1")
        .bind(victim)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let out = app.run(&["verify", "--json"]);
    assert_eq!(out.status.code(), Some(1), "problems found, not a crash");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        mentions(&report, "entry_malformed", "entry:5"),
        "{report:#}"
    );
    assert!(mentions(&report, "record_edited", victim), "{report:#}");
    assert_eq!(report["entries"], 10);
    assert_eq!(report["records"], 6);
}

/// Regression (issue 16): a checkpoint row that does not decode made `verify` stop every
/// check (exit 2, nothing named), and so did a row of any other table read whole (holds,
/// cases, decisions). Each is named, and the other checks go on.
#[tokio::test]
async fn malformed_checkpoint_and_hold_rows_are_named_and_verify_goes_on() {
    let (app, reports) = custody();
    let pool = app.sql().await;
    sqlx::query("UPDATE checkpoints SET timestamp_ms = 'not a time' WHERE id = 1")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO holds (id, target, ground, note, placed_ms, placed_by) \
         VALUES ('h-bad', 'record:x', 'litigation', '', 'not a time', 'someone')",
    )
    .execute(&pool)
    .await
    .unwrap();
    // An unrelated change, which only checks that went on can find.
    let victim = reports[4]["record_id"].as_str().unwrap();
    sqlx::query("UPDATE records SET officer = '王五' WHERE id = $1")
        .bind(victim)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let out = app.run(&["verify", "--json"]);
    assert_eq!(out.status.code(), Some(1), "problems found, not a crash");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        mentions(&report, "checkpoint_malformed", "checkpoint:1"),
        "{report:#}"
    );
    assert!(
        mentions(&report, "rows_unreadable", "check:holds"),
        "{report:#}"
    );
    assert!(mentions(&report, "record_edited", victim), "{report:#}");
    assert_eq!(report["checkpoints"], 2, "{report:#}");
    assert_eq!(report["records"], 6);
    assert_eq!(report["blobs_checked"], 6, "fixity ran: {report:#}");
}
