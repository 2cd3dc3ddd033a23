//! Retention follows the case (issue 12), on both backends, with the clock moved by years:
//! linking, flags and archiving extend the row, its log entry and the store's lock (local
//! sidecar); nothing ever shortens it.

use std::future::Future;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use liuhen_app::case_work::CaseEdit;
use liuhen_app::cases::{CaseFlag, NewCase, NewStep};
use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_app::verify::{Quiet, VerifyOptions};
use liuhen_app::{Custody, MovableClock, OpenOptions};
use liuhen_domain::RecordId;
use liuhen_domain::case::{CaseCategory, CaseFlags, CaseStatus};

/// Runs `test` on both backends with a movable clock and the temporary directory.
pub(crate) async fn for_each_backend<F, Fut>(test: F)
where
    F: Fn(Custody, Arc<MovableClock>, std::path::PathBuf) -> Fut,
    Fut: Future<Output = ()>,
{
    crate::support::for_each_backend_with("", test).await;
}

/// The records keeper of 甲局 (the unit of the test cases and records).
pub(crate) fn keeper() -> liuhen_domain::authz::Principal {
    liuhen_domain::authz::Principal {
        user_id: "keeper".into(),
        roles: vec![liuhen_domain::Role::RecordsKeeper],
        unit: Some("甲局".into()),
        department: None,
        officer_name: "赵敏".into(),
    }
}

fn beijing() -> TimeZone {
    TimeZone::fixed(jiff::tz::offset(8))
}

/// 1 January (Beijing) of the year after `t`, plus `years`: worked out here with the
/// calendar, not with the rules under test.
fn jan_first_after(t: Timestamp, years: i16) -> Timestamp {
    let year = t.to_zoned_datetime(beijing()).year();
    Date::new(year + 1 + years, 1, 1)
        .unwrap()
        .to_zoned_datetime(beijing())
        .unwrap()
        .timestamp()
}

