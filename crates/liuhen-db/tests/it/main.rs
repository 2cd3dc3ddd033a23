//! Conformance suite of the metadata store: every test runs against SQLite and PostgreSQL.

mod access;
mod accounts;
mod cases;
mod decisions;
mod inbox;
mod migrations;
mod numbers;
mod register;
mod retention;
mod search;
mod supervision;
mod support;

use jiff::Timestamp;
use liuhen_db::{Db, EntryBody, NewEntry, StoredCheckpoint, record_row_hash, record_snapshot};
use liuhen_domain::{
    AuditAction, Classification, MediaKind, Record, RecordId, Sha256Digest, Sm3Digest,
    TechnicalMetadata,
};
use support::for_each_backend;

fn sample_record(n: u8) -> Record {
    Record {
        id: RecordId::parse(&format!("0190f3a0-0000-7000-8000-0000000000{n:02x}")).unwrap(),
        sha256: Sha256Digest::from_bytes([n; 32]),
        sm3: Sm3Digest::from_bytes([n.wrapping_add(1); 32]),
        size_bytes: 1234,
        kind: MediaKind::Video,
        original_name: "DCIM/100MEDIA/执法记录_0001.MP4".into(),
        media: TechnicalMetadata {
            container: Some("mp4".into()),
            video_codec: Some("hevc".into()),
            audio_codec: Some("aac".into()),
            width: Some(1920),
            height: Some(1080),
            duration_ms: Some(300_000),
            capture_start: Some("2026-03-01T01:00:00Z".parse().unwrap()),
            capture_end: Some("2026-03-01T01:05:00Z".parse().unwrap()),
            device_make: Some("Hikvision".into()),
            device_model: Some("DSJ-V1".into()),
            device_serial: None,
            prober: "ffprobe".into(),
            probe_error: None,
        },
        classification: Classification {
            agency: Some("平顶山高新区应急管理局".into()),
            device: Some("执法记录仪-03".into()),
            officer: Some("张伟".into()),
            case_name: Some("某化工厂安全检查".into()),
            party: Some("某化工有限公司".into()),
            camera_operator: None,
        },
        officer_id: None,
        record_date: Some("2026-03-01".parse().unwrap()),
        stored_at: "2026-03-01T09:00:00Z".parse().unwrap(),
        returned_at: None,
        lateness_ms: Some(28_500_000),
        late: false,
        retain_until: "2029-03-01T01:05:00Z".parse().unwrap(),
        source: None,
    }
}

fn entry(action: AuditAction, subject: &str) -> NewEntry {
    NewEntry {
        actor: "tester".into(),
        action,
        subject: Some(subject.into()),
        details: serde_json::json!({ "note": "测试" }),
    }
}

#[tokio::test]
async fn record_round_trip() {
    for_each_backend(|db: Db| async move {
        let r = sample_record(1);
        let mut tx = db.begin().await.unwrap();
        let e = tx
            .append(Timestamp::now(), NewEntry {
                details: serde_json::json!({ "record": record_snapshot(&r), "row_hash": record_row_hash(&r) }),
                ..entry(AuditAction::RecordIngested, "record:x")
            })
            .await
            .unwrap();
        tx.insert_record(&r, e.seq).await.unwrap();
        tx.commit().await.unwrap();

        let (back, seq) = db.record(&r.id).await.unwrap().unwrap();
        assert_eq!(back, r);
        assert_eq!(seq, e.seq);
        assert_eq!(db.record_count().await.unwrap(), 1);

        let mut tx = db.begin().await.unwrap();
        assert_eq!(tx.record_by_sha256(&r.sha256).await.unwrap(), Some(r.clone()));
        let mut changed = r.clone();
        changed.classification.officer = Some("李娜".into());
        tx.update_record(&changed, 7).await.unwrap();
        tx.commit().await.unwrap();
        let (back, seq) = db.record(&r.id).await.unwrap().unwrap();
        assert_eq!(back.classification.officer.as_deref(), Some("李娜"));
        assert_eq!(seq, 7);
    })
    .await;
}

