//! Archive transfer (issue 19): an archived case's package with DA/T 63-style metadata per
//! record (validated by Python against the element table of docs/archive-transfer.md), the
//! compliance report, the 四性 check (a file that does not decode fails usability and is
//! named) and the 移交接收检验登记表, checked with pdftotext; the package verifies offline.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use liuhen_app::access::LabelTarget;
use liuhen_app::case_work::CaseEdit;
use liuhen_app::cases::{NewCase, NewStep};
use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_app::package::verify::verify_dir;
use liuhen_app::{AppError, Custody};
use liuhen_domain::case::{CaseCategory, CaseFlags, CaseStatus};
use liuhen_domain::{Classification, RecordId, Role};

use crate::support::{for_each_backend, require_tool, user};

fn pdf_text(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect()
}

#[tokio::test]
async fn archived_case_transfers_with_metadata_and_four_checks() {
    if !require_tool("ffmpeg") || !require_tool("ffprobe") {
        return;
    }
    for_each_backend(|c: Custody| async move {
        let work = tempfile::tempdir().unwrap();
        let keeper = user(&c, "zhaomin", "赵敏", &[Role::RecordsKeeper], "甲局").await;
        let src = work.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        let good = src.join("现场检查 01.mp4");
        let made = Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=64x48:rate=5",
                "-t",
                "1",
            ])
            .args(["-c:v", "mpeg4", "-y"])
            .arg(&good)
            .status()
            .unwrap();
        assert!(made.success());
        // A "video" that is not one: it does not decode.
        std::fs::write(
            src.join("损坏录像.mp4"),
            b"\0\0\0\x18ftypmp42 broken".repeat(200),
        )
        .unwrap();
        let summary = c
            .ingest(
                &[src],
                &IngestOptions {
                    actor: keeper.user_id.clone(),
                    classification: Classification {
                        agency: Some("甲局".into()),
                        officer: Some("张伟".into()),
                        case_name: Some("某公司安全生产检查".into()),
                        camera_operator: Some("李娜".into()),
                        ..Default::default()
                    },
                    ..Default::default()
                },
                Arc::new(NoProgress),
            )
            .await;
        assert_eq!(summary.stored, 2, "{:?}", summary.reports);
        let ids: Vec<(RecordId, String)> = summary
            .reports
            .iter()
            .map(|r| {
                let id = RecordId::parse(r.record_id.as_deref().unwrap()).unwrap();
                let name = Path::new(&r.path)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                (id, name)
            })
            .collect();
        let broken = ids
            .iter()
            .find(|(_, n)| n.contains("损坏"))
            .unwrap()
            .0
            .clone();
        let case = c
            .create_case(
                &NewCase {
                    number: "甲应急罚〔2026〕12号".into(),
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
        let t0: Timestamp = "2026-03-02T02:00:00Z".parse().unwrap();
        let step = c
            .add_step(
                &case.id,
                &NewStep {
                    checklist_row: Some("2.7".into()),
                    name: None,
                    window: (t0, t0 + SignedDuration::from_mins(30)),
                    place: "某公司三号仓库".into(),
                    officers: vec!["张伟".into()],
                    on_site: true,
                    disputed: false,
                },
                &keeper.user_id,
            )
            .await
            .unwrap();
        for (id, _) in &ids {
            c.link_record(&step.step.id, id, &keeper.user_id)
                .await
                .unwrap();
        }
        c.set_label(
            &keeper,
            &LabelTarget::Record(broken.clone()),
            "personal_info",
            true,
            "含个人信息",
        )
        .await
        .unwrap();
        let out = work.path().join("transfer");
        let early = c.transfer_package(&keeper, "赵敏", &case.id, &out).await;
        assert!(
            matches!(
                early,
                Err(AppError::Refused {
                    code: "case_not_archived",
                    ..
                })
            ),
            "{early:?}"
        );
        let archive = CaseEdit {
            status: Some(CaseStatus::Archived),
            ..CaseEdit::default()
        };
        c.edit_case(&keeper, &case.id, &archive, "结案归档")
            .await
            .unwrap();
        let report = c
            .transfer_package(&keeper, "赵敏", &case.number, &out)
            .await
            .unwrap();
        assert_eq!(report.records, 2);

        // 四性: the broken record fails usability and is named; the rest holds.
        let checks = &report.checks;
        assert!(!checks.ok);
        let usability = checks.property("usability").unwrap();
        assert!(!usability.ok);
        let failed: Vec<&str> = usability.failures().map(|i| i.subject.as_str()).collect();
        assert_eq!(failed.len(), 1, "{usability:?}");
        assert!(failed[0].contains(broken.as_str()) && failed[0].contains("损坏录像.mp4"));
        for code in ["authenticity", "integrity", "security"] {
            let p = checks.property(code).unwrap();
            assert!(p.ok, "{code}: {p:?}");
        }
        let security = checks.property("security").unwrap();
        assert!(
            security
                .items
                .iter()
                .any(|i| i.detail.contains("personal_info")),
            "{security:?}"
        );

        // The package verifies offline and has no browser verifier (no executable content).
        let v = verify_dir(&out, None);
        assert!(v.ok, "{:?}", v.problems);
        assert!(!out.join("data/verify.html").exists());
        let json: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.join("data/transfer/four_checks.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(json["ok"], false);

        // The metadata against the documented element set (an independent Python check).
        let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/archive-transfer.md");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/check_transfer_xml.py");
        let checked = Command::new("python3")
            .arg(&script)
            .arg(&doc)
            .arg(out.join("data/metadata"))
            .output()
            .unwrap();
        assert!(
            checked.status.success(),
            "{}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
        let xml = std::fs::read_to_string(out.join(format!("data/metadata/{broken}.xml"))).unwrap();
        for needle in [
            "<地点>某公司三号仓库</地点>",
            "<标识>personal_info</标识>",
            "<摄录人员>李娜</摄录人员>",
        ] {
            assert!(xml.contains(needle), "{needle}: {xml}");
        }

        // The forms, as printed.
        if require_tool("pdftotext") {
            let four = pdf_text(&out.join("data/transfer/四性检测报告.pdf"));
            for needle in [
                "安全性检测报告",
                "可用性不合格",
                "损坏录像.mp4：ffprobe无法解码",
                "真实性合格",
                "甲应急罚〔2026〕12号",
            ] {
                assert!(four.contains(needle), "四性检测报告 lacks {needle}: {four}");
            }
            let reg = pdf_text(&out.join("data/transfer/移交接收检验登记表.pdf"));
            for needle in [
                "移交接收检验登记表",
                "档案数量2件",
                "可用性检验不合格",
                "检验结论不合格",
                "移交人赵敏",
                "接收人",
            ] {
                assert!(reg.contains(needle), "登记表 lacks {needle}: {reg}");
            }
            let comp = pdf_text(&out.join("data/transfer/合规报告.pdf"));
            for needle in ["合规报告", "甲应急罚〔2026〕12号", "某公司三号仓库"] {
                assert!(comp.contains(needle), "合规报告 lacks {needle}: {comp}");
            }
        }

        // Logged, with the result of each check.
        let log = c
            .db()
            .entries_for(&format!("case:{}", case.id))
            .await
            .unwrap();
        let e = log
            .iter()
            .find(|e| e.action == "package.transferred")
            .unwrap();
        let body: serde_json::Value = serde_json::from_str(&e.body).unwrap();
        assert_eq!(body["details"]["four_checks"]["usability"], false);
        assert_eq!(body["details"]["four_checks"]["authenticity"], true);
        assert_eq!(body["details"]["package"], report.package.as_str());
    })
    .await;
}
