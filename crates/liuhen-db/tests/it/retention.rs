//! The set reads and writes of a retention recomputation over many records: the rows and
//! links of a case's records in two queries, `append_many` writing exactly the entries a
//! loop of `append` would, and `set_retain_until_many` rebinding only what it names.

use jiff::Timestamp;
use liuhen_db::{Db, EntryBody, NewEntry, StepRecordRow};
use liuhen_domain::{AuditAction, RecordId};

use crate::cases::{sample_case, sample_step};
use crate::sample_record;
use crate::support::for_each_backend;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn entries(n: usize) -> Vec<NewEntry> {
    (0..n)
        .map(|i| NewEntry {
            actor: "keeper".into(),
            action: AuditAction::RetentionExtended,
            subject: Some(format!("record:{i}")),
            details: serde_json::json!({ "reason": format!("续期 {i}"), "n": i, "x": 1.5 }),
        })
        .collect()
}

#[tokio::test]
async fn append_many_writes_what_appending_one_by_one_writes() {
    // 250 entries: three multi-row statements, the last one partial.
    let at = t("2026-12-08T01:00:00.123456789Z");
    for_each_backend(|db: Db| async move {
        let mut tx = db.begin().await.unwrap();
        let first = tx.append(at, entries(1).remove(0)).await.unwrap();
        let many = tx.append_many(at, entries(250)).await.unwrap();
        assert_eq!(tx.log_size(), 251);
        assert!(tx.append_many(at, Vec::new()).await.unwrap().is_empty());
        let after = tx.append(at, entries(1).remove(0)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.log_sizes().await.unwrap().0, 252);
        let stored = db.entries_page(None, 1000).await.unwrap();
        assert_eq!(&stored[1..251], &many[..]);
        // The chain runs through them as through single appends: seq, prev, leaf, body.
        let mut prev = first.leaf_hash.clone();
        for (i, (e, want)) in many.iter().zip(entries(250)).enumerate() {
            let body = EntryBody::parse(&e.body).unwrap();
            assert_eq!((e.seq, body.seq), (i as u64 + 1, i as u64 + 1));
            assert_eq!(body.prev, hex::encode(&prev));
            assert_eq!(
                e.leaf_hash,
                liuhen_merkle::leaf_hash(e.body.as_bytes()).to_vec()
            );
            assert_eq!((body.at_ms, body.v), (at.as_millisecond(), 2));
            assert_eq!(body.details, want.details);
            assert_eq!(body.subject, want.subject);
            assert_eq!(body.action, "record.retention_extended");
            prev = e.leaf_hash.clone();
        }
        assert!(e_body_has_canonical_float(&many[0].body));
        assert_eq!(
            EntryBody::parse(&after.body).unwrap().prev,
            hex::encode(&many[249].leaf_hash)
        );
        let leaves = db.leaf_hashes(252).await.unwrap();
        assert_eq!(leaves[250].to_vec(), many[249].leaf_hash);
    })
    .await;
}

/// JCS, as `append` writes it: `1.5` stays `1.5`, keys sorted.
fn e_body_has_canonical_float(body: &str) -> bool {
    body.contains("\"details\":{\"n\":0,\"reason\":\"续期 0\",\"x\":1.5}")
}

#[tokio::test]
async fn a_case_records_and_links_are_read_as_sets_and_extended_in_one_statement() {
    for_each_backend(|db: Db| async move {
        let (case, other) = (sample_case(1), sample_case(2));
        let (s1, s2) = (
            sample_step("s-1", None, "2026-03-01T02:00:00Z"),
            sample_step("s-2", None, "2026-03-01T02:00:00Z"),
        );
        let s3 = sample_step("s-3", None, "2026-03-01T02:00:00Z");
        let records: Vec<_> = (1..=4).map(sample_record).collect();
        let mut tx = db.begin().await.unwrap();
        for r in &records {
            tx.insert_record(r, 0).await.unwrap();
        }
        tx.insert_case(&case).await.unwrap();
        tx.insert_case(&other).await.unwrap();
        tx.insert_step(&case.id, &s1, t("2026-03-01T03:00:00Z"))
            .await
            .unwrap();
        tx.insert_step(&case.id, &s2, t("2026-03-01T03:00:00Z"))
            .await
            .unwrap();
        tx.insert_step(&other.id, &s3, t("2026-03-01T03:00:00Z"))
            .await
            .unwrap();
        // Records 1 and 2 in the case (1 through both its steps), 2 also in the other
        // case, 3 only in the other, 4 in none.
        for (step, r) in [(&s1, 0), (&s2, 0), (&s1, 1), (&s3, 1), (&s3, 2)] {
            tx.link_record(&StepRecordRow {
                step_id: step.id.clone(),
                record_id: records[r].id.clone(),
                linked_at: t("2026-03-01T04:00:00Z"),
                linked_by: "张伟".into(),
            })
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();

        let rows = db.records_of_case_rows(&case.id).await.unwrap();
        let ids: Vec<_> = rows.iter().map(|(r, _)| r.id.clone()).collect();
        assert_eq!(ids, [records[0].id.clone(), records[1].id.clone()]);
        assert_eq!(rows[0].0, records[0]);
        let mut want = vec![
            (records[0].id.clone(), case.id.clone()),
            (records[1].id.clone(), case.id.clone()),
            (records[1].id.clone(), other.id.clone()),
        ];
        want.sort();
        assert_eq!(db.case_links_of_case_records(&case.id).await.unwrap(), want);
        let all: Vec<RecordId> = records.iter().map(|r| r.id.clone()).collect();
        let mut links = want.clone();
        links.push((records[2].id.clone(), other.id.clone()));
        links.sort();
        assert_eq!(db.case_links_of_records(&all).await.unwrap(), links);
        assert!(db.case_links_of_records(&[]).await.unwrap().is_empty());

        let later = t("2126-03-01T00:00:00Z");
        let mut tx = db.begin().await.unwrap();
        let read = tx.records_by_ids(&all[..3]).await.unwrap();
        assert_eq!(read.len(), 3);
        tx.set_retain_until_many(&[(all[0].clone(), later, 41), (all[2].clone(), later, 42)])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (r0, seq0) = db.record(&all[0]).await.unwrap().unwrap();
        assert_eq!((r0.retain_until, seq0), (later, 41));
        let mut same = records[0].clone();
        same.retain_until = later;
        assert_eq!(r0, same, "nothing else changes");
        assert_eq!(
            db.record(&all[1]).await.unwrap().unwrap(),
            (records[1].clone(), 0)
        );
        assert_eq!(db.record(&all[2]).await.unwrap().unwrap().1, 42);

        // A row that is not there is an error, not a silent skip.
        let mut tx = db.begin().await.unwrap();
        let ghost = RecordId::parse("0190f3a0-0000-7000-8000-0000000000ee").unwrap();
        assert!(
            tx.set_retain_until_many(&[(ghost, later, 43)])
                .await
                .is_err()
        );
    })
    .await;
}
