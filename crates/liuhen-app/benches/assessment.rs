//! Annual assessment benchmark (issue 20; results in docs/benchmarks.md).
//!
//! `cargo bench -p liuhen-app --bench assessment` fills a fresh store with
//! `LIUHEN_BENCH_CASES` cases (default 100,000) of one unit created within one year, each
//! with one mandatory step (留置送达, 1.2) linked to `LIUHEN_BENCH_RECORDS /
//! LIUHEN_BENCH_CASES` records (default 1,000,000 / 100,000 = 10), 40 officers, then
//! times `Custody::assessment` for that unit and year, then the dashboard with that period. With `LIUHEN_TEST_PG_URL` (an
//! admin URL) the same runs on a fresh PostgreSQL database, dropped afterwards. Data go
//! to a temporary directory, removed at the end.
//!
//! To profile without refilling (the fill takes minutes): `LIUHEN_BENCH_DIR=/some/dir`
//! keeps the store there and reuses it when it was filled with the same sizes, and
//! `LIUHEN_BENCH_PG_DB=name` does the same for a PostgreSQL database (kept: drop it by
//! hand). `LIUHEN_BENCH_ONLY=sqlite|postgres` runs one backend.
//!
//! Run by `cargo test --all-targets` (no `--bench` argument), it does nothing.

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use liuhen_app::{Custody, OpenOptions};
use liuhen_db::testing::{create_pg_database, drop_pg_database};
use liuhen_db::{CaseRow, StepRecordRow};
use liuhen_domain::authz::Principal;
use liuhen_domain::case::{CaseCategory, CaseFlags, CaseStatus, Step};
use liuhen_domain::{
    Classification, MediaKind, Record, RecordId, Role, Sha256Digest, Sm3Digest, TechnicalMetadata,
};

const UNIT: &str = "平顶山高新区应急管理局";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| v.replace('_', "").parse().expect("a whole number"))
        .unwrap_or(default)
}

fn record(i: u64, officer: &str, start: Timestamp) -> Record {
    let mut digest = [0u8; 32];
    digest[..8].copy_from_slice(&i.to_be_bytes());
    digest[8..16].copy_from_slice(&0x5eed_u64.to_be_bytes());
    let delay = ((i * 7919) % (40 * 3600)) as i64 * 1000;
    let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
    Record {
        id: RecordId::parse(&uuid::Uuid::now_v7().to_string()).unwrap(),
        sha256: Sha256Digest::from_bytes(digest),
        sm3: Sm3Digest::from_bytes(digest),
        size_bytes: 1_000_000,
        kind: MediaKind::Video,
        original_name: format!("bench_{i}.MP4"),
        media: TechnicalMetadata {
            prober: "ffprobe".into(),
            capture_start: Some(start),
            duration_ms: Some(60_000),
            ..Default::default()
        },
        classification: Classification {
            agency: Some(UNIT.into()),
            device: Some("DSJ-01".into()),
            officer: Some(officer.into()),
            ..Default::default()
        },
        officer_id: None,
        source: None,
        record_date: Some(start.to_zoned_datetime(tz).date()),
        stored_at: start + SignedDuration::from_millis(60_000 + delay),
        returned_at: None,
        lateness_ms: Some(delay),
        late: delay > 24 * 3_600_000,
        retain_until: start + SignedDuration::from_hours(24 * 365 * 3),
    }
}

