//! Search benchmark (R3.2; results and method in docs/benchmarks.md).
//!
//! `cargo bench -p liuhen-app --bench search` fills a fresh store with
//! `LIUHEN_BENCH_RECORDS` synthetic records (default 1,000,000: four agencies, 200
//! officers, realistic Chinese company, case and party names, three years of dates), then
//! times `LIUHEN_BENCH_QUERIES` (default 200) searches of each kind through
//! `Custody::search_records` as the records keeper of the largest unit (40 % of all
//! records), first page and a deeper page (page 20, 20 rows a page), and prints p50/p99
//! after `LIUHEN_BENCH_WARMUP` (default 20) untimed queries of each kind, whose first (the
//! cold query of the process) is printed on its own.
//! Targets: p99 < 20 ms on SQLite, < 50 ms on PostgreSQL. With `LIUHEN_TEST_PG_URL` (an
//! admin URL) the same runs on a fresh PostgreSQL database (C.UTF-8), dropped afterwards.
//!
//! Run by `cargo test --all-targets` (no `--bench` argument), it does nothing.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use liuhen_app::search::SearchRequest;
use liuhen_app::{Custody, OpenOptions};
use liuhen_db::testing::{create_pg_database, drop_pg_database};
use liuhen_domain::authz::Principal;
use liuhen_domain::{
    Classification, MediaKind, Record, RecordId, Role, Sha256Digest, Sm3Digest, TechnicalMetadata,
};
use sqlx::Connection;

const AGENCIES: [(&str, u32); 4] = [
    ("平顶山高新区应急管理局", 40),
    ("卫东区应急管理局", 25),
    ("新华区应急管理局", 20),
    ("湛河区应急管理局", 15),
];
const SURNAMES: &str =
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕";
const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文辉鹏飞";
const PLACES: [&str; 8] = [
    "平顶山市",
    "高新区",
    "叶县",
    "宝丰县",
    "鲁山县",
    "郏县",
    "舞钢市",
    "汝州市",
];
const WORDS: [&str; 24] = [
    "宏达", "天瑞", "神马", "恒通", "鑫源", "中联", "豫能", "瑞丰", "金鼎", "华盛", "永兴", "东方",
    "长城", "新峰", "盛世", "福源", "安泰", "众鑫", "腾飞", "兴业", "万通", "德润", "光明", "泰和",
];
const TRADES: [&str; 10] = [
    "化工有限公司",
    "煤业有限公司",
    "建材有限公司",
    "加油站",
    "液化气站",
    "烟花爆竹经营部",
    "冶金有限公司",
    "机械制造有限公司",
    "物流有限公司",
    "食品有限公司",
];
const CASES: [&str; 10] = [
    "安全生产检查",
    "动火作业违规案",
    "危险化学品储存检查",
    "未按规定开展隐患排查案",
    "特种作业人员无证上岗案",
    "粉尘涉爆专项检查",
    "有限空间作业检查",
    "安全设施“三同时”检查",
    "重大事故隐患整改复查",
    "应急预案未备案案",
];

/// A small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

