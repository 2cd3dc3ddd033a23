//! Rollback and truncation (issue 14): the four edits of the tamper drill that the
//! database alone cannot tell, caught by the checkpoints kept outside it (the blob store's
//! `checkpoints/`, the witness directory).

use serde_json::Value;
use sqlx::SqlitePool;

use crate::support::{TestApp, codes};

/// Two ingests of three files each: entries 0 (keys), 1–3 (the operator's account and
/// token), 4–6, 7–9; checkpoints of size 7 and 10, in the database and as notes in the blob store (and the witness directory, if set).
fn custody(app: &TestApp) -> Vec<Value> {
    let a = app.make_files("a", 3, 40_000, 1);
    let b = app.make_files("b", 3, 40_000, 2);
    let (ok, mut reports) = app.ingest(&["--officer", "张伟", a.to_str().unwrap()]);
    assert!(ok);
    let (ok, more) = app.ingest(&["--officer", "李娜", b.to_str().unwrap()]);
    assert!(ok);
    reports.extend(more);
    app.assert_verifies();
    let notes = app.data.join("blobs/checkpoints");
    let mut names: Vec<_> = std::fs::read_dir(&notes)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["00000000000000000007.note", "00000000000000000010.note"]
    );
    reports
}

fn leaf(body: &str) -> Vec<u8> {
    let mut input = vec![0u8];
    input.extend_from_slice(body.as_bytes());
    <sha2::Sha256 as sha2::Digest>::digest(&input).to_vec()
}

/// Cuts the log after `keep` entries, with its checkpoints, record rows and head made to
/// agree: what an intruder with the database alone does to hide the last acts.
async fn cut(db: &SqlitePool, keep: i64, reports: &[Value]) {
    let subjects: Vec<String> = sqlx::query_scalar(
        "SELECT subject FROM audit_entries WHERE seq >= $1 AND subject LIKE 'record:%'",
    )
    .bind(keep)
    .fetch_all(db)
    .await
    .unwrap();
    for s in subjects {
        let id = s.trim_start_matches("record:");
        assert!(reports.iter().any(|r| r["record_id"] == id));
        for q in [
            "DELETE FROM ingest_sources WHERE record_id = $1",
            "DELETE FROM records WHERE id = $1",
        ] {
            sqlx::query(q).bind(id).execute(db).await.unwrap();
        }
    }
    for q in [
        "DELETE FROM audit_entries WHERE seq >= $1",
        "DELETE FROM checkpoints WHERE tree_size > $1",
    ] {
        sqlx::query(q).bind(keep).execute(db).await.unwrap();
    }
    fix_head(db).await;
}

