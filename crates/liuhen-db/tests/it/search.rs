//! Search (R3.2) on both backends: Chinese queries of 1, 2 and 3+ characters, every
//! filter, sorting, paging, and the visibility restriction.

use jiff::Timestamp;
use liuhen_db::{Db, RecordFilter, RecordSort, SortField};
use liuhen_domain::access::CaseCond;
use liuhen_domain::authz::RecordVisibility;
use liuhen_domain::{
    Classification, MediaKind, Record, RecordId, Sha256Digest, Sm3Digest, TechnicalMetadata,
};

use crate::support::for_each_backend;

const GX: &str = "平顶山高新区应急管理局";
const WD: &str = "卫东区应急管理局";

struct Spec {
    n: u8,
    agency: &'static str,
    officer: &'static str,
    device: &'static str,
    case_name: &'static str,
    party: &'static str,
    name: &'static str,
    day: &'static str,
    kind: MediaKind,
    late: bool,
    probe_error: bool,
}

fn spec(n: u8, agency: &'static str, officer: &'static str, case_name: &'static str) -> Spec {
    Spec {
        n,
        agency,
        officer,
        device: "DSJ-01",
        case_name,
        party: "某化工有限公司",
        name: "20261103_093015_DSJ-01_0001.MP4",
        day: "2026-03-01",
        kind: MediaKind::Video,
        late: false,
        probe_error: false,
    }
}

fn record(s: &Spec) -> Record {
    let stored: Timestamp = format!("{}T09:00:00Z", s.day).parse().unwrap();
    Record {
        id: RecordId::parse(&format!("0190f3a0-0000-7000-8000-0000000000{:02x}", s.n)).unwrap(),
        sha256: Sha256Digest::from_bytes([s.n; 32]),
        sm3: Sm3Digest::from_bytes([s.n; 32]),
        size_bytes: 1000 + u64::from(s.n),
        kind: s.kind,
        original_name: s.name.into(),
        media: TechnicalMetadata {
            prober: "builtin".into(),
            probe_error: s.probe_error.then(|| "truncated".into()),
            ..Default::default()
        },
        classification: Classification {
            agency: Some(s.agency.into()),
            device: Some(s.device.into()),
            officer: Some(s.officer.into()),
            case_name: Some(s.case_name.into()),
            party: Some(s.party.into()),
            camera_operator: None,
        },
        officer_id: Some(format!("u-{}", s.officer)),
        record_date: Some(s.day.parse().unwrap()),
        stored_at: stored,
        returned_at: None,
        lateness_ms: Some(3_600_000),
        late: s.late,
        retain_until: "2040-01-01T00:00:00Z".parse().unwrap(),
        source: None,
    }
}

fn fixtures() -> Vec<Spec> {
    vec![
        Spec {
            party: "平顶山市某化工有限公司",
            day: "2026-03-01",
            ..spec(1, GX, "张伟", "某化工有限公司安全生产检查")
        },
        Spec {
            party: "王某",
            device: "DSJ-02",
            day: "2026-03-05",
            late: true,
            name: "20260305_140000_DSJ-02_0007.MP4",
            ..spec(2, GX, "李娜", "某加油站动火作业违规案")
        },
        Spec {
            party: "某烟花爆竹经营部",
            day: "2026-03-10",
            kind: MediaKind::Photo,
            probe_error: true,
            name: "IMG_0042.JPG",
            ..spec(3, GX, "张伟", "烟花爆竹违规储存案")
        },
        Spec {
            party: "某危险化学品仓库",
            day: "2026-03-12",
            kind: MediaKind::Audio,
            name: "REC_100%_test.WAV",
            ..spec(4, WD, "王芳", "危险化学品仓储检查")
        },
        Spec {
            day: "2026-02-20",
            ..spec(5, GX, "赵敏", "粉尘涉爆企业检查")
        },
    ]
}

