//! Benchmark (docs/benchmarks.md, issue 12): retention recomputation of a case with many
//! records (default 10,000; `LIUHEN_BENCH_RECORDS`) on SQLite and, with
//! `LIUHEN_TEST_PG_URL`, PostgreSQL, with the local store, after a flag makes the case
//! permanent, so every record's lock and row are extended. The records are stored and linked
//! directly (blobs through the store, rows, links and their entries in large transactions):
//! the setup is not what is measured. Ignored by default:
//! `cargo test -p liuhen-app --release --test it bench_retention -- --ignored --nocapture`;
//! with `RUST_LOG=liuhen_app::retention=debug` it also prints the phases.

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use liuhen_app::Custody;
use liuhen_app::cases::CaseFlag;
use liuhen_db::{NewEntry, StepRecordRow};
use liuhen_domain::{AuditAction, Classification, MediaKind, Record, RecordId, TechnicalMetadata};
use serde_json::json;

use crate::retention::case_with_step;
use crate::support::for_each_backend;

#[tokio::test]
#[ignore = "benchmark: run by hand with --ignored --nocapture"]
async fn bench_retention_of_a_case_with_many_records() {
    let n: usize = std::env::var("LIUHEN_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    // The phases (`RUST_LOG=liuhen_app::retention=debug`).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    for_each_backend(|c| async move {
        let backend = format!("{:?}", c.db().backend());
        let t = Instant::now();
        let (case, step) = case_with_step(&c, "2026-BENCH").await;
        let ids = fill(&c, &step, n).await;
        eprintln!("[{backend}] stored and linked {n} records: {:?}", t.elapsed());
        let t = Instant::now();
        c.set_case_flag(&case, CaseFlag::MajorPenalty, true, "重大处罚", "keeper")
            .await
            .unwrap();
        let took = t.elapsed();
        eprintln!(
            "BENCH [{backend}] retention recomputation of a case with {n} records (all extended): {took:?}"
        );
        for id in [&ids[0], &ids[n - 1]] {
            let r = c.record(id).await.unwrap();
            assert!(r.retain_until > c.now() + SignedDuration::from_hours(24 * 365 * 50));
            let lock = c.blobs().retention(&r.sha256).unwrap().unwrap();
            assert!(lock >= r.retain_until);
        }
        let t = Instant::now();
        assert_eq!(c.follow_case_retention(&case, "keeper", "复核").await.unwrap(), 0);
        eprintln!(
            "BENCH [{backend}] recomputation of the same case, nothing to extend: {:?}",
            t.elapsed()
        );
    })
    .await;
}

/// Stores `n` small distinct blobs (4 threads: the local store fsyncs each) and writes their
/// rows, ingest entries, links and link entries 1,000 per transaction.
async fn fill(c: &Custody, step: &str, n: usize) -> Vec<RecordId> {
    let start = c.now();
    let blobs = c.blobs().clone();
    let retain = start + SignedDuration::from_hours(24 * 365 * 3);
    let digests = tokio::task::spawn_blocking(move || {
        let per = n.div_ceil(4);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|t| {
                    let blobs = blobs.clone();
                    s.spawn(move || {
                        (t * per..((t + 1) * per).min(n))
                            .map(|i| {
                                let body = format!("bench record {i}");
                                blobs.put(&mut body.as_bytes(), retain).unwrap().digests
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        })
    })
    .await
    .unwrap();
    let case_id = c.step(step).await.unwrap().case_id;
    let mut ids = Vec::with_capacity(n);
    for chunk in digests.chunks(1000) {
        let mut tx = c.db().begin().await.unwrap();
        for d in chunk {
            let i = ids.len();
            let r = record(i, d, start, retain);
            let e = tx
                .append(
                    start,
                    NewEntry {
                        actor: "keeper".into(),
                        action: AuditAction::RecordIngested,
                        subject: Some(format!("record:{}", r.id)),
                        details: json!({ "record": liuhen_db::record_snapshot(&r) }),
                    },
                )
                .await
                .unwrap();
            tx.insert_record(&r, e.seq).await.unwrap();
            tx.append(
                start,
                NewEntry {
                    actor: "keeper".into(),
                    action: AuditAction::RecordLinked,
                    subject: Some(format!("case:{case_id}")),
                    details: json!({ "step": step, "record": r.id.as_str() }),
                },
            )
            .await
            .unwrap();
            tx.link_record(&StepRecordRow {
                step_id: step.to_owned(),
                record_id: r.id.clone(),
                linked_at: start,
                linked_by: "keeper".into(),
            })
            .await
            .unwrap();
            ids.push(r.id);
        }
        tx.commit().await.unwrap();
    }
    ids
}

fn record(i: usize, d: &liuhen_blob::Digests, stored_at: Timestamp, retain: Timestamp) -> Record {
    Record {
        id: RecordId::parse(&uuid::Uuid::now_v7().to_string()).unwrap(),
        sha256: d.sha256,
        sm3: d.sm3,
        size_bytes: d.size,
        kind: MediaKind::Other,
        original_name: format!("clip-{i:05}.bin"),
        media: TechnicalMetadata {
            prober: "builtin".into(),
            ..Default::default()
        },
        classification: Classification {
            agency: Some("甲局".into()),
            ..Default::default()
        },
        officer_id: None,
        source: None,
        record_date: None,
        stored_at,
        returned_at: None,
        lateness_ms: None,
        late: false,
        retain_until: retain,
    }
}
