//! `liuhen export evidence|preservation|transfer` (issue 19): each builds its package for the
//! entitled person and names its refusal otherwise — evidence of records not linked to the
//! case (`evidence_not_of_case`) or of an archived case (`case_archived`), preservation
//! without a hold in force (`preservation_not_held`), transfer of a case not archived
//! (`case_not_archived`), and anyone outside the role (`role_not_permitted`).

use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use liuhen_app::case_work::CaseEdit;
use liuhen_app::cases::{NewCase, NewStep};
use liuhen_app::holds::HoldTarget;
use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_app::{Custody, OpenOptions};
use liuhen_domain::authz::Principal;
use liuhen_domain::case::{CaseCategory, CaseFlags, CaseStatus};
use liuhen_domain::{Classification, RecordId, Role};

use crate::export::person;
use crate::support::{TestApp, require_tool};

const NUMBER: &str = "甲应急检〔2026〕31号";

/// A case of 甲局 with two linked records and one unlinked; the officer 张伟 (its team,
/// token `zhangwei.token`) and the keeper 赵敏 (`zhaomin.token`). Returns the case id, the
/// unlinked record and the keeper.
async fn case_with_records(app: &TestApp) -> (String, RecordId, Principal) {
    let c = Custody::open(OpenOptions::new(&app.data)).await.unwrap();
    let zhang = person(&c, "zhangwei", "张伟", Role::Officer).await;
    let keeper = person(&c, "zhaomin", "赵敏", Role::RecordsKeeper).await;
    let src = app.work.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("现场 01.MP4"), b"first original".repeat(300)).unwrap();
    std::fs::write(src.join("现场 02.MP4"), b"second original".repeat(300)).unwrap();
    std::fs::write(src.join("无关.MP4"), b"not of the case".repeat(300)).unwrap();
    let opts = IngestOptions {
        actor: keeper.user_id.clone(),
        classification: Classification {
            agency: Some("甲局".into()),
            officer: Some("张伟".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let summary = c.ingest(&[src], &opts, Arc::new(NoProgress)).await;
    assert_eq!(summary.stored, 3, "{:?}", summary.reports);
    let id_of = |needle: &str| {
        let r = summary
            .reports
            .iter()
            .find(|r| r.path.contains(needle))
            .unwrap();
        RecordId::parse(r.record_id.as_deref().unwrap()).unwrap()
    };
    let case = c
        .create_case(
            &NewCase {
                number: NUMBER.into(),
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
    for id in [id_of("01"), id_of("02")] {
        c.link_record(&step.step.id, &id, &keeper.user_id)
            .await
            .unwrap();
    }
    for (user, who) in [("zhangwei", &zhang), ("zhaomin", &keeper)] {
        let token = c.create_api_token(&who.user_id, "cli").await.unwrap();
        app.token_file(user, &token);
    }
    c.db().close().await;
    (case.id, id_of("无关"), keeper)
}

/// Runs `liuhen export …` as `user` (its token file).
fn export(app: &TestApp, user: &str, args: &[&str]) -> Output {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    app.run_as(&app.work.join(format!("{user}.token")), &all)
}

/// The command failed with `code` named on stderr, and left no package behind.
fn refused(out: &Output, code: &str, dir: &Path) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(code), "{code:?} not in: {stderr}");
    assert!(!dir.exists(), "{} left behind", dir.display());
}

/// `verify-package` of `path`, with no data directory.
fn verifies(app: &TestApp, path: &Path) {
    let out = std::process::Command::new(crate::support::bin())
        .arg("--data-dir")
        .arg(app.work.join("never-created"))
        .arg("verify-package")
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("证据包完好"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The keeper places a preservation hold on the case, or archives it.
async fn hold_or_archive(app: &TestApp, keeper: &Principal, case: &str, archive: bool) {
    let c = Custody::open(OpenOptions::new(&app.data)).await.unwrap();
    if archive {
        let edit = CaseEdit {
            status: Some(CaseStatus::Archived),
            ..CaseEdit::default()
        };
        c.edit_case(keeper, case, &edit, "结案归档").await.unwrap();
    } else {
        c.place_hold(
            keeper,
            &HoldTarget::Case(case.to_owned()),
            "objection",
            "当事人提出异议",
        )
        .await
        .unwrap();
    }
    c.db().close().await;
}

#[tokio::test]
async fn export_evidence_preservation_and_transfer_build_or_name_their_refusal() {
    let app = TestApp::new();
    let (case, unlinked, keeper) = case_with_records(&app).await;
    let dir = |n: &str| app.work.join(n);
    let path = |n: &str| dir(n).to_str().unwrap().to_owned();
    let evidence = |records: &[&str], out: &str| {
        let mut args = vec![
            "evidence",
            NUMBER,
            "--extractor",
            "李律师",
            "--proves",
            "当事人拒绝检查的经过",
            "--out",
        ];
        let out = path(out);
        args.push(&out);
        for r in records {
            args.extend(["--record", r]);
        }
        export(&app, "zhangwei", &args)
    };

    // Evidence: a record not linked to the case is refused; the case's own go out.
    refused(
        &evidence(&[unlinked.as_str()], "e1"),
        "evidence_not_of_case",
        &dir("e1"),
    );
    let with_iso = require_tool("xorriso");
    let mut args = vec![
        "evidence",
        NUMBER,
        "--extractor",
        "李律师",
        "--proves",
        "现场经过",
        "--json",
    ];
    let (out_dir, iso) = (path("ev"), path("ev.iso"));
    args.extend(["--out", &out_dir]);
    if with_iso {
        args.extend(["--iso", &iso]);
    }
    let out = export(&app, "zhangwei", &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["package"]["records"], 2, "{v}");
    verifies(&app, &dir("ev"));
    if with_iso {
        verifies(&app, &dir("ev.iso"));
    }

    // Preservation: the officer is not a keeper; without a hold nothing is preserved.
    let preserve =
        |user: &str, out: &str| export(&app, user, &["preservation", &case, "--out", &path(out)]);
    refused(
        &preserve("zhangwei", "p0"),
        "role_not_permitted",
        &dir("p0"),
    );
    refused(
        &preserve("zhaomin", "p1"),
        "preservation_not_held",
        &dir("p1"),
    );
    hold_or_archive(&app, &keeper, &case, false).await;
    let out = preserve("zhaomin", "pv");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("证据包已导出"));
    verifies(&app, &dir("pv"));

    // Transfer: only of an archived case, by a keeper.
    let transfer =
        |user: &str, out: &str| export(&app, user, &["transfer", NUMBER, "--out", &path(out)]);
    refused(&transfer("zhaomin", "t0"), "case_not_archived", &dir("t0"));
    hold_or_archive(&app, &keeper, &case, true).await;
    refused(
        &transfer("zhangwei", "t1"),
        "role_not_permitted",
        &dir("t1"),
    );
    let out = transfer("zhaomin", "tv");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The originals here are not media: the usability check fails, which the report names
    // and the exit status says; the package is written all the same.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("归档移交包已生成") && stdout.contains("可用性：不合格"),
        "{stdout}"
    );
    verifies(&app, &dir("tv"));

    // An archived case file takes no more evidence.
    refused(&evidence(&[], "e2"), "case_archived", &dir("e2"));
}