async fn filled(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    for s in fixtures() {
        tx.insert_record(&record(&s), 0).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// Visibility by unit and/or own records, any case state, no labels cleared, no grants.
fn vis(unit: Option<&str>, officer: Option<&str>) -> RecordVisibility {
    RecordVisibility {
        me: officer.map_or("（无）".to_owned(), |o| format!("u-{o}")),
        own: officer.map(|_| CaseCond::Any),
        team: None,
        department: None,
        unit: unit.map(|u| (u.to_owned(), CaseCond::Any)),
        any: None,
        grantee: None,
        cleared_labels: Vec::new(),
        grant_opens: Vec::new(),
    }
}

fn keeper(unit: &str) -> RecordVisibility {
    vis(Some(unit), None)
}

fn officer(name: &str) -> RecordVisibility {
    vis(None, Some(name))
}

/// Ids (last byte) of the matches, sorted by record date, newest first.
async fn find(db: &Db, v: &RecordVisibility, f: RecordFilter) -> Vec<u8> {
    let page = db
        .search_records(v, &f, RecordSort::default(), 0, 100)
        .await
        .unwrap();
    assert_eq!(page.total, page.records.len() as u64);
    page.records
        .iter()
        .map(|r| u8::from_str_radix(&r.id.as_str()[34..], 16).unwrap())
        .collect()
}

fn text(q: &str) -> RecordFilter {
    RecordFilter {
        text: Some(q.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn chinese_text_of_every_length() {
    for_each_backend(|db: Db| async move {
        filled(&db).await;
        let all = vis(Some(GX), Some("王芳"));
        let cases: &[(&str, &[u8])] = &[
            // one character
            ("检", &[4, 1, 5]),
            ("娜", &[2]),
            // two characters (LIKE fallback on SQLite, unindexed ILIKE on PostgreSQL)
            ("化工", &[1, 5]),
            ("化学", &[4]),
            ("张伟", &[3, 1]),
            ("王某", &[2]),
            // three and more (trigram index)
            ("加油站", &[2]),
            ("安全生产", &[1]),
            ("烟花爆竹", &[3]),
            ("危险化学品仓", &[4]),
            ("DSJ-02", &[2]),
            ("dsj-02", &[2]),
            ("img_0042", &[3]),
            // several terms: all must match
            ("化工 张伟", &[1]),
            ("检查 王芳", &[4]),
            // wildcards are literal
            ("100%", &[4]),
            ("0%_", &[4]),
            // 1–2 character queries look at the Chinese names, not at file names
            ("%", &[]),
            ("%_", &[]),
            ("MP", &[]),
            ("案\"件", &[]),
            ("\"", &[]),
            ("不存在的案件", &[]),
        ];
        for (q, want) in cases {
            assert_eq!(&find(&db, &all, text(q)).await, want, "query {q:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn each_filter() {
    for_each_backend(|db: Db| async move {
        filled(&db).await;
        let v = keeper(GX);
        let d = |s: &str| Some(s.parse().unwrap());
        let ms = |s: &str| Some(s.parse::<Timestamp>().unwrap().as_millisecond());
        let cases: Vec<(RecordFilter, &[u8])> = vec![
            (RecordFilter::default(), &[3, 2, 1, 5]),
            (
                RecordFilter {
                    agency: Some(GX.into()),
                    ..Default::default()
                },
                &[3, 2, 1, 5],
            ),
            (
                RecordFilter {
                    agency: Some(WD.into()),
                    ..Default::default()
                },
                &[],
            ),
            (
                RecordFilter {
                    device: Some("DSJ-02".into()),
                    ..Default::default()
                },
                &[2],
            ),
            (
                RecordFilter {
                    officer: Some("张伟".into()),
                    ..Default::default()
                },
                &[3, 1],
            ),
            (
                RecordFilter {
                    officer: Some("张".into()),
                    ..Default::default()
                },
                &[],
            ),
            (
                RecordFilter {
                    case_name: Some("违规".into()),
                    ..Default::default()
                },
                &[3, 2],
            ),
            (
                RecordFilter {
                    case_name: Some("动火作业".into()),
                    ..Default::default()
                },
                &[2],
            ),
            (
                RecordFilter {
                    // in the party of 1 and 5, and in the case name of 1 only
                    party: Some("某化工有限".into()),
                    ..Default::default()
                },
                &[1, 5],
            ),
            (
                RecordFilter {
                    party: Some("王某".into()),
                    ..Default::default()
                },
                &[2],
            ),
            (
                RecordFilter {
                    record_date_from: d("2026-03-01"),
                    record_date_to: d("2026-03-05"),
                    ..Default::default()
                },
                &[2, 1],
            ),
            (
                RecordFilter {
                    stored_from_ms: ms("2026-03-05T00:00:00Z"),
                    ..Default::default()
                },
                &[3, 2],
            ),
            (
                RecordFilter {
                    stored_before_ms: ms("2026-03-05T09:00:00Z"),
                    ..Default::default()
                },
                &[1, 5],
            ),
            (
                RecordFilter {
                    kind: Some(MediaKind::Photo),
                    ..Default::default()
                },
                &[3],
            ),
            (
                RecordFilter {
                    late: Some(true),
                    ..Default::default()
                },
                &[2],
            ),
            (
                RecordFilter {
                    late: Some(false),
                    ..Default::default()
                },
                &[3, 1, 5],
            ),
            (
                RecordFilter {
                    probe_error: Some(true),
                    ..Default::default()
                },
                &[3],
            ),
            (
                RecordFilter {
                    officer: Some("张伟".into()),
                    record_date_from: d("2026-03-02"),
                    text: Some("烟花".into()),
                    ..Default::default()
                },
                &[3],
            ),
        ];
        for (f, want) in cases {
            assert_eq!(&find(&db, &v, f.clone()).await, want, "{f:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn visibility_is_applied_in_the_query() {
    for_each_backend(|db: Db| async move {
        filled(&db).await;
        assert_eq!(find(&db, &officer("张伟"), text("")).await, vec![3, 1]);
        assert_eq!(find(&db, &officer("王芳"), text("")).await, vec![4]);
        assert_eq!(find(&db, &keeper(WD), text("")).await, vec![4]);
        // The other unit's record never shows, whatever the filter says.
        assert_eq!(
            find(&db, &keeper(GX), text("危险化学品")).await,
            Vec::<u8>::new()
        );
        let f = RecordFilter {
            agency: Some(WD.into()),
            ..Default::default()
        };
        assert_eq!(find(&db, &officer("张伟"), f).await, Vec::<u8>::new());
        let both = vis(Some(WD), Some("李娜"));
        assert_eq!(find(&db, &both, text("")).await, vec![4, 2]);
        let nothing = vis(None, None);
        assert_eq!(find(&db, &nothing, text("")).await, Vec::<u8>::new());
    })
    .await;
}

#[tokio::test]
async fn sorting_and_paging() {
    for_each_backend(|db: Db| async move {
        filled(&db).await;
        let v = keeper(GX);
        let ids = |p: &liuhen_db::RecordPage| {
            p.records
                .iter()
                .map(|r| u8::from_str_radix(&r.id.as_str()[34..], 16).unwrap())
                .collect::<Vec<_>>()
        };
        let cases: &[(SortField, bool, &[u8])] = &[
            (SortField::RecordDate, true, &[3, 2, 1, 5]),
            (SortField::RecordDate, false, &[5, 1, 2, 3]),
            (SortField::StoredAt, false, &[5, 1, 2, 3]),
            (SortField::Size, true, &[5, 3, 2, 1]),
            (SortField::Name, false, &[2, 1, 5, 3]),
        ];
        for (field, descending, want) in cases {
            let sort = RecordSort {
                field: *field,
                descending: *descending,
            };
            let page = db
                .search_records(&v, &RecordFilter::default(), sort, 0, 100)
                .await
                .unwrap();
            assert_eq!(&ids(&page), want, "{sort:?}");
        }
        let sort = RecordSort::default();
        let f = RecordFilter::default();
        let p1 = db.search_records(&v, &f, sort, 0, 3).await.unwrap();
        let p2 = db.search_records(&v, &f, sort, 3, 3).await.unwrap();
        let p3 = db.search_records(&v, &f, sort, 6, 3).await.unwrap();
        assert_eq!(
            (ids(&p1), p1.total, p1.total_capped),
            (vec![3, 2, 1], 4, false)
        );
        assert_eq!((ids(&p2), p2.total), (vec![5], 4));
        assert_eq!((ids(&p3), p3.total), (Vec::<u8>::new(), 4));
        // The page size is capped.
        let big = db.search_records(&v, &f, sort, 0, 100_000).await.unwrap();
        assert_eq!(big.records.len(), 4);
    })
    .await;
}

#[tokio::test]
async fn index_follows_classification_changes() {
    for_each_backend(|db: Db| async move {
        filled(&db).await;
        let v = keeper(GX);
        let mut r = record(&fixtures()[1]);
        r.classification.case_name = Some("某液化气站检查".into());
        let mut tx = db.begin().await.unwrap();
        tx.update_record(&r, 9).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(find(&db, &v, text("液化气")).await, vec![2]);
        assert_eq!(find(&db, &v, text("液化")).await, vec![2]);
        assert_eq!(find(&db, &v, text("加油站")).await, Vec::<u8>::new());
        assert_eq!(find(&db, &v, text("油站")).await, Vec::<u8>::new());
    })
    .await;
}

/// Enough records that a free-text search takes either plan: common terms are answered by
/// reading the visible records in sort order, rare terms and deep pages through the text
/// indexes. Both must give exactly what a plain filter over all records gives.
#[tokio::test]
async fn common_and_rare_terms_match_a_brute_force_filter() {
    const TRADES: [&str; 4] = [
        "化工有限公司",
        "煤业有限公司",
        "建材有限公司",
        "物流有限公司",
    ];
    const CASES: [&str; 3] = ["动火作业违规案", "安全生产检查", "粉尘涉爆专项检查"];
    let records: Vec<Record> = (0..6_000u32)
        .map(|i| {
            let agency = if i % 5 == 4 { WD } else { GX };
            let rare = i % 211 == 7;
            let company = if rare {
                "天瑞化工有限公司".to_owned()
            } else {
                format!("宏达{}", TRADES[(i as usize / 3) % 4])
            };
            let case_name = format!("{company}{}", CASES[(i as usize / 7) % 3]);
            let party = if i % 173 == 5 {
                "郭某".to_owned()
            } else if i % 19 == 3 {
                "萧某".to_owned()
            } else {
                company
            };
            let day = jiff::civil::date(2025, 1, 1)
                .checked_add(jiff::Span::new().days(i64::from((i * 7919) % 400)))
                .unwrap();
            let mut r = record(&spec(0, agency, "李强", "x"));
            r.id = RecordId::parse(&format!("0190f3a0-0000-7000-8000-{:012x}", i)).unwrap();
            let mut digest = [0u8; 32];
            digest[..4].copy_from_slice(&i.to_be_bytes());
            r.sha256 = Sha256Digest::from_bytes(digest);
            r.sm3 = Sm3Digest::from_bytes(digest);
            r.size_bytes = u64::from((i * 31) % 977);
            r.original_name = format!("2025_{:05}.MP4", (i * 13) % 6_000);
            r.classification.case_name = Some(case_name);
            r.classification.party = Some(party);
            r.record_date = Some(day);
            r
        })
        .collect();
    for_each_backend(|db: Db| {
        let records = records.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            for r in &records {
                tx.insert_record(r, 0).await.unwrap();
            }
            tx.commit().await.unwrap();
            db.optimize().await.unwrap();
            let v = keeper(GX);
            let key = |r: &Record, f: SortField| -> String {
                match f {
                    SortField::RecordDate => r.record_date.unwrap().to_string(),
                    SortField::StoredAt => format!("{:020}", r.stored_at.as_millisecond()),
                    SortField::Size => format!("{:020}", r.size_bytes),
                    SortField::Name => r.original_name.clone(),
                }
            };
            // Common (化工, 动火作业, 检查), rare (郭某, 天瑞化工, 某) and in between (萧某:
            // rare, yet its first pages are found in the sort index) terms.
            for q in [
                "化工",
                "动火作业",
                "郭某",
                "萧某",
                "天瑞化工",
                "宏达 检查",
                "某",
            ] {
                for sort in [
                    RecordSort::default(),
                    RecordSort {
                        field: SortField::Name,
                        descending: false,
                    },
                    RecordSort {
                        field: SortField::Size,
                        descending: true,
                    },
                ] {
                    let mut want: Vec<&Record> = records
                        .iter()
                        .filter(|r| r.classification.agency.as_deref() == Some(GX))
                        .filter(|r| {
                            q.split_whitespace().all(|t| {
                                let c = &r.classification;
                                [&c.case_name, &c.party, &c.officer]
                                    .iter()
                                    .any(|s| s.as_deref().unwrap_or("").contains(t))
                                    || (t.chars().count() >= 3 && r.original_name.contains(t))
                            })
                        })
                        .collect();
                    want.sort_by(|a, b| {
                        let o = key(a, sort.field)
                            .cmp(&key(b, sort.field))
                            .then(a.id.as_str().cmp(b.id.as_str()));
                        if sort.descending { o.reverse() } else { o }
                    });
                    for (offset, limit) in
                        [(0u64, 20u32), (20, 20), (380, 20), (0, 100), (2_000, 50)]
                    {
                        let page = db
                            .search_records(&v, &text(q), sort, offset, limit)
                            .await
                            .unwrap();
                        let got: Vec<&str> = page.records.iter().map(|r| r.id.as_str()).collect();
                        let expect: Vec<&str> = want
                            .iter()
                            .skip(offset as usize)
                            .take(limit as usize)
                            .map(|r| r.id.as_str())
                            .collect();
                        assert_eq!(got, expect, "{q} {sort:?} offset {offset}");
                        let n = want.len() as u64;
                        assert_eq!(
                            (page.total, page.total_capped),
                            (n.min(liuhen_db::COUNT_CAP), n > liuhen_db::COUNT_CAP),
                            "{q} {sort:?} offset {offset}: {n} matches"
                        );
                    }
                }
            }
        }
    })
    .await;
}