#[tokio::test]
async fn duplicate_digest_is_refused_by_the_schema() {
    for_each_backend(|db: Db| async move {
        let r = sample_record(2);
        let mut tx = db.begin().await.unwrap();
        tx.insert_record(&r, 0).await.unwrap();
        let mut other = sample_record(2);
        other.id = RecordId::parse("0190f3a0-0000-7000-8000-0000000000ff").unwrap();
        assert!(tx.insert_record(&other, 0).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn log_appends_chain_and_roll_back_with_the_transaction() {
    for_each_backend(|db: Db| async move {
        let mut tx = db.begin().await.unwrap();
        let a = tx
            .append(
                Timestamp::now(),
                entry(AuditAction::RecordIngested, "record:a"),
            )
            .await
            .unwrap();
        let b = tx
            .append(
                Timestamp::now(),
                entry(AuditAction::RecordDuplicate, "record:a"),
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!((a.seq, b.seq), (0, 1));
        let body = EntryBody::parse(&b.body).unwrap();
        assert_eq!(body.prev, hex::encode(&a.leaf_hash));
        assert_eq!(body.seq, 1);
        assert_eq!(
            b.leaf_hash,
            liuhen_merkle::leaf_hash(b.body.as_bytes()).to_vec()
        );

        // A rolled-back transaction leaves neither entries nor a moved head.
        let mut tx = db.begin().await.unwrap();
        tx.append(
            Timestamp::now(),
            entry(AuditAction::IngestFailed, "record:b"),
        )
        .await
        .unwrap();
        drop(tx);
        assert_eq!(db.log_sizes().await.unwrap(), (2, 2));

        let mut tx = db.begin().await.unwrap();
        let c = tx
            .append(
                Timestamp::now(),
                entry(AuditAction::IngestFailed, "record:b"),
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(c.seq, 2);
        let page = db.entries_page(Some(0), 10).await.unwrap();
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(db.entries_for("record:a").await.unwrap().len(), 2);
        assert_eq!(db.leaf_hashes(3).await.unwrap().len(), 3);
        assert_eq!(db.leaf_hashes(2).await.unwrap()[1].to_vec(), b.leaf_hash);
    })
    .await;
}

#[tokio::test]
async fn concurrent_writers_get_distinct_sequence_numbers() {
    for_each_backend(|db: Db| async move {
        let mut tasks = Vec::new();
        for i in 0..8 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..10 {
                    let mut tx = db.begin().await.unwrap();
                    tx.append(
                        Timestamp::now(),
                        entry(AuditAction::RecordDuplicate, &format!("w{i}")),
                    )
                    .await
                    .unwrap();
                    tx.commit().await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(db.log_sizes().await.unwrap(), (80, 80));
        let all = db.entries_page(None, 100).await.unwrap();
        for pair in all.windows(2) {
            let next = EntryBody::parse(&pair[1].body).unwrap();
            assert_eq!(next.prev, hex::encode(&pair[0].leaf_hash));
        }
    })
    .await;
}

#[tokio::test]
async fn checkpoints_and_sources() {
    for_each_backend(|db: Db| async move {
        assert!(db.latest_checkpoint().await.unwrap().is_none());
        let cp = StoredCheckpoint {
            id: 0,
            tree_size: 3,
            root: vec![7; 32],
            timestamp_ms: 1_700_000_000_000,
            body: "liuhen\n3\nroot\n1\n".into(),
            ed25519_sig: vec![1; 64],
            sm2_sig: vec![2; 70],
        };
        let mut tx = db.begin().await.unwrap();
        tx.insert_checkpoint(&cp).await.unwrap();
        tx.insert_checkpoint(&StoredCheckpoint {
            tree_size: 5,
            ..cp.clone()
        })
        .await
        .unwrap();
        tx.remember_source("/media/DCIM/a.mp4|10|20", "rec-1", 5)
            .await
            .unwrap();
        tx.remember_source("/media/DCIM/a.mp4|10|20", "rec-2", 6)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let all = db.checkpoints().await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].root, cp.root);
        assert_eq!(db.latest_checkpoint().await.unwrap().unwrap().tree_size, 5);
        assert_eq!(
            db.source_record("/media/DCIM/a.mp4|10|20")
                .await
                .unwrap()
                .as_deref(),
            Some("rec-1")
        );
        assert_eq!(db.source_record("nope").await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn reopening_keeps_everything_and_does_not_migrate_twice() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
    let db = Db::connect(&url).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    tx.append(Timestamp::now(), entry(AuditAction::KeysCreated, "keys"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    db.close().await;
    let db = Db::connect(&url).await.unwrap();
    assert_eq!(db.log_sizes().await.unwrap(), (1, 1));
}

#[tokio::test]
async fn log_size_follows_the_head() {
    for_each_backend(|db: Db| async move {
        assert_eq!(db.log_size().await.unwrap(), 0);
        let mut tx = db.begin().await.unwrap();
        tx.append(Timestamp::now(), entry(AuditAction::KeysCreated, "keys"))
            .await
            .unwrap();
        tx.append(Timestamp::now(), entry(AuditAction::KeysCreated, "keys"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.log_size().await.unwrap(), 2);
        assert_eq!(db.log_sizes().await.unwrap(), (2, 2));
    })
    .await;
}

#[tokio::test]
async fn record_briefs_name_what_the_register_shows() {
    for_each_backend(|db: Db| async move {
        let r = sample_record(7);
        let mut tx = db.begin().await.unwrap();
        let e = tx
            .append(
                Timestamp::now(),
                entry(AuditAction::RecordIngested, "record:x"),
            )
            .await
            .unwrap();
        tx.insert_record(&r, e.seq).await.unwrap();
        tx.commit().await.unwrap();
        let briefs = db
            .record_briefs(&[r.id.to_string(), "missing".into()])
            .await
            .unwrap();
        assert_eq!(briefs.len(), 1);
        assert_eq!(briefs[0].case_name.as_deref(), Some("某化工厂安全检查"));
        assert_eq!(briefs[0].device.as_deref(), Some("执法记录仪-03"));
        assert_eq!(briefs[0].original_name, r.original_name);
    })
    .await;
}
