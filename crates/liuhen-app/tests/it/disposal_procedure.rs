//! The disposal procedure end to end, six years on, on both backends: a list of due records
//! (a held one never on it), its approval chain (keeper → legal office → leader in charge,
//! no self-approval, no two steps by one person), execution (blob gone, tombstone kept,
//! every deletion logged), `verify` clean; a blob deleted by hand without a disposal fails
//! `verify`; a tombstone inserted by hand is caught.

use liuhen_app::AppError;
use liuhen_app::disposal_list::DraftItem;
use liuhen_app::holds::HoldTarget;
use liuhen_app::verify::{Quiet, VerifyOptions};
use liuhen_domain::Role;
use liuhen_domain::approval::StepDecision;
use liuhen_domain::authz::Principal;
use liuhen_domain::disposal_list::ListStatus;

use crate::retention::{for_each_backend, ingest_one};

fn who(user: &str, name: &str, role: Role) -> Principal {
    Principal {
        user_id: user.into(),
        roles: vec![role],
        unit: Some("甲局".into()),
        department: None,
        officer_name: name.into(),
    }
}

fn refused<T: std::fmt::Debug>(r: Result<T, AppError>) -> &'static str {
    match r {
        Err(AppError::Refused { code, .. }) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn six_years_on_a_list_is_approved_executed_and_verified() {
    for_each_backend(|c, clock, dir| async move {
        let keeper = who("keeper", "赵敏", Role::RecordsKeeper);
        let keeper2 = who("keeper2", "钱立", Role::RecordsKeeper);
        let legal = who("legal", "孙法", Role::LegalOffice);
        let lead = who("lead", "李领", Role::DeputyHead);
        let tag = dir.display().to_string();
        let gone = ingest_one(&c, &dir, &format!("to dispose {tag}")).await;
        let held = ingest_one(&c, &dir, &format!("held {tag}")).await;
        c.place_hold(
            &keeper,
            &HoldTarget::Record(held.clone()),
            "obstruction",
            "当事人阻挠执法",
        )
        .await
        .unwrap();
        let sha = c.record(&gone).await.unwrap().sha256;
        assert!(c.blobs().size(&sha).unwrap().is_some());

        clock.advance_years(6);
        let due: Vec<_> = c
            .disposal_due(&keeper)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.record.id)
            .collect();
        assert_eq!(
            due,
            std::slice::from_ref(&gone),
            "the held record is never on the list"
        );

        let item = |id: &liuhen_domain::RecordId, note: &str| DraftItem {
            record: id.clone(),
            appraisal: note.into(),
        };
        assert_eq!(
            refused(
                c.draft_disposal_list(&keeper, "", &[item(&held, "到期")])
                    .await
            ),
            "disposal_not_due"
        );
        assert_eq!(
            refused(
                c.draft_disposal_list(&keeper, "", &[item(&gone, " ")])
                    .await
            ),
            "disposal_appraisal_required"
        );
        assert_eq!(
            refused(
                c.draft_disposal_list(&legal, "", &[item(&gone, "到期")])
                    .await
            ),
            "disposal_not_allowed"
        );
        let list = c
            .draft_disposal_list(
                &keeper,
                "2032年第一批",
                &[item(&gone, "保管期限届满，经鉴定无继续保存价值")],
            )
            .await
            .unwrap();
        let id = list.row.id.clone();
        assert_eq!(list.status, ListStatus::Pending);
        assert_eq!(list.next_step(), Some((0, Role::RecordsKeeper)));

        let ok = "同意销毁";
        let approve = |p: Principal| {
            let (c, id) = (c.clone(), id.clone());
            async move {
                c.decide_disposal_list(&p, &id, StepDecision::Approve, ok)
                    .await
            }
        };
        assert_eq!(
            refused(approve(keeper.clone()).await),
            "disposal_self_approval"
        );
        assert_eq!(refused(approve(legal.clone()).await), "disposal_wrong_role");
        assert_eq!(
            refused(c.execute_disposal_list(&keeper, &id).await),
            "disposal_not_approved"
        );
        assert_eq!(
            refused(c.disposal_certificate(&keeper, &id).await),
            "disposal_not_executed"
        );
        approve(keeper2.clone()).await.unwrap();
        approve(legal.clone()).await.unwrap();
        let list = approve(lead.clone()).await.unwrap();
        assert_eq!(list.status, ListStatus::Approved);
        assert_eq!(list.decisions.len(), 3);

        let done = c.execute_disposal_list(&keeper, &id).await.unwrap();
        assert_eq!(done.disposed.len(), 1);
        assert!(done.withheld.is_empty());
        assert!(
            c.blobs().size(&sha).unwrap().is_none(),
            "the original is gone"
        );
        let tomb = c
            .db()
            .tombstone(gone.as_str())
            .await
            .unwrap()
            .expect("tombstone");
        assert_eq!(
            (tomb.sha256.as_str(), tomb.list_id.as_str()),
            (sha.to_hex().as_str(), id.as_str())
        );
        assert_eq!(tomb.executed_by, "keeper");
        assert!(tomb.approvals.contains("legal") && tomb.approvals.contains("lead"));
        assert_eq!(
            c.disposal_list(&id).await.unwrap().status,
            ListStatus::Executed
        );
        assert_eq!(
            refused(c.execute_disposal_list(&keeper, &id).await),
            "disposal_already_executed"
        );
        let pdf = c.disposal_certificate(&keeper, &id).await.unwrap();
        let rec = c.record(&gone).await.unwrap();
        certificate_says(
            &dir,
            &pdf,
            &[
                "音像记录销毁记录",
                &id,
                gone.as_str(),
                &rec.sha256.to_hex(),
                &rec.sm3.to_hex(),
                "保管期限届满，经鉴定无继续保存价值",
                "第1环节",
                "keeper2",
                "法制审核机构",
                "legal",
                "分管领导",
                "lead",
                "同意销毁",
                "执行人",
                "已销毁1项",
            ],
        );
        // The held record's original is untouched.
        let held_sha = c.record(&held).await.unwrap().sha256;
        assert!(c.blobs().size(&held_sha).unwrap().is_some());

        let report = c
            .verify(VerifyOptions { fixity: true }, &Quiet)
            .await
            .unwrap();
        assert!(report.ok, "{:?}", report.problems);
        assert!(
            report
                .warnings
                .iter()
                .all(|w| w.code != "disposal_unfinished")
        );

        // A blob deleted by hand, without a disposal, is tampering.
        let path = c.blobs().local_path(&held_sha).expect("local store");
        std::fs::remove_file(path).unwrap();
        let report = c
            .verify(VerifyOptions { fixity: true }, &Quiet)
            .await
            .unwrap();
        assert!(!report.ok);
        let codes: Vec<_> = report.problems.iter().map(|p| p.code).collect();
        assert_eq!(codes, ["blob_missing"], "{:?}", report.problems);

        // A tombstone inserted by hand to cover it is caught, and the blob is still missing.
        let mut fake = tomb.clone();
        fake.record_id = held.to_string();
        fake.sha256 = held_sha.to_hex();
        let mut tx = c.db().begin().await.unwrap();
        tx.insert_tombstone(&fake).await.unwrap();
        tx.commit().await.unwrap();
        let report = c
            .verify(VerifyOptions { fixity: true }, &Quiet)
            .await
            .unwrap();
        let mut codes: Vec<_> = report.problems.iter().map(|p| p.code).collect();
        codes.sort();
        assert_eq!(
            codes,
            ["blob_missing", "tombstone_unlogged"],
            "{:?}",
            report.problems
        );
    })
    .await;
}

/// `pdftotext` finds every needle (whitespace ignored) in the PDF. Under CI=true the tool
/// must be there.
fn certificate_says(dir: &std::path::Path, pdf: &[u8], needles: &[&str]) {
    if !liuhen_test_support::require_tool("pdftotext") {
        return;
    }
    let path = dir.join(format!("{}.pdf", uuid::Uuid::now_v7().simple()));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let flat: String = text.split_whitespace().collect();
    for n in needles {
        let n: String = n.split_whitespace().collect();
        assert!(flat.contains(&n), "certificate lacks {n}:\n{text}");
    }
}
