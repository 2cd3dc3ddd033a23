//! The disc-burn record form's people (issue 19): the records' officers and camera
//! operators and the unit's head of department confirm it in the system (logged, once, name
//! and time), others are refused; the printed form carries the confirmations; the signed
//! scan is attached with its digest logged.

use std::process::Command;

use liuhen_app::cases::{NewCase, NewStep};
use liuhen_app::package::burn::Owner;
use liuhen_app::{AppError, Custody, OpenOptions};
use liuhen_domain::Role;
use liuhen_domain::case::{CaseCategory, CaseFlags};

use crate::support::user;

/// `printf '%PDF-1.4\n%% signed burn form scan\n' | sha256sum`
const SCAN: &[u8] = b"%PDF-1.4\n% signed burn form scan\n";
const SCAN_SHA256: &str = "fc5bc5a28d289af2915efaea98ec771c5d835cc148cd40e89f53f0760aaf602e";

#[tokio::test]
async fn participants_confirm_the_burn_form_and_the_signed_scan_is_attached() {
    let work = tempfile::tempdir().unwrap();
    let c = Custody::open(OpenOptions::new(work.path().join("data")))
        .await
        .unwrap();
    // Accounts first: ingest maps the officer's name to the unit's account.
    let zhang = user(&c, "zhangwei", "张伟", &[Role::Officer], "甲局").await;
    let li = user(&c, "lina", "李娜", &[Role::CameraOperator], "甲局").await;
    let head = user(&c, "liuzr", "刘主任", &[Role::DepartmentHead], "甲局").await;
    let outsider = user(&c, "wangwu", "王五", &[Role::Officer], "甲局").await;
    let (keeper, request) = crate::export::made_copy(&c, work.path()).await;
    let built = c
        .export_package_stored(&keeper, "赵敏", &request)
        .await
        .unwrap();
    let package = built.package;

    let people = c
        .burn_participants(Owner::Request(&request), &package)
        .await
        .unwrap();
    let lines: Vec<(String, &str)> = people.iter().map(|p| (p.name.clone(), p.role)).collect();
    assert_eq!(
        lines,
        vec![
            ("张伟".to_owned(), "执法人员"),
            ("李娜".to_owned(), "摄录人员"),
            ("刘主任".to_owned(), "部门负责人"),
        ]
    );
    assert!(people.iter().all(|p| p.confirmed_ms.is_none()));

    let refused = c
        .confirm_burn_form(&outsider, "王五", Owner::Request(&request), &package)
        .await;
    assert!(
        matches!(
            refused,
            Err(AppError::Refused {
                code: "burn_not_participant",
                ..
            })
        ),
        "{refused:?}"
    );
    for (who, name) in [(&zhang, "张伟"), (&li, "李娜"), (&head, "刘主任")] {
        c.confirm_burn_form(who, name, Owner::Request(&request), &package)
            .await
            .unwrap();
    }
    let again = c
        .confirm_burn_form(&zhang, "张伟", Owner::Request(&request), &package)
        .await;
    assert!(
        matches!(
            again,
            Err(AppError::Refused {
                code: "burn_already_confirmed",
                ..
            })
        ),
        "{again:?}"
    );
    let people = c
        .burn_participants(Owner::Request(&request), &package)
        .await
        .unwrap();
    assert!(
        people.iter().all(|p| p.confirmed_ms.is_some()),
        "{people:?}"
    );
    let log = c
        .db()
        .entries_for(&format!("request:{request}"))
        .await
        .unwrap();
    let confirmed: Vec<&str> = log
        .iter()
        .filter(|e| e.action == "package.burn_confirmed")
        .map(|e| e.actor.as_str())
        .collect();
    assert_eq!(
        confirmed,
        vec![
            zhang.user_id.as_str(),
            li.user_id.as_str(),
            head.user_id.as_str()
        ]
    );

    // The form's 摄录地点 is the place of the step a record is linked to.
    let copies = c.db().copies(&request).await.unwrap();
    let first = liuhen_domain::RecordId::parse(&copies[0].record_id).unwrap();
    let case = c
        .create_case(
            &NewCase {
                number: "甲应急检〔2026〕7号".into(),
                name: "某公司安全生产检查".into(),
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
    let t0: jiff::Timestamp = "2026-03-02T02:00:00Z".parse().unwrap();
    let step = c
        .add_step(
            &case.id,
            &NewStep {
                checklist_row: Some("2.7".into()),
                name: None,
                window: (t0, t0 + jiff::SignedDuration::from_mins(30)),
                place: "某公司二号车间".into(),
                officers: vec!["张伟".into()],
                on_site: true,
                disputed: false,
            },
            &keeper.user_id,
        )
        .await
        .unwrap();
    c.link_record(&step.step.id, &first, &keeper.user_id)
        .await
        .unwrap();

    // Only a keeper of the unit prints the form and attaches the scan.
    assert!(
        c.burn_form_pdf(&zhang, Owner::Request(&request), &package)
            .await
            .is_err()
    );
    let pdf = c
        .burn_form_pdf(&keeper, Owner::Request(&request), &package)
        .await
        .unwrap();
    if crate::support::require_tool("pdftotext") {
        let path = work.path().join("form.pdf");
        std::fs::write(&path, pdf).unwrap();
        let out = Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&path)
            .arg("-")
            .output()
            .unwrap();
        let text: String = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .collect();
        for needle in [
            "摄录人员李娜",
            "部门负责人刘主任",
            "已在系统确认",
            "刻录人",
            "摄录地点某公司二号车间",
        ] {
            assert!(text.contains(needle), "form lacks {needle}: {text}");
        }
    }
    let bad = c
        .attach_burn_scan(&keeper, &request, &package, "scan.exe", b"MZ\x90\x00")
        .await;
    assert!(
        matches!(
            bad,
            Err(AppError::Refused {
                code: "scan_not_accepted",
                ..
            })
        ),
        "{bad:?}"
    );
    let scan = c
        .attach_burn_scan(&keeper, &request, &package, "刻盘记录表签字.pdf", SCAN)
        .await
        .unwrap();
    assert_eq!(scan.sha256, SCAN_SHA256);
    let scans = c
        .burn_scans(Owner::Request(&request), &package)
        .await
        .unwrap();
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0].sha256, SCAN_SHA256);
    assert_eq!(scans[0].name, "刻盘记录表签字.pdf");
    // The scan is a blob of the store (write-once, hashed), not a file beside the package.
    assert!(
        !work
            .path()
            .join("data/packages")
            .join(&package)
            .join("scans")
            .exists()
    );
    let (row, bytes) = c
        .burn_scan_bytes(&keeper, &request, &package, SCAN_SHA256)
        .await
        .unwrap();
    assert_eq!(bytes, SCAN);
    assert_eq!(row.media_type, "application/pdf");
    assert!(
        c.burn_scan_bytes(&zhang, &request, &package, SCAN_SHA256)
            .await
            .is_err()
    );
    let report = c
        .verify(
            liuhen_app::verify::VerifyOptions::default(),
            &liuhen_app::verify::Quiet,
        )
        .await
        .unwrap();
    assert!(
        !report
            .problems
            .iter()
            .chain(&report.warnings)
            .any(|p| p.subject.contains(SCAN_SHA256)),
        "{report:?}"
    );
}