async fn fill(c: &Custody, cases: u64, records: u64, year_start: Timestamp) {
    let started = Instant::now();
    let per_case = (records / cases.max(1)).max(1);
    let officers: Vec<String> = (0..40).map(|i| format!("执法员{i:02}")).collect();
    let mut n = 0u64;
    let mut k = 0u64;
    while k < cases {
        let mut tx = c.db().begin().await.expect("begin");
        for _ in 0..1_000.min(cases - k) {
            let officer = &officers[(k % 40) as usize];
            let t0 = year_start + SignedDuration::from_mins((k % 500_000) as i64 * 3);
            let case = CaseRow {
                id: uuid::Uuid::now_v7().to_string(),
                number: format!("高新应急罚〔2026〕{k}号"),
                name: format!("基准案件 {k}"),
                category: CaseCategory::Penalty,
                agency: UNIT.into(),
                department: "执法一科".into(),
                status: CaseStatus::Open,
                flags: CaseFlags::default(),
                created_at: t0,
                parties: vec![],
                team: vec![officer.clone()],
                team_ids: vec![None],
            };
            tx.insert_case(&case).await.expect("case");
            let step = Step {
                id: uuid::Uuid::now_v7().to_string(),
                checklist_row: Some("1.2".into()),
                name: "留置送达".into(),
                window: (t0, t0 + SignedDuration::from_mins(10)),
                place: "现场".into(),
                officers: vec![officer.clone()],
                on_site: true,
                disputed: false,
            };
            tx.insert_step(&case.id, &step, t0).await.expect("step");
            // One case in ten has no recording: a violation of check one.
            let linked = if k.is_multiple_of(10) { 0 } else { per_case };
            for j in 0..per_case {
                let r = record(n, officer, t0 + SignedDuration::from_secs(j as i64 * 60));
                tx.insert_record(&r, 0).await.expect("record");
                n += 1;
                if j < linked {
                    tx.link_record(&StepRecordRow {
                        step_id: step.id.clone(),
                        record_id: r.id.clone(),
                        linked_at: t0,
                        linked_by: "bench".into(),
                    })
                    .await
                    .expect("link");
                }
            }
            k += 1;
        }
        tx.commit().await.expect("commit");
        if k.is_multiple_of(10_000) {
            eprintln!(
                "  filled {k} cases, {n} records in {:.0?}",
                started.elapsed()
            );
        }
    }
    println!(
        "  filled {k} cases and {n} records in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Fills the store unless `marker` (a file) says it was filled with these sizes; then
/// returns the supervisor's user id.
async fn fill_once(
    c: &Custody,
    cases: u64,
    records: u64,
    marker: Option<&std::path::Path>,
) -> String {
    let sizes = format!("{cases} {records}");
    if let Some(id) = marker
        .and_then(|m| std::fs::read_to_string(m).ok())
        .and_then(|s| s.strip_prefix(&format!("{sizes} ")).map(str::to_owned))
    {
        println!("  reusing the filled store ({sizes})");
        return id;
    }
    let year_start: Timestamp = "2026-01-01T00:00:00+08:00".parse().unwrap();
    fill(c, cases, records, year_start).await;
    let id = c
        .create_user_unchecked(
            "bench",
            liuhen_app::accounts::NewUser {
                username: "jiandu".into(),
                display_name: "监督员".into(),
                password: "Bench-Passw0rd!".into(),
                unit: Some(UNIT.into()),
                department: None,
                roles: vec![Role::Supervisor],
            },
        )
        .await
        .expect("user");
    if let Some(m) = marker {
        std::fs::write(m, format!("{sizes} {id}")).expect("marker");
    }
    id
}

async fn run(name: &str, c: &Custody, cases: u64, records: u64, marker: Option<&std::path::Path>) {
    println!("{name}:");
    let id = fill_once(c, cases, records, marker).await;
    let sup = Principal {
        user_id: id,
        roles: vec![Role::Supervisor],
        unit: Some(UNIT.into()),
        department: None,
        officer_name: "监督员".into(),
    };
    let (from, to) = (
        jiff::civil::date(2026, 1, 1),
        jiff::civil::date(2026, 12, 31),
    );
    for round in 1..=2 {
        let t = Instant::now();
        let report = c
            .assessment(&sup, from, to, Some(UNIT))
            .await
            .expect("assessment");
        let total = report.assessment.total();
        println!(
            "  assessment round {round}: {:.2} s ({} records, {} mandatory steps, {} covered, {} violations)",
            t.elapsed().as_secs_f64(),
            total.records,
            total.mandatory_steps,
            total.mandatory_covered,
            total.violations
        );
    }
    for round in 1..=2 {
        let t = Instant::now();
        let d = c
            .dashboard_in(&sup, Some((from, to)))
            .await
            .expect("dashboard");
        println!(
            "  dashboard with the period, round {round}: {:.2} s ({} cases, {} with violations, {} findings)",
            t.elapsed().as_secs_f64(),
            d.cases,
            d.cases_with_violations,
            d.findings.len()
        );
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("assessment: benchmark only; run `cargo bench -p liuhen-app --bench assessment`");
        return;
    }
    let cases = env_number("LIUHEN_BENCH_CASES", 100_000);
    let records = env_number("LIUHEN_BENCH_RECORDS", 1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let only = std::env::var("LIUHEN_BENCH_ONLY").unwrap_or_default();
    let kept = std::env::var_os("LIUHEN_BENCH_DIR").map(std::path::PathBuf::from);
    runtime.block_on(async {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = kept.clone().unwrap_or_else(|| temp.path().to_owned());
        let marker = |n: &str| kept.as_ref().map(|k| k.join(format!("filled-{n}")));
        if only.is_empty() || only == "sqlite" {
            let custody = Custody::open(OpenOptions::new(dir.join("data")))
                .await
                .expect("open custody");
            run(
                "sqlite",
                &custody,
                cases,
                records,
                marker("sqlite").as_deref(),
            )
            .await;
            drop(custody);
        }
        let admin = std::env::var("LIUHEN_TEST_PG_URL").ok();
        if let Some(admin) = admin.filter(|_| only.is_empty() || only == "postgres") {
            let keep = std::env::var("LIUHEN_BENCH_PG_DB").ok();
            let name = keep
                .clone()
                .unwrap_or_else(|| format!("liuhen_bench_{}", uuid::Uuid::now_v7().simple()));
            let pg_marker = marker(&format!("pg-{name}")).filter(|_| keep.is_some());
            let url = match pg_marker.as_ref().filter(|m| m.exists()) {
                Some(_) => format!("{}/{name}", admin.rsplit_once('/').map_or(&*admin, |p| p.0)),
                None => create_pg_database(&admin, &name).await.expect("create db"),
            };
            let custody = Custody::open(OpenOptions {
                database_url: Some(url),
                clock: None,
                ..OpenOptions::new(dir.join("data-pg"))
            })
            .await
            .expect("open custody on PostgreSQL");
            run("postgres", &custody, cases, records, pg_marker.as_deref()).await;
            custody.db().close().await;
            drop(custody);
            if keep.is_none() {
                drop_pg_database(&admin, &name).await;
            }
        }
    });
}
