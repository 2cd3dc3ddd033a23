//! Benchmark (docs/benchmarks.md, issue 12): retention recomputation of a case with many
//! records (default 10,000; `LIUHEN_BENCH_RECORDS`) on SQLite and the local store, after a
//! flag makes the case permanent, so every record's lock and row are extended. Ignored by
//! default: `cargo test -p liuhen-app --release --test it bench_retention -- --ignored --nocapture`.

use std::sync::Arc;
use std::time::Instant;

use liuhen_app::cases::CaseFlag;
use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_app::{Custody, OpenOptions};

use crate::retention::case_with_step;

#[tokio::test]
#[ignore = "benchmark: run by hand with --ignored --nocapture"]
async fn bench_retention_of_a_case_with_many_records() {
    let n: usize = std::env::var("LIUHEN_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let c = Custody::open(OpenOptions::new(dir.path().join("data")))
        .await
        .unwrap();
    let incoming = dir.path().join("incoming");
    std::fs::create_dir_all(&incoming).unwrap();
    let paths: Vec<_> = (0..n)
        .map(|i| {
            let p = incoming.join(format!("clip-{i:05}.bin"));
            std::fs::write(&p, format!("bench record {i}")).unwrap();
            p
        })
        .collect();
    let opts = IngestOptions {
        actor: "keeper".into(),
        classification: liuhen_domain::Classification {
            agency: Some("甲局".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let t = Instant::now();
    let summary = c.ingest(&paths, &opts, Arc::new(NoProgress)).await;
    eprintln!("ingest of {n}: {:?}", t.elapsed());
    let (case, step) = case_with_step(&c, "2026-BENCH").await;
    let t = Instant::now();
    for r in &summary.reports {
        let id = liuhen_domain::RecordId::parse(r.record_id.as_deref().unwrap()).unwrap();
        c.link_record(&step, &id, "keeper").await.unwrap();
    }
    eprintln!("linking {n} records one by one: {:?}", t.elapsed());
    let t = Instant::now();
    c.set_case_flag(&case, CaseFlag::MajorPenalty, true, "重大处罚", "keeper")
        .await
        .unwrap();
    let took = t.elapsed();
    eprintln!("BENCH retention recomputation of a case with {n} records (all extended): {took:?}");
    let r = c
        .record(
            &liuhen_domain::RecordId::parse(summary.reports[0].record_id.as_deref().unwrap())
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(r.retain_until > c.now() + jiff::SignedDuration::from_hours(24 * 365 * 50));
}
