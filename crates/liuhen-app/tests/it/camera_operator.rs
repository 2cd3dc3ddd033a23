//! 摄录人员 (issue 19): set at ingest, changed only with a reason, the change logged with
//! the value before, the row still bound to its entry (verify clean), on both backends.

use std::sync::Arc;

use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_app::records::ClassificationChange;
use liuhen_app::verify::{Quiet, VerifyOptions};
use liuhen_domain::{AuditAction, Classification, RecordId};

use crate::support::for_each_backend;

#[tokio::test]
async fn camera_operator_is_set_at_ingest_and_changed_with_a_logged_reason() {
    for_each_backend(|c| async move {
        let work = tempfile::tempdir().unwrap();
        let src = work.path().join("DSJ_0001.MP4");
        std::fs::write(&src, b"camera operator test bytes".repeat(64)).unwrap();
        let opts = IngestOptions {
            actor: "keeper".into(),
            classification: Classification {
                officer: Some("张伟".into()),
                camera_operator: Some("李娜".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let summary = c.ingest(&[src], &opts, Arc::new(NoProgress)).await;
        assert_eq!(summary.stored, 1, "{:?}", summary.reports);
        let id = RecordId::parse(summary.reports[0].record_id.as_deref().unwrap()).unwrap();
        let r = c.record(&id).await.unwrap();
        assert_eq!(r.classification.camera_operator.as_deref(), Some("李娜"));

        let change = ClassificationChange {
            camera_operator: Some("王强".into()),
            ..Default::default()
        };
        // no reason: refused, nothing changes
        assert!(
            c.change_classification(&id, &change, " ", "keeper")
                .await
                .is_err()
        );
        assert_eq!(
            c.record(&id)
                .await
                .unwrap()
                .classification
                .camera_operator
                .as_deref(),
            Some("李娜")
        );
        let changed = c
            .change_classification(&id, &change, "实际由王强摄录（现场记录核对）", "keeper")
            .await
            .unwrap();
        assert_eq!(
            changed.classification.camera_operator.as_deref(),
            Some("王强")
        );
        // the other fields stay
        assert_eq!(changed.classification.officer.as_deref(), Some("张伟"));

        let history = c.record_history(&id).await.unwrap();
        let entry = history
            .iter()
            .rev()
            .find(|e| e.action == AuditAction::RecordMetadataChanged.as_str())
            .expect("the change is logged");
        let d = liuhen_db::EntryBody::parse(&entry.body).unwrap().details;
        assert_eq!(d["before"]["camera_operator"], "李娜", "{d}");
        assert_eq!(d["record"]["camera_operator"], "王强", "{d}");
        assert_eq!(d["reason"], "实际由王强摄录（现场记录核对）");
        assert_eq!(entry.actor, "keeper");

        // a record without one keeps snapshots without the key (older entries stay valid)
        let cleared = c
            .change_classification(
                &id,
                &ClassificationChange {
                    camera_operator: Some(String::new()),
                    ..Default::default()
                },
                "登记有误，摄录人员待查",
                "keeper",
            )
            .await
            .unwrap();
        assert_eq!(cleared.classification.camera_operator, None);
        assert!(
            liuhen_app::records::snapshot(&cleared)
                .get("camera_operator")
                .is_none()
        );

        let report = c
            .verify(VerifyOptions { fixity: true }, &Quiet)
            .await
            .unwrap();
        assert!(report.ok, "{:?}", report.problems);
    })
    .await;
}

#[test]
fn upload_metadata_carries_the_camera_operator() {
    use liuhen_app::uploads::UploadMeta;
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let pairs = |v: &str| {
        vec![
            ("filename".to_owned(), "现场.mp4".to_owned()),
            ("camera_operator".to_owned(), v.to_owned()),
        ]
    };
    let meta = UploadMeta::from_pairs(&pairs(" 李娜 "), &tz).unwrap();
    assert_eq!(meta.camera_operator.as_deref(), Some("李娜"));
    let meta = UploadMeta::from_pairs(&pairs(""), &tz).unwrap();
    assert_eq!(meta.camera_operator, None);
    assert!(UploadMeta::from_pairs(&pairs(&"长".repeat(201)), &tz).is_err());
}
