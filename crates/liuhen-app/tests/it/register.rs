use liuhen_app::alerts::AlertQuery;
use liuhen_app::register::{ExportFormat, RegisterQuery};
use liuhen_app::{AppError, Custody};

use liuhen_db::NewEntry;
use liuhen_domain::signals::SignalKind;
use liuhen_domain::{AuditAction, Role};
use serde_json::json;

use crate::support::{for_each_backend, user};

async fn log(
    c: &Custody,
    actor: &str,
    action: AuditAction,
    subject: &str,
    details: serde_json::Value,
) -> u64 {
    c.log_event(NewEntry {
        actor: actor.into(),
        action,
        subject: Some(subject.into()),
        details,
    })
    .await
    .unwrap()
    .seq
}

#[tokio::test]
async fn register_projection_search_export_and_signals() {
    for_each_backend(|c: Custody| async move {
        let archive = user(&c, "dangan", "档案员", &[Role::ArchiveKeeper], "甲局").await;
        let officer = user(&c, "zw", "张伟", &[Role::Officer], "甲局").await;
        let sup = user(&c, "jd", "监督员", &[Role::Supervisor], "甲局").await;
        let approved = AuditAction::parse("access.approved");
        if let Some(a) = approved {
            log(&c, &sup.user_id, a, "request:q1", json!({ "request": "q1", "step": "legal_review", "decision": "approve" })).await;
        }
        // A use resting on a request whose approvals were logged before it.
        let seq = log(
            &c,
            &officer.user_id,
            AuditAction::RecordDownloaded,
            "record:r-unknown",
            json!({ "request": "q1", "purpose": "案件研究", "fee_cents": 200, "receipt_no": "R-1" }),
        )
        .await;
        for _ in 0..9 {
            log(&c, &officer.user_id, AuditAction::RecordDownloaded, "record:r-unknown", json!({})).await;
        }
        let page = c.register(&archive, &RegisterQuery::default()).await.unwrap();
        assert_eq!(page.total, 10);
        let first = page.rows.iter().find(|r| r.seq == seq).unwrap();
        assert_eq!(first.actor_name, "张伟");
        assert_eq!(first.actor_unit.as_deref(), Some("甲局"));
        assert_eq!(first.purpose.as_deref(), Some("案件研究"));
        assert_eq!(first.fee_cents, Some(200));
        if approved.is_some() {
            assert_eq!(first.approved_by.as_deref(), Some("监督员"));
        }
        let q = RegisterQuery { text: Some("R-1".into()), ..Default::default() };
        assert_eq!(c.register(&archive, &q).await.unwrap().total, 1);
        let csv = c.export_register(&archive, &q, ExportFormat::Csv).await.unwrap();
        assert!(csv.bytes.starts_with("\u{FEFF}日志序号".as_bytes()));
        assert_eq!(csv.rows, 1);
        let pdf = c.export_register(&archive, &q, ExportFormat::Pdf).await.unwrap();
        assert!(pdf.bytes.starts_with(b"%PDF-"));
        assert!(matches!(
            c.register(&officer, &RegisterQuery::default()).await,
            Err(AppError::Forbidden { .. })
        ));

        // Ten downloads in a minute: the shipped threshold (10 in 30 minutes) is reached.
        let err = c.refuse_record_delete(&officer, "r-unknown").await;
        assert!(matches!(err, AppError::Forbidden { code: "originals_never_deleted", .. }));
        let list = c.alerts(&sup, &AlertQuery::default()).await.unwrap();
        let kinds: Vec<SignalKind> = list.alerts.iter().map(|a| a.signal.kind).collect();
        assert!(kinds.contains(&SignalKind::BulkTakeaway), "{kinds:?}");
        assert!(kinds.contains(&SignalKind::TamperAttempt), "{kinds:?}");
        let tamper = list.alerts.iter().find(|a| a.signal.kind == SignalKind::TamperAttempt).unwrap();
        assert!(list.entries.contains_key(&tamper.signal.evidence[0]));
        c.acknowledge_alert(&sup, &tamper.key, "已核实").await.unwrap();
        assert!(c.acknowledge_alert(&sup, &tamper.key, "再次").await.is_err());
        assert!(c.acknowledge_alert(&archive, &tamper.key, "x").await.is_err());
        let open = c.alerts(&sup, &AlertQuery::default()).await.unwrap();
        assert!(!open.alerts.iter().any(|a| a.key == tamper.key));
        let all = c.alerts(&sup, &AlertQuery { all: true, ..Default::default() }).await.unwrap();
        let acked = all.alerts.iter().find(|a| a.key == tamper.key).unwrap();
        assert_eq!(acked.ack.as_ref().unwrap().note, "已核实");
        assert_eq!(acked.acked_by_name.as_deref(), Some("监督员（jd）"));
    })
    .await;
}