async fn fix_head(db: &SqlitePool) {
    let (size, last): (i64, Vec<u8>) =
        sqlx::query_as("SELECT seq + 1, leaf_hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
            .fetch_one(db)
            .await
            .unwrap();
    sqlx::query("UPDATE log_head SET size = $1, last_leaf = $2")
        .bind(size)
        .bind(last)
        .execute(db)
        .await
        .unwrap();
}

/// Rewrites entry `seq`'s actor (body and column alike) and recomputes the hash chain from
/// there on: every entry's `prev`, every leaf hash, the head.
async fn rewrite_actor(db: &SqlitePool, seq: i64, actor: &str) {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT seq, body, actor FROM audit_entries WHERE seq >= $1 ORDER BY seq")
            .bind(seq)
            .fetch_all(db)
            .await
            .unwrap();
    let mut prev: Vec<u8> =
        sqlx::query_scalar("SELECT leaf_hash FROM audit_entries WHERE seq = $1")
            .bind(seq - 1)
            .fetch_one(db)
            .await
            .unwrap();
    for (s, body, old_actor) in rows {
        let v: Value = serde_json::from_str(&body).unwrap();
        let old_prev = v["prev"].as_str().unwrap().to_owned();
        let mut body = body.replace(
            &format!("\"prev\":\"{old_prev}\""),
            &format!("\"prev\":\"{}\"", hex::encode(&prev)),
        );
        let mut new_actor = old_actor.clone();
        if s == seq {
            body = body.replace(
                &format!("\"actor\":\"{old_actor}\""),
                &format!("\"actor\":\"{actor}\""),
            );
            new_actor = actor.to_owned();
        }
        let l = leaf(&body);
        sqlx::query(
            "UPDATE audit_entries SET body = $1, leaf_hash = $2, actor = $3 WHERE seq = $4",
        )
        .bind(&body)
        .bind(&l)
        .bind(new_actor)
        .bind(s)
        .execute(db)
        .await
        .unwrap();
        prev = l;
    }
    fix_head(db).await;
}

fn failing_codes(app: &TestApp) -> (Vec<String>, Value) {
    let (ok, report) = app.verify();
    assert!(!ok, "tampering went unnoticed: {report:#}");
    (codes(&report), report)
}

/// The last rows of the log deleted (with their checkpoint and record rows), the head
/// made to agree: the database's own checkpoint (size 7) still holds, the note of size 10
/// outside it does not.
#[tokio::test]
async fn last_rows_deleted_with_the_head_fixed() {
    let app = TestApp::new();
    let reports = custody(&app);
    let db = app.sql().await;
    cut(&db, 8, &reports).await;
    db.close().await;
    let (codes, report) = failing_codes(&app);
    assert_eq!(codes, ["checkpoint_external_beyond_log"], "{report:#}");
    let msg = report["problems"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("covers 10 entries") && msg.contains("holds only 8"),
        "{msg}"
    );
}

/// The log cut back to exactly its (database) checkpoint of size 7.
#[tokio::test]
async fn log_truncated_to_the_latest_checkpoint() {
    let app = TestApp::new();
    let reports = custody(&app);
    let db = app.sql().await;
    cut(&db, 7, &reports).await;
    db.close().await;
    let (codes, report) = failing_codes(&app);
    assert_eq!(codes, ["checkpoint_external_beyond_log"], "{report:#}");
    assert_eq!(report["uncovered_entries"], 0, "the database looks whole");
}

/// An entry after the database's latest checkpoint rewritten, the chain recomputed.
#[tokio::test]
async fn entry_after_the_latest_checkpoint_rewritten_with_the_chain_recomputed() {
    let app = TestApp::new();
    custody(&app);
    let db = app.sql().await;
    sqlx::query("DELETE FROM checkpoints WHERE tree_size = 10")
        .execute(&db)
        .await
        .unwrap();
    rewrite_actor(&db, 8, "王五").await;
    db.close().await;
    let (codes, report) = failing_codes(&app);
    assert_eq!(codes, ["checkpoint_external_root_mismatch"], "{report:#}");
}

/// The whole log rewritten and re-signed with the keys found in the data directory, the
/// blob store's notes replaced too (a local store's owner can): only a witness outside the
/// data directory still tells.
#[tokio::test]
async fn full_rewrite_re_signed_with_the_data_dirs_keys() {
    let app = TestApp::new();
    let witness = app.work.join("witness");
    std::fs::create_dir_all(&app.data).unwrap();
    let config = app.data.join("liuhen.toml");
    let with_witness = format!(
        "[checkpoints]\nwitness_dir = {:?}\n",
        witness.to_str().unwrap()
    );
    std::fs::write(&config, &with_witness).unwrap();
    custody(&app);
    assert!(witness.join("00000000000000000010.note").exists());

    let db = app.sql().await;
    rewrite_actor(&db, 4, "王五").await;
    sqlx::query("DELETE FROM checkpoints")
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let notes = app.data.join("blobs/checkpoints");
    for e in std::fs::read_dir(&notes).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    // Signed anew, without the witness (which would refuse the other note of size 10).
    std::fs::write(&config, "").unwrap();
    let out = app.run(&["log", "checkpoint"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ok, report) = app.verify();
    assert!(
        ok,
        "without a witness outside, a re-signed rewrite holds: {report:#}"
    );

    std::fs::write(&config, &with_witness).unwrap();
    let (codes, report) = failing_codes(&app);
    assert_eq!(codes, ["checkpoint_external_root_mismatch"], "{report:#}");
    let msg = report["problems"][0]["message"].as_str().unwrap();
    assert!(msg.contains("witness directory"), "{msg}");
}
