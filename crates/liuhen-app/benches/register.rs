//! Register and misconduct-signal benchmark (R4.1, R3.13; results in docs/benchmarks.md).
//!
//! `cargo bench -p liuhen-app --bench register` fills a fresh store with
//! `LIUHEN_BENCH_ENTRIES` audit entries (default 300,000) over 30 days: 40 % record
//! views, 10 % playbacks, 5 % downloads, 5 % refusals, the rest sign-ins (not register
//! material), by 200 users. Then it times the first projection of the whole log, an
//! incremental projection of 1,000 new entries, register pages (no filter, by person, by
//! free text, deep page), and the alert computation over 30 days. With
//! `LIUHEN_TEST_PG_URL` (an admin URL) the same runs on a fresh PostgreSQL database.
//!
//! Run by `cargo test --all-targets` (no `--bench` argument), it does nothing.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use liuhen_app::alerts::AlertQuery;
use liuhen_app::register::RegisterQuery;
use liuhen_app::{Custody, OpenOptions};
use liuhen_db::NewEntry;
use liuhen_db::testing::{create_pg_database, drop_pg_database};
use liuhen_domain::authz::Principal;
use liuhen_domain::{AuditAction, Role};

const DAY_MS: i64 = 86_400_000;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("register: benchmark only; run `cargo bench -p liuhen-app --bench register`");
        return;
    }
    let total: u64 = std::env::var("LIUHEN_BENCH_ENTRIES")
        .ok()
        .map(|v| v.replace('_', "").parse().expect("a whole number"))
        .unwrap_or(300_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let custody = Custody::open(OpenOptions::new(dir.path().join("data")))
            .await
            .expect("open custody");
        run("sqlite", &custody, total).await;
        drop(custody);
        if let Ok(admin) = std::env::var("LIUHEN_TEST_PG_URL") {
            let name = format!("liuhen_bench_{}", uuid::Uuid::now_v7().simple());
            let url = create_pg_database(&admin, &name).await.expect("create db");
            let custody = Custody::open(OpenOptions {
                database_url: Some(url),
                clock: None,
                ..OpenOptions::new(dir.path().join("data-pg"))
            })
            .await
            .expect("open custody on PostgreSQL");
            run("postgres", &custody, total).await;
            custody.db().close().await;
            drop(custody);
            drop_pg_database(&admin, &name).await;
        }
    });
}

fn entry(i: u64) -> NewEntry {
    let user = format!("user-{:03}", (i * 7919) % 200);
    let record = format!("0190f3a0-0000-7000-8000-{:012x}", (i * 104_729) % 50_000);
    let (action, details) = match i % 20 {
        0..=7 => (
            AuditAction::RecordViewed,
            serde_json::json!({ "via": "web" }),
        ),
        8 | 9 => (
            AuditAction::RecordPlayed,
            serde_json::json!({ "seconds": 12.5 }),
        ),
        10 => (AuditAction::RecordDownloaded, serde_json::json!({})),
        11 => (
            AuditAction::AccessRefused,
            serde_json::json!({ "action": "record.view", "reason": "outside_scope", "roles": ["officer"] }),
        ),
        _ => (AuditAction::LoginSucceeded, serde_json::json!({})),
    };
    NewEntry {
        actor: user,
        action,
        subject: Some(format!("record:{record}")),
        details,
    }
}

async fn fill(custody: &Custody, from: u64, n: u64, start_ms: i64, span_ms: i64, total: u64) {
    let db = custody.db();
    let mut i = from;
    while i < from + n {
        let mut tx = db.begin().await.expect("begin");
        for _ in 0..1000.min(from + n - i) {
            let at = start_ms + span_ms * (i as i64) / (total as i64).max(1);
            tx.append(Timestamp::from_millisecond(at).expect("time"), entry(i))
                .await
                .expect("append");
            i += 1;
        }
        tx.commit().await.expect("commit");
    }
}

fn timed(what: &str, took: Duration) {
    println!("  {what:<48} {:>9.1} ms", took.as_secs_f64() * 1000.0);
}

async fn run(backend: &str, custody: &Custody, total: u64) {
    println!("== {backend}: {total} entries");
    let now = Timestamp::now().as_millisecond();
    let start = now - 30 * DAY_MS;
    let t = Instant::now();
    fill(custody, 0, total, start, 30 * DAY_MS, total).await;
    timed("fill", t.elapsed());
    let who = Principal {
        user_id: "archive".into(),
        roles: vec![Role::ArchiveKeeper, Role::Supervisor],
        unit: None,
        department: None,
        officer_name: "档案员".into(),
    };
    let t = Instant::now();
    custody.sync_register().await.expect("sync");
    timed("first projection of the whole log", t.elapsed());
    fill(custody, total, 1000, now - 1000, 1000, 1000).await;
    let t = Instant::now();
    custody.sync_register().await.expect("sync");
    timed("incremental projection, 1,000 new entries", t.elapsed());
    let queries = [
        ("register page 1, no filter", RegisterQuery::default()),
        (
            "register page 1, one person",
            RegisterQuery {
                person: Some("user-020".into()),
                ..Default::default()
            },
        ),
        (
            "register page 1, free text",
            RegisterQuery {
                text: Some("0000000001a".into()),
                ..Default::default()
            },
        ),
        (
            "register page 1, downloads of one week",
            RegisterQuery {
                kinds: vec!["download".into()],
                from: Some(
                    jiff::tz::offset(8)
                        .to_datetime(Timestamp::from_millisecond(now - 7 * DAY_MS).expect("t"))
                        .date(),
                ),
                ..Default::default()
            },
        ),
        (
            "register page 100, no filter",
            RegisterQuery {
                page: 100,
                ..Default::default()
            },
        ),
    ];
    for (what, q) in queries {
        let t = Instant::now();
        let page = custody.register(&who, &q).await.expect("register");
        timed(&format!("{what} ({} rows)", page.total), t.elapsed());
    }
    let t = Instant::now();
    let alerts = custody
        .alerts(&who, &AlertQuery::default())
        .await
        .expect("alerts");
    timed(
        &format!("alerts over 30 days ({} signals)", alerts.alerts.len()),
        t.elapsed(),
    );
}
