//! Package sources besides a copy request (issue 19): an evidence submission (R2.9: no
//! approval, but the case's team, records of the case, an open case file) and a long-term
//! preservation (R3.7: a records keeper of the unit, records under a hold in force); each
//! its own log entry; both packages verify offline.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use liuhen_app::case_work::CaseEdit;
use liuhen_app::cases::{NewCase, NewStep};
use liuhen_app::holds::HoldTarget;
use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_app::package::sources::Source;
use liuhen_app::package::verify::verify_dir;
use liuhen_app::{AppError, Custody};
use liuhen_domain::case::{CaseCategory, CaseFlags, CaseStatus};
use liuhen_domain::{Classification, RecordId, Role};

use crate::support::{for_each_backend, user};

fn code<T: std::fmt::Debug>(r: Result<T, AppError>) -> String {
    match r {
        Err(AppError::Refused { code, .. } | AppError::Forbidden { code, .. }) => code.to_owned(),
        Err(AppError::NotFound(_)) => "not_found".into(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn evidence_and_preservation_packages_have_their_own_authorization_and_entry() {
    for_each_backend(|c: Custody| async move {
        let work = tempfile::tempdir().unwrap();
        let zhang = user(&c, "zhangwei", "张伟", &[Role::Officer], "甲局").await;
        let wang = user(&c, "wangwu", "王五", &[Role::Officer], "甲局").await;
        let keeper = user(&c, "zhaomin", "赵敏", &[Role::RecordsKeeper], "甲局").await;
        let src = work.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("现场 01.MP4"), b"first original".repeat(300)).unwrap();
        std::fs::write(src.join("现场 02.MP4"), b"second original".repeat(300)).unwrap();
        std::fs::write(src.join("无关.MP4"), b"not of the case".repeat(300)).unwrap();
        let summary = c
            .ingest(
                &[src],
                &IngestOptions {
                    actor: keeper.user_id.clone(),
                    classification: Classification {
                        agency: Some("甲局".into()),
                        officer: Some("张伟".into()),
                        ..Default::default()
                    },
                    ..Default::default()
                },
                Arc::new(NoProgress),
            )
            .await;
        assert_eq!(summary.stored, 3, "{:?}", summary.reports);
        let id_of = |needle: &str| {
            let r = summary
                .reports
                .iter()
                .find(|r| r.path.contains(needle))
                .unwrap();
            RecordId::parse(r.record_id.as_deref().unwrap()).unwrap()
        };
        let (a, b, other) = (id_of("01"), id_of("02"), id_of("无关"));
        let case = c
            .create_case(
                &NewCase {
                    number: "甲应急检〔2026〕31号".into(),
                    name: "某厂检查".into(),
                    category: CaseCategory::Inspection,
                    agency: "甲局".into(),
                    department: "执法监察处".into(),
                    parties: vec![],
                    team: vec!["张伟".into()],
                    flags: CaseFlags::default(),
                },
                &keeper.user_id,
            )
            .await
            .unwrap();
        let t0: Timestamp = "2026-03-02T02:00:00Z".parse().unwrap();
        let step = c
            .add_step(
                &case.id,
                &NewStep {
                    checklist_row: Some("2.7".into()),
                    name: None,
                    window: (t0, t0 + SignedDuration::from_mins(30)),
                    place: "某厂".into(),
                    officers: vec!["张伟".into()],
                    on_site: true,
                    disputed: false,
                },
                &keeper.user_id,
            )
            .await
            .unwrap();
        for id in [&a, &b] {
            c.link_record(&step.step.id, id, &keeper.user_id)
                .await
                .unwrap();
        }
        let evidence = |records: Vec<RecordId>| Source::Evidence {
            case: case.number.clone(),
            records,
            extractor: "李律师".into(),
            proves: "当事人拒绝检查的经过".into(),
        };
        let dir = |n: &str| work.path().join(n);

        // Evidence: no approval, but only the case's team, only records of the case.
        assert_ne!(
            code(
                c.export_source_package(&wang, "王五", &evidence(vec![]), &dir("e0"))
                    .await
            ),
            ""
        );
        assert_eq!(
            code(
                c.export_source_package(&zhang, "张伟", &evidence(vec![other.clone()]), &dir("e1"))
                    .await
            ),
            "evidence_not_of_case"
        );
        let missing = Source::Evidence {
            case: case.number.clone(),
            records: vec![],
            extractor: "李律师".into(),
            proves: " ".into(),
        };
        assert!(matches!(
            c.export_source_package(&zhang, "张伟", &missing, &dir("e2"))
                .await,
            Err(AppError::Invalid(_))
        ));
        let report = c
            .export_source_package(&zhang, "张伟", &evidence(vec![a.clone()]), &dir("ev"))
            .await
            .unwrap();
        assert_eq!(report.records, 1);
        let v = verify_dir(&dir("ev"), None);
        assert!(v.ok, "{:?}", v.problems);
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir("ev").join("data/manifest.json")).unwrap())
                .unwrap();
        assert_eq!(manifest["request"]["kind"], "evidence");

        // Preservation: a keeper of the unit, only with a hold in force.
        assert_eq!(
            code(
                c.export_source_package(
                    &keeper,
                    "赵敏",
                    &Source::Preservation {
                        case: case.id.clone()
                    },
                    &dir("p0")
                )
                .await
            ),
            "preservation_not_held"
        );
        c.place_hold(
            &keeper,
            &HoldTarget::Case(case.id.clone()),
            "objection",
            "当事人提出异议",
        )
        .await
        .unwrap();
        assert_ne!(
            code(
                c.export_source_package(
                    &zhang,
                    "张伟",
                    &Source::Preservation {
                        case: case.id.clone()
                    },
                    &dir("p1")
                )
                .await
            ),
            ""
        );
        let kept = c
            .export_source_package(
                &keeper,
                "赵敏",
                &Source::Preservation {
                    case: case.id.clone(),
                },
                &dir("pv"),
            )
            .await
            .unwrap();
        assert_eq!(kept.records, 2);
        assert!(verify_dir(&dir("pv"), None).ok);

        let log = c
            .db()
            .entries_for(&format!("case:{}", case.id))
            .await
            .unwrap();
        let actions: Vec<&str> = log
            .iter()
            .map(|e| e.action.as_str())
            .filter(|a| a.starts_with("package."))
            .collect();
        assert_eq!(
            actions,
            ["package.evidence_exported", "package.preservation_exported"]
        );
        let body: serde_json::Value = serde_json::from_str(
            &log.iter()
                .find(|e| e.action == "package.evidence_exported")
                .unwrap()
                .body,
        )
        .unwrap();
        assert_eq!(body["details"]["proves"], "当事人拒绝检查的经过");
        assert_eq!(body["details"]["package"], report.package.as_str());

        // The burn-form scan binding (migration 0035) on this backend: once per bytes, and
        // verify counts the blob as a scan, not an orphan.
        let row = liuhen_db::PackageScanRow {
            package: report.package.clone(),
            sha256: "ab".repeat(32),
            request_id: "r-1".into(),
            file_name: "签字.pdf".into(),
            media_type: "application/pdf".into(),
            size_bytes: 12,
            attached_ms: 1,
            attached_by: keeper.user_id.clone(),
        };
        for first in [true, false] {
            let mut tx = c.db().begin().await.unwrap();
            assert_eq!(tx.put_package_scan(&row).await.unwrap(), first);
            tx.commit().await.unwrap();
        }
        assert_eq!(
            c.db().package_scans(&report.package).await.unwrap(),
            vec![row.clone()]
        );
        let refs = c.db().secondary_blob_refs().await.unwrap();
        assert!(
            refs.iter()
                .any(|(k, o, s, _)| k == "burn_scan" && o == &row.package && s == &row.sha256)
        );

        // An archived case file takes no more evidence.
        let archive = CaseEdit {
            status: Some(CaseStatus::Archived),
            ..CaseEdit::default()
        };
        c.edit_case(&keeper, &case.id, &archive, "结案归档")
            .await
            .unwrap();
        assert_eq!(
            code(
                c.export_source_package(&zhang, "张伟", &evidence(vec![]), &dir("e3"))
                    .await
            ),
            "case_archived"
        );
    })
    .await;
}
