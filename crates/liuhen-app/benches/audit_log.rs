//! Audit log benchmarks (issue "Custody core"; results and method in docs/benchmarks.md).
//!
//! `cargo bench -p liuhen-app --bench audit_log` measures, on a fresh data dir with SQLite
//! (WAL, synchronous=FULL, as shipped):
//!  (a) appends per second, one entry per committed transaction and 100 per transaction;
//!  (b) `verify --no-fixity` over a log filled to `LIUHEN_BENCH_ENTRIES` entries
//!      (default 1,000,000; checkpoints signed every tenth of the way) — target ≤ 10 s.
//! With `LIUHEN_TEST_PG_URL` (an admin URL, e.g. postgres://postgres@127.0.0.1:5432/postgres)
//! the same runs against a fresh PostgreSQL database, dropped afterwards.
//!
//! Run by `cargo test --all-targets` (no `--bench` argument), it does nothing: timings are
//! not tests.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use liuhen_app::verify::{Quiet, VerifyOptions};
use liuhen_app::{Custody, OpenOptions};
use liuhen_db::NewEntry;
use liuhen_db::testing::{create_pg_database, drop_pg_database};
use liuhen_domain::AuditAction;

/// Entries appended with one commit each, and with 100 per commit (capped by the fill size).
const SINGLE: u64 = 20_000;
const BATCHED: u64 = 100_000;
const PER_TX: u64 = 100;
/// Transaction size used to fill the log (not measured as an append rate).
const FILL_TX: u64 = 1_000;
const VERIFY_TARGET: Duration = Duration::from_secs(10);

struct Row {
    backend: &'static str,
    what: String,
    entries: u64,
    took: Duration,
    target: &'static str,
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("audit_log: benchmark only; run `cargo bench -p liuhen-app --bench audit_log`");
        return;
    }
    let total: u64 = match std::env::var("LIUHEN_BENCH_ENTRIES") {
        Ok(v) => v
            .replace('_', "")
            .parse()
            .expect("LIUHEN_BENCH_ENTRIES must be a whole number"),
        Err(_) => 1_000_000,
    };
    assert!(total >= 10, "LIUHEN_BENCH_ENTRIES must be at least 10");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut rows = Vec::new();
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let custody = Custody::open(OpenOptions::new(dir.path().join("data")))
            .await
            .expect("open custody on SQLite");
        bench_backend("sqlite", &custody, total, &mut rows).await;
        drop(custody);

        match std::env::var("LIUHEN_TEST_PG_URL") {
            Ok(admin) if !admin.is_empty() => {
                let (url, name) = fresh_pg(&admin).await;
                let custody = Custody::open(OpenOptions {
                    database_url: Some(url),
                    clock: None,
                    ..OpenOptions::new(dir.path().join("data-pg"))
                })
                .await
                .expect("open custody on PostgreSQL");
                bench_backend("postgres", &custody, total, &mut rows).await;
                custody.db().close().await;
                drop(custody);
                drop_pg_database(&admin, &name).await;
            }
            _ => println!("note: LIUHEN_TEST_PG_URL unset, PostgreSQL skipped"),
        }
    });
    print_table(&rows);
}