struct World {
    /// (agency, officer names)
    units: Vec<(&'static str, Vec<String>)>,
}

fn world(rng: &mut Rng) -> World {
    let sur = chars(SURNAMES);
    let given = chars(GIVEN);
    let units = AGENCIES
        .iter()
        .map(|(a, w)| {
            let officers = (0..(*w as usize * 5))
                .map(|_| {
                    let mut n = String::new();
                    n.push(sur[rng.below(sur.len())]);
                    n.push(given[rng.below(given.len())]);
                    if rng.below(3) == 0 {
                        n.push(given[rng.below(given.len())]);
                    }
                    n
                })
                .collect();
            (*a, officers)
        })
        .collect();
    World { units }
}

fn synthetic(i: u64, rng: &mut Rng, w: &World, now: Timestamp) -> Record {
    let mut roll = rng.below(100) as u32;
    let mut unit = 0;
    for (k, (_, weight)) in AGENCIES.iter().enumerate() {
        if roll < *weight {
            unit = k;
            break;
        }
        roll -= weight;
    }
    let (agency, officers) = &w.units[unit];
    let officer = officers[rng.below(officers.len())].clone();
    let company = format!(
        "{}{}{}",
        rng.pick(&PLACES),
        rng.pick(&WORDS),
        rng.pick(&TRADES)
    );
    let case_name = format!("{}{}", company.replace("平顶山市", ""), rng.pick(&CASES));
    let party = if rng.below(4) == 0 {
        let sur = chars(SURNAMES);
        format!("{}某", sur[rng.below(sur.len())])
    } else {
        company
    };
    let age_ms = (rng.next() % (3 * 365 * 86_400_000)) as i64;
    let captured = Timestamp::from_millisecond(now.as_millisecond() - age_ms).unwrap();
    let delay_ms = (rng.next() % (40 * 3_600_000)) as i64;
    let stored = Timestamp::from_millisecond(captured.as_millisecond() + delay_ms).unwrap();
    let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
    let local = captured.to_zoned_datetime(tz);
    let device = format!("DSJ-{}{:02}", unit + 1, rng.below(30));
    let kind = match rng.below(10) {
        0 => MediaKind::Photo,
        1 => MediaKind::Audio,
        _ => MediaKind::Video,
    };
    let ext = match kind {
        MediaKind::Photo => "JPG",
        MediaKind::Audio => "WAV",
        _ => "MP4",
    };
    let mut digest = [0u8; 32];
    digest[..8].copy_from_slice(&i.to_be_bytes());
    digest[8..16].copy_from_slice(&rng.next().to_be_bytes());
    Record {
        id: RecordId::parse(&uuid::Uuid::now_v7().to_string()).unwrap(),
        sha256: Sha256Digest::from_bytes(digest),
        sm3: Sm3Digest::from_bytes(digest),
        size_bytes: 200_000 + rng.next() % 2_000_000_000,
        kind,
        original_name: format!(
            "{}_{}_{device}_{:04}.{ext}",
            local.strftime("%Y%m%d"),
            local.strftime("%H%M%S"),
            i % 10_000
        ),
        media: TechnicalMetadata {
            prober: "ffprobe".into(),
            probe_error: (rng.below(200) == 0).then(|| "moov atom not found".into()),
            capture_start: Some(captured),
            ..Default::default()
        },
        classification: Classification {
            agency: Some((*agency).to_owned()),
            device: Some(device),
            officer: Some(officer),
            case_name: Some(case_name),
            party: Some(party),
            camera_operator: None,
        },
        officer_id: None,
        record_date: Some(local.date()),
        stored_at: stored,
        returned_at: None,
        lateness_ms: Some(delay_ms),
        late: delay_ms > 24 * 3_600_000,
        retain_until: Timestamp::from_millisecond(captured.as_millisecond() + 94_670_856_000)
            .unwrap(),
        source: None,
    }
}

async fn fill(custody: &Custody, total: u64, w: &World) {
    let started = Instant::now();
    let now = Timestamp::now();
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut i = 0;
    while i < total {
        let mut tx = custody.db().begin().await.expect("begin");
        for _ in 0..10_000.min(total - i) {
            let r = synthetic(i, &mut rng, w, now);
            tx.insert_record(&r, 0).await.expect("insert");
            i += 1;
        }
        tx.commit().await.expect("commit");
        if i % 100_000 == 0 {
            eprintln!("  filled {i} records in {:.0?}", started.elapsed());
        }
    }
    println!(
        "  filled {total} records in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn bench_backend(
    backend: &str,
    custody: &Custody,
    total: u64,
    queries: usize,
    warmup: usize,
    pg_url: Option<&str>,
    filled: bool,
) {
    let mut rng = Rng(42);
    let w = world(&mut rng);
    if filled {
        println!("  reusing {total} records");
    } else {
        fill(custody, total, &w).await;
    }
    // What the application does after a large ingest (SQLite: planner statistics).
    custody.db().optimize().await.expect("optimize");
    if let Some(url) = pg_url {
        // What autovacuum does shortly after a bulk load: fresh planner statistics, and the
        // GIN pending lists merged (unmerged, every trigram search scans them: 郭某 20 ms of
        // 34 ms over 200,000 records).
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::raw_sql("VACUUM ANALYZE records")
            .execute(&mut conn)
            .await
            .expect("analyze");
    }
    let keeper = Principal {
        user_id: "bench".into(),
        roles: vec![Role::RecordsKeeper],
        unit: Some(AGENCIES[0].0.into()),
        department: None,
        officer_name: "—".into(),
    };
    let two = [
        "化工", "煤业", "加油", "烟花", "建材", "物流", "冶金", "食品",
    ];
    let two_rare = ["郭某", "萧某", "傅某", "曾某", "彭某", "吕某"];
    let four = [
        "动火作业",
        "安全生产",
        "隐患排查",
        "危险化学",
        "有限空间",
        "天瑞化工",
    ];
    let today = Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .date();
    type Make = Box<dyn Fn(&mut Rng) -> SearchRequest>;
    let kinds: Vec<(&str, Make)> = vec![
        (
            "text, 2 characters (common)",
            Box::new(move |r: &mut Rng| SearchRequest {
                text: Some(r.pick(&two).into()),
                ..Default::default()
            }),
        ),
        (
            "text, 2 characters (rare: a person party 郭某)",
            Box::new(move |r: &mut Rng| SearchRequest {
                text: Some(r.pick(&two_rare).into()),
                ..Default::default()
            }),
        ),
        (
            "text, 4 characters",
            Box::new(move |r: &mut Rng| SearchRequest {
                text: Some(r.pick(&four).into()),
                ..Default::default()
            }),
        ),
        (
            "officer + 90-day record date range",
            Box::new({
                let officers = w.units[0].1.clone();
                move |r: &mut Rng| {
                    let from = today
                        .checked_sub(jiff::Span::new().days(90 + r.below(900) as i64))
                        .unwrap();
                    SearchRequest {
                        officer: Some(officers[r.below(officers.len())].clone()),
                        record_date_from: Some(from),
                        record_date_to: Some(from.checked_add(jiff::Span::new().days(90)).unwrap()),
                        ..Default::default()
                    }
                }
            }),
        ),
        (
            "no filter (browse), by storage date",
            Box::new(|_: &mut Rng| SearchRequest {
                sort: liuhen_app::search::RecordSort {
                    field: liuhen_app::search::SortField::StoredAt,
                    descending: true,
                },
                ..Default::default()
            }),
        ),
    ];
    println!("\n| backend | query | page | first ms | p50 ms | p99 ms | hits (median) |");
    println!("|---|---|---|---:|---:|---:|---:|");
    for (name, make) in &kinds {
        for page in [1u32, 20] {
            // Untimed warm-up: a running server has its store in the page cache; the first
            // query of the kind (the cold one of this process) is shown on its own.
            let mut first = Duration::ZERO;
            for i in 0..warmup {
                let mut req = make(&mut rng);
                req.page = page;
                req.page_size = 20;
                let t = Instant::now();
                custody.search_records(&keeper, &req).await.expect("search");
                if i == 0 {
                    first = t.elapsed();
                }
            }
            let mut times = Vec::with_capacity(queries);
            let mut hits = Vec::with_capacity(queries);
            for _ in 0..queries {
                let mut req = make(&mut rng);
                req.page = page;
                req.page_size = 20;
                let t = Instant::now();
                let res = custody.search_records(&keeper, &req).await.expect("search");
                times.push(t.elapsed());
                hits.push(res.total);
            }
            times.sort();
            hits.sort();
            println!(
                "| {backend} | {name} | {page} | {:.2} | {:.2} | {:.2} | {}{} |",
                first.as_secs_f64() * 1000.0,
                percentile(&times, 0.5).as_secs_f64() * 1000.0,
                percentile(&times, 0.99).as_secs_f64() * 1000.0,
                hits[hits.len() / 2],
                if hits[hits.len() / 2] >= liuhen_app::search::COUNT_CAP {
                    "+"
                } else {
                    ""
                }
            );
        }
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number")),
        Err(_) => default,
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("search: benchmark only; run `cargo bench -p liuhen-app --bench search`");
        return;
    }
    let total = env_number("LIUHEN_BENCH_RECORDS", 1_000_000);
    let queries = env_number("LIUHEN_BENCH_QUERIES", 200) as usize;
    let warmup = env_number("LIUHEN_BENCH_WARMUP", 20) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let temp = tempfile::tempdir().expect("temp dir");
        // LIUHEN_BENCH_DIR: keep the SQLite store there and reuse it on the next run.
        let kept = std::env::var("LIUHEN_BENCH_DIR")
            .ok()
            .filter(|d| !d.is_empty());
        let dir = kept
            .as_deref()
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| temp.path().to_owned());
        if std::env::var("LIUHEN_BENCH_SKIP_SQLITE").is_err() {
            println!("SQLite: {total} records");
            let marker = dir.join(format!("filled-{total}"));
            let filled = kept.is_some() && marker.exists();
            let custody = Custody::open(OpenOptions::new(dir.join("data")))
                .await
                .expect("open custody on SQLite");
            bench_backend("sqlite", &custody, total, queries, warmup, None, filled).await;
            custody.db().close().await;
            if kept.is_some() {
                std::fs::write(&marker, b"").expect("write the fill marker");
            }
        }
        match std::env::var("LIUHEN_TEST_PG_URL") {
            Ok(admin) if !admin.is_empty() => {
                println!("\nPostgreSQL: {total} records");
                // LIUHEN_BENCH_PG_DB: reuse (or create and keep) this database.
                let reuse = std::env::var("LIUHEN_BENCH_PG_DB")
                    .ok()
                    .filter(|d| !d.is_empty());
                let (url, name, filled) = match &reuse {
                    Some(name) => existing_pg(&admin, name, total).await,
                    None => {
                        let (url, name) = fresh_pg(&admin, None).await;
                        (url, name, false)
                    }
                };
                let custody = Custody::open(OpenOptions {
                    database_url: Some(url.clone()),
                    clock: None,
                    ..OpenOptions::new(dir.join("data-pg"))
                })
                .await
                .expect("open custody on PostgreSQL");
                bench_backend(
                    "postgres",
                    &custody,
                    total,
                    queries,
                    warmup,
                    Some(&url),
                    filled,
                )
                .await;
                custody.db().close().await;
                if reuse.is_some() || std::env::var("LIUHEN_BENCH_KEEP_PG").is_ok() {
                    println!("kept database {name} (LIUHEN_BENCH_KEEP_PG)");
                } else {
                    drop_pg_database(&admin, &name).await;
                }
            }
            _ => println!("note: LIUHEN_TEST_PG_URL unset, PostgreSQL skipped"),
        }
    });
}

/// The database `name`, created if missing; `true` when it already holds `total` records.
async fn existing_pg(admin: &str, name: &str, total: u64) -> (String, String, bool) {
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    let url = format!("{base}/{name}");
    if let Ok(mut conn) = sqlx::PgConnection::connect(&url).await {
        let n: Option<i64> = sqlx::query_scalar("SELECT count(*) FROM records")
            .fetch_one(&mut conn)
            .await
            .ok();
        return (url, name.to_owned(), n == Some(total as i64));
    }
    let (url, name) = fresh_pg(admin, Some(name)).await;
    (url, name, false)
}

async fn fresh_pg(admin: &str, name: Option<&str>) -> (String, String) {
    let name = name
        .map(str::to_owned)
        .unwrap_or_else(|| format!("liuhen_bench_{}", uuid::Uuid::now_v7().simple()));
    let url = create_pg_database(admin, &name)
        .await
        .expect("create the benchmark database on LIUHEN_TEST_PG_URL");
    (url, name)
}