pub(crate) async fn ingest_one(c: &Custody, dir: &std::path::Path, content: &str) -> RecordId {
    let path = dir.join(format!("{}.bin", uuid::Uuid::now_v7().simple()));
    std::fs::write(&path, content).unwrap();
    let opts = IngestOptions {
        actor: "keeper".into(),
        classification: liuhen_domain::Classification {
            agency: Some("甲局".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let summary = c.ingest(&[path], &opts, Arc::new(NoProgress)).await;
    let id = summary.reports[0].record_id.clone().expect("ingested");
    RecordId::parse(&id).unwrap()
}

pub(crate) async fn case_with_step(c: &Custody, number: &str) -> (String, String) {
    let case = c
        .create_case(
            &NewCase {
                number: number.into(),
                name: format!("案件 {number}"),
                category: CaseCategory::Penalty,
                agency: "甲局".into(),
                department: "执法一科".into(),
                parties: vec![],
                team: vec!["张伟".into()],
                flags: CaseFlags::default(),
            },
            "keeper",
        )
        .await
        .unwrap();
    let now = c.now();
    let step = c
        .add_step(
            &case.id,
            &NewStep {
                checklist_row: None,
                name: Some("现场检查".into()),
                window: (now, now + jiff::SignedDuration::from_mins(30)),
                place: "厂区".into(),
                officers: vec!["张伟".into()],
                on_site: true,
                disputed: false,
            },
            "keeper",
        )
        .await
        .unwrap();
    (case.id, step.step.id)
}

async fn lock_of(c: &Custody, id: &RecordId) -> Timestamp {
    let r = c.record(id).await.unwrap();
    c.blobs().retention(&r.sha256).unwrap().unwrap()
}

#[tokio::test]
async fn retention_follows_links_flags_and_archiving() {
    for_each_backend(|c, clock, dir| async move {
        let id = ingest_one(&c, &dir, &format!("clip {}", dir.display())).await;
        let ingested = c.record(&id).await.unwrap();
        // No capture time: 3 years from the day it entered custody, to the end of that day.
        let day = ingested.stored_at.to_zoned_datetime(beijing()).date();
        let three = day
            .checked_add(jiff::Span::new().years(3).days(1))
            .unwrap()
            .to_zoned_datetime(beijing())
            .unwrap()
            .timestamp();
        assert_eq!(ingested.retain_until, three);

        // Linked to an open ordinary case: at least 5 years from 1 January next year.
        let (case, step) = case_with_step(&c, "2026-001").await;
        c.link_record(&step, &id, "keeper").await.unwrap();
        let linked = c.record(&id).await.unwrap();
        assert_eq!(linked.retain_until, jan_first_after(c.now(), 5));
        assert_eq!(lock_of(&c, &id).await, linked.retain_until);
        let history = c.record_history(&id).await.unwrap();
        let last = history.last().unwrap();
        assert_eq!(last.action, "record.retention_extended");
        let body = liuhen_db::EntryBody::parse(&last.body).unwrap();
        assert_eq!(body.details["basis"]["kind"], "case");
        assert_eq!(body.details["basis"]["case"], case.as_str());
        assert_eq!(body.details["basis"]["class"], "ordinary");
        assert_eq!(body.details["basis"]["open"], true);

        // Two years on the case is archived: counted from 1 January after archiving.
        clock.advance_years(2);
        let archived_at = c.now();
        c.edit_case(
            &crate::retention::keeper(),
            &case,
            &CaseEdit {
                status: Some(CaseStatus::Archived),
                ..Default::default()
            },
            "归档",
        )
        .await
        .unwrap();
        let after_archive = c.record(&id).await.unwrap();
        assert_eq!(after_archive.retain_until, jan_first_after(archived_at, 5));
        assert_eq!(lock_of(&c, &id).await, after_archive.retain_until);

        // An archived file is closed (R4.7): reclassifying it needs a reasoned request the deputy
        // head approves. A complex case: 30 years; then permanent: the lock reaches 100
        // years ahead.
        let deputy = liuhen_domain::authz::Principal {
            user_id: "deputy".into(),
            roles: vec![liuhen_domain::Role::DeputyHead],
            officer_name: "王副局长".into(),
            ..keeper()
        };
        c.request_reopen(&keeper(), &case, "补充认定案件类别")
            .await
            .unwrap();
        c.reopen_case(&deputy, &case, true, "同意").await.unwrap();
        c.set_case_flag(&case, CaseFlag::Complex, true, "多个法律关系", "keeper")
            .await
            .unwrap();
        let complex = c.record(&id).await.unwrap();
        assert_eq!(complex.retain_until, jan_first_after(archived_at, 30));
        c.set_case_flag(&case, CaseFlag::MajorPenalty, true, "重大处罚", "keeper")
            .await
            .unwrap();
        let permanent = c.record(&id).await.unwrap();
        let hundred = c
            .now()
            .to_zoned_datetime(beijing())
            .checked_add(jiff::Span::new().years(100))
            .unwrap()
            .timestamp();
        let diff = hundred
            .duration_since(permanent.retain_until)
            .as_secs()
            .abs();
        assert!(
            diff < 60,
            "permanent lock {} vs {hundred}",
            permanent.retain_until
        );
        assert_eq!(lock_of(&c, &id).await, permanent.retain_until);
        let shown = c.record_retention(&id).await.unwrap();
        assert!(shown.target.permanent);
        assert_eq!(shown.basis_case().unwrap().number, "2026-001");

        // Clearing the flags, unlinking, six more years: nothing shrinks by itself.
        c.set_case_flag(&case, CaseFlag::MajorPenalty, false, "更正", "keeper")
            .await
            .unwrap();
        c.unlink_record(&step, &id, "误关联", "keeper")
            .await
            .unwrap();
        clock.advance_years(6);
        assert_eq!(
            c.follow_retention(&id, "keeper", "复核").await.unwrap(),
            None
        );
        assert_eq!(
            c.record(&id).await.unwrap().retain_until,
            permanent.retain_until
        );
        assert_eq!(lock_of(&c, &id).await, permanent.retain_until);

        // The row, its entries and the log still agree.
        let report = c
            .verify(VerifyOptions { fixity: true }, &Quiet)
            .await
            .unwrap();
        assert!(report.ok, "{:?}", report.problems);
    })
    .await;
}

/// A fresh Object Lock bucket on the SeaweedFS of `scripts/s3-up.sh`; `None` (skip) without
/// `LIUHEN_TEST_S3_ENDPOINT`, a failure under `CI=true`.
pub(crate) fn fresh_s3() -> Option<liuhen_blob::S3Store> {
    let Ok(endpoint) = std::env::var("LIUHEN_TEST_S3_ENDPOINT") else {
        liuhen_test_support::missing("LIUHEN_TEST_S3_ENDPOINT (eval \"$(scripts/s3-up.sh)\")");
        return None;
    };
    let var =
        |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} must be set with the endpoint"));
    let store = liuhen_blob::S3Store::new(liuhen_blob::S3Config {
        endpoint,
        region: "us-east-1".into(),
        bucket: format!("liuhen-test-{}", uuid::Uuid::now_v7().simple()),
        access_key: var("LIUHEN_TEST_S3_ACCESS_KEY"),
        secret_key: var("LIUHEN_TEST_S3_SECRET_KEY"),
    })
    .unwrap();
    store.create_bucket_with_object_lock().unwrap();
    Some(store)
}

/// SeaweedFS, real: a record linked to a permanent case gets its object's COMPLIANCE
/// retain-until extended to the permanent lock (today's 3-year lock would lapse).
#[tokio::test]
async fn s3_retention_follows_a_permanent_case() {
    let Some(store) = fresh_s3() else { return };
    let dir = tempfile::tempdir().unwrap();
    let clock = MovableClock::new();
    let c = Custody::open(OpenOptions {
        blobs: Some(Arc::new(store)),
        clock: Some(clock.clone()),
        ..OpenOptions::new(dir.path().join("data"))
    })
    .await
    .unwrap();
    let id = ingest_one(&c, dir.path(), "a permanent case's clip").await;
    let before = lock_of(&c, &id).await;
    assert_eq!(before, c.record(&id).await.unwrap().retain_until);
    assert!(before < c.now() + jiff::SignedDuration::from_hours(4 * 8766));

    let (case, step) = case_with_step(&c, "2026-900").await;
    c.set_case_flag(
        &case,
        CaseFlag::MajorPenalty,
        true,
        "重大行政处罚",
        "keeper",
    )
    .await
    .unwrap();
    c.link_record(&step, &id, "keeper").await.unwrap();
    let row = c.record(&id).await.unwrap().retain_until;
    assert!(row > c.now() + jiff::SignedDuration::from_hours(99 * 8766));
    assert_eq!(
        lock_of(&c, &id).await,
        row,
        "the S3 object's retain-until follows"
    );

    // A hold on the case is mirrored as the object's legal hold (also for a record linked
    // later), and released when lifted.
    let keeper = liuhen_domain::authz::Principal {
        user_id: "keeper".into(),
        roles: vec![liuhen_domain::Role::RecordsKeeper],
        unit: None,
        department: None,
        officer_name: "赵敏".into(),
    };
    let leader = liuhen_domain::authz::Principal {
        user_id: "leader".into(),
        roles: vec![liuhen_domain::Role::EnforcementLeader],
        ..keeper.clone()
    };
    let hold = c
        .place_hold(
            &keeper,
            &liuhen_app::holds::HoldTarget::Case(case.clone()),
            "important_case",
            "",
        )
        .await
        .unwrap();
    let sha = c.record(&id).await.unwrap().sha256;
    assert_eq!(c.blobs().legal_hold(&sha).unwrap(), Some(true));
    let later = ingest_one(&c, dir.path(), "linked after the hold").await;
    c.link_record(&step, &later, "keeper").await.unwrap();
    let later_sha = c.record(&later).await.unwrap().sha256;
    assert_eq!(c.blobs().legal_hold(&later_sha).unwrap(), Some(true));
    c.lift_hold(&leader, &hold.id, "案件复议结束")
        .await
        .unwrap();
    assert_eq!(c.blobs().legal_hold(&sha).unwrap(), Some(false));
    assert_eq!(c.blobs().legal_hold(&later_sha).unwrap(), Some(false));

    // Renewed: years later a recomputation carries the permanent lock further.
    clock.advance_years(10);
    let renewed = c
        .follow_retention(&id, "keeper", "续期")
        .await
        .unwrap()
        .unwrap();
    assert!(renewed.retain_until > row);
    assert_eq!(lock_of(&c, &id).await, renewed.retain_until);
}

/// Regression (issue 12): a local retention sidecar shortened by hand to 2020 passed
/// `verify`. Now it is `lock_short`.
#[tokio::test]
async fn a_sidecar_shortened_by_hand_fails_verify() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let c = Custody::open(OpenOptions::new(&data)).await.unwrap();
    let id = ingest_one(&c, dir.path(), "kept three years").await;
    let verify = |c: Custody| async move {
        c.verify(VerifyOptions { fixity: true }, &Quiet)
            .await
            .unwrap()
    };
    assert!(verify(c.clone()).await.ok);

    let hex = c.record(&id).await.unwrap().sha256.to_hex();
    let sidecar = data
        .join("blobs/retention")
        .join(&hex[0..2])
        .join(&hex[2..4])
        .join(&hex);
    assert!(sidecar.exists(), "{}", sidecar.display());
    std::fs::remove_file(&sidecar).unwrap();
    std::fs::write(&sidecar, "2020-01-01T00:00:00Z").unwrap();
    let report = verify(c.clone()).await;
    assert!(!report.ok);
    let codes: Vec<&str> = report.problems.iter().map(|p| p.code).collect();
    assert_eq!(codes, ["lock_short"], "{:?}", report.problems);
    assert_eq!(report.problems[0].subject, format!("record:{id}"));
}

/// The server's periodic recomputation renews a permanent record's lock once it has
/// fallen more than a year behind its horizon, and leaves other records alone.
#[tokio::test]
async fn the_periodic_recomputation_renews_permanent_locks() {
    for_each_backend(|c, clock, dir| async move {
        let kept = ingest_one(&c, &dir, &format!("permanent {}", dir.display())).await;
        let other = ingest_one(&c, &dir, &format!("ordinary {}", dir.display())).await;
        let (case, step) = case_with_step(&c, "2026-P").await;
        c.set_case_flag(&case, CaseFlag::MajorPenalty, true, "重大处罚", "keeper")
            .await
            .unwrap();
        c.link_record(&step, &kept, "keeper").await.unwrap();
        let first = c.record(&kept).await.unwrap().retain_until;
        let other_until = c.record(&other).await.unwrap().retain_until;
        assert_eq!(c.follow_all_retention("system").await.unwrap(), 0);
        clock.advance_years(2);
        assert_eq!(c.follow_all_retention("system").await.unwrap(), 1);
        let renewed = c.record(&kept).await.unwrap().retain_until;
        assert!(renewed > first);
        assert_eq!(lock_of(&c, &kept).await, renewed);
        assert_eq!(c.record(&other).await.unwrap().retain_until, other_until);
        assert_eq!(c.follow_all_retention("system").await.unwrap(), 0);
    })
    .await;
}