async fn bench_backend(backend: &'static str, custody: &Custody, total: u64, rows: &mut Vec<Row>) {
    println!("== {backend}: {total} entries");
    let db = custody.db();
    let mut seq: u64 = 0; // entries appended by this benchmark

    // (a) one entry per transaction: every commit is durable on its own.
    let n = SINGLE.min(total / 2);
    let t = Instant::now();
    for _ in 0..n {
        let mut tx = db.begin().await.expect("begin");
        tx.append(Timestamp::now(), entry(seq))
            .await
            .expect("append");
        tx.commit().await.expect("commit");
        seq += 1;
    }
    rows.push(Row {
        backend,
        what: "append, 1 entry/tx (entries/s)".into(),
        entries: n,
        took: t.elapsed(),
        target: "",
    });

    // (a) log-only events from 32 concurrent callers through the group-committing journal
    // (`Custody::log_event`): each caller waits until its own entry is durable.
    let n = SINGLE.min(total / 2) / 32 * 32;
    let t = Instant::now();
    let mut callers = Vec::new();
    for c in 0..32u64 {
        let custody = custody.clone();
        callers.push(tokio::spawn(async move {
            for i in 0..n / 32 {
                custody
                    .log_event(entry(c * 1_000_000 + i))
                    .await
                    .expect("log event");
            }
        }));
    }
    for c in callers {
        c.await.expect("caller");
    }
    seq += n;
    rows.push(Row {
        backend,
        what: "append, 32 concurrent callers, group commit (entries/s)".into(),
        entries: n,
        took: t.elapsed(),
        target: ">= 5,000/s",
    });

    // (a) 100 entries per transaction.
    let n = BATCHED.min(total / 2) / PER_TX * PER_TX;
    let t = Instant::now();
    append_batched(custody, &mut seq, n, PER_TX).await;
    rows.push(Row {
        backend,
        what: format!("append, {PER_TX} entries/tx (entries/s)"),
        entries: n,
        took: t.elapsed(),
        target: "",
    });

    // (b) fill to `total`, signing a checkpoint every tenth of the way (and at the end).
    let step = (total / 10).max(1);
    let t = Instant::now();
    let mut signing = Duration::ZERO;
    let mut last_checkpoint = Duration::ZERO;
    let mut log_size = db.log_sizes().await.expect("log size").0;
    let mut next = step;
    while log_size < total {
        let goal = next.min(total);
        if goal > log_size {
            append_batched(custody, &mut seq, goal - log_size, FILL_TX).await;
            log_size = goal;
        }
        let c = Instant::now();
        custody.checkpoint().await.expect("checkpoint");
        last_checkpoint = c.elapsed();
        signing += last_checkpoint;
        next += step;
    }
    // The appends of (a) alone may already have reached `total`.
    let c = Instant::now();
    if custody.checkpoint().await.expect("checkpoint").is_some() {
        last_checkpoint = c.elapsed();
        signing += last_checkpoint;
    }
    println!(
        "   filled to {log_size} entries in {:.1} s ({:.1} s of it signing checkpoints; \
         the last one, over all {log_size} leaves, {:.2} s)",
        t.elapsed().as_secs_f64(),
        signing.as_secs_f64(),
        last_checkpoint.as_secs_f64()
    );
    rows.push(Row {
        backend,
        what: "checkpoint over the whole log (s)".into(),
        entries: log_size,
        took: last_checkpoint,
        target: "",
    });

    let t = Instant::now();
    let report = custody
        .verify(VerifyOptions { fixity: false }, &Quiet)
        .await
        .expect("verify");
    let took = t.elapsed();
    assert!(report.ok, "verify found problems: {:?}", report.problems);
    assert_eq!(report.entries, log_size, "verify walked every entry");
    assert_eq!(
        report.uncovered_entries, 0,
        "the last checkpoint covers the log"
    );
    println!(
        "   verify --no-fixity: {} entries, {} checkpoints, ok in {:.2} s",
        report.entries,
        report.checkpoints,
        took.as_secs_f64()
    );
    rows.push(Row {
        backend,
        what: format!("verify --no-fixity, {} checkpoints (s)", report.checkpoints),
        entries: report.entries,
        took,
        target: if report.entries >= 1_000_000 {
            if took <= VERIFY_TARGET {
                "<= 10 s: met"
            } else {
                "<= 10 s: MISSED"
            }
        } else {
            "<= 10 s at 1M"
        },
    });
}

/// Appends `n` entries in transactions of `per_tx`.
async fn append_batched(custody: &Custody, seq: &mut u64, n: u64, per_tx: u64) {
    let mut left = n;
    while left > 0 {
        let k = left.min(per_tx);
        let mut tx = custody.db().begin().await.expect("begin");
        let at = Timestamp::now();
        for _ in 0..k {
            tx.append(at, entry(*seq)).await.expect("append");
            *seq += 1;
        }
        tx.commit().await.expect("commit");
        left -= k;
    }
}

/// A realistic entry (~500 bytes of body): a duplicate offered again, as an ingest logs it.
fn entry(i: u64) -> NewEntry {
    NewEntry {
        actor: "cli:bench".into(),
        action: AuditAction::RecordDuplicate,
        subject: Some(format!("record:0192f0c4-7d5e-7000-8000-{i:012x}")),
        details: serde_json::json!({
            "source": format!("/media/DCIM/100MEDIA/执法记录仪_{i:08}.MP4"),
            "sha256": format!("{:064x}", u128::from(i) * 0x9e37_79b9_7f4a_7c15),
            "size_bytes": 1_073_741_824u64 + i,
        }),
    }
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<9} {:<44} {:>10} {:>10} {:>12}  target",
        "backend", "measurement", "entries", "seconds", "entries/s"
    );
    for r in rows {
        let s = r.took.as_secs_f64();
        println!(
            "{:<9} {:<44} {:>10} {:>10.2} {:>12.0}  {}",
            r.backend,
            r.what,
            r.entries,
            s,
            r.entries as f64 / s,
            r.target
        );
    }
}

/// A new, empty PostgreSQL database next to `admin`; returns (url, name).
async fn fresh_pg(admin: &str) -> (String, String) {
    let name = format!("liuhen_bench_{}", uuid::Uuid::now_v7().simple());
    let url = create_pg_database(admin, &name)
        .await
        .expect("create the benchmark database on LIUHEN_TEST_PG_URL");
    (url, name)
}
