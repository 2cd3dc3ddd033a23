//! Right after a crash a tus HEAD tells the truth (issue 16): the durable offset, or — once
//! every byte is in — the record id, never `offset = length` without it. The states a
//! crash leaves are made directly (rows and files), no timing involved.

use liuhen_domain::Role;
use liuhen_domain::authz::Principal;

use super::*;
use crate::accounts::NewUser;
use crate::{Custody, OpenOptions};

async fn custody() -> (tempfile::TempDir, Custody, Principal) {
    let dir = tempfile::tempdir().unwrap();
    let c = Custody::open(OpenOptions::new(dir.path().join("data")))
        .await
        .unwrap();
    let id = c
        .create_user_unchecked(
            "test",
            NewUser {
                username: "zhangwei".into(),
                display_name: "张伟".into(),
                password: "Test-Passw0rd!".into(),
                unit: Some("甲局".into()),
                department: None,
                roles: vec![Role::Officer],
            },
        )
        .await
        .unwrap();
    let who = c.user(&id).await.unwrap().principal();
    (dir, c, who)
}

fn content(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// An upload whose bytes `..written` are in its partial file and whose row says
/// `offset`: the state a crash leaves between the file's sync and the row's update, or
/// after the row's update (offset = length) before the record's commit.
async fn crashed_upload(
    c: &Custody,
    who: &Principal,
    data: &[u8],
    written: usize,
    offset: u64,
) -> String {
    let meta = UploadMeta {
        filename: "REC_0001.MP4".into(),
        ..UploadMeta::default()
    };
    let info = c.create_upload(who, data.len() as u64, meta).await.unwrap();
    std::fs::write(c.partial_path(&info.id), &data[..written]).unwrap();
    let lease = c.take_lease(&info.id).await.unwrap();
    assert!(
        c.db.set_upload_offset(&info.id, &lease.token, offset, c.now().as_millisecond())
            .await
            .unwrap()
    );
    c.release_lease(&info.id, lease).await;
    info.id
}

/// What a HEAD may say: the durable offset below the length, or the length with the record.
fn assert_truthful(info: &UploadInfo) {
    if info.offset == info.length {
        assert_eq!(info.state, UploadState::Completed, "{info:?}");
        assert!(
            info.record_id.is_some(),
            "offset = length without a record: {info:?}"
        );
    } else {
        assert_eq!(info.state, UploadState::Active, "{info:?}");
        assert!(info.record_id.is_none(), "{info:?}");
    }
}

#[tokio::test]
async fn after_a_crash_with_every_byte_in_head_finishes_and_names_the_record() {
    let (_dir, c, who) = custody().await;
    let data = content(50_000);
    let id = crashed_upload(&c, &who, &data, data.len(), data.len() as u64).await;
    assert_eq!(c.db.record_count().await.unwrap(), 0);

    let info = c.upload_status(&who, &id).await.unwrap();
    assert_truthful(&info);
    assert_eq!(info.offset, data.len() as u64);
    let record = info.record_id.clone().unwrap();
    // The record is committed (not just promised) and holds exactly the bytes sent.
    assert_eq!(c.db.record_count().await.unwrap(), 1);
    let stored = c.db.upload(&id).await.unwrap().unwrap();
    assert_eq!(stored.record_id.as_deref(), Some(record.as_str()));
    let digests = c
        .blobs
        .rehash(&hex::encode(Sha256::digest(&data)).parse().unwrap())
        .unwrap();
    assert_eq!(digests.size, data.len() as u64);
    // Asked again: the same answer, no second record.
    let again = c.upload_status(&who, &id).await.unwrap();
    assert_eq!(again.record_id.as_deref(), Some(record.as_str()));
    assert_eq!(c.db.record_count().await.unwrap(), 1);
}

#[tokio::test]
async fn head_while_the_last_patch_is_finishing_waits_and_names_the_same_record() {
    let (_dir, c, who) = custody().await;
    let data = content(40_000);
    let id = crashed_upload(&c, &who, &data, data.len(), data.len() as u64).await;
    // The PATCH that sent the last byte holds the upload while it finishes.
    let guard = c.uploads.lock(&id).unwrap();
    let lease = c.take_lease(&id).await.unwrap();
    let row = c.db.upload(&id).await.unwrap().unwrap();
    let head = {
        let (c, who, id) = (c.clone(), who.clone(), id.clone());
        tokio::spawn(async move { c.upload_status(&who, &id).await })
    };
    let (record, _) = c.complete_upload(&row, guard, lease, None).await.unwrap();
    let info = head.await.unwrap().unwrap();
    assert_truthful(&info);
    assert_eq!(info.record_id.as_deref(), Some(record.as_str()));
    assert_eq!(c.db.record_count().await.unwrap(), 1);
}

#[tokio::test]
async fn after_a_crash_mid_patch_head_says_the_durable_offset_and_the_rest_completes() {
    let (_dir, c, who) = custody().await;
    let data = content(30_000);
    // 20 000 bytes reached the file, 12 000 of them were synced and acknowledged; the
    // rest is in the file but was never acknowledged.
    let id = crashed_upload(&c, &who, &data, 20_000, 12_000).await;
    let info = c.upload_status(&who, &id).await.unwrap();
    assert_truthful(&info);
    assert_eq!(info.offset, 12_000);

    // The client resumes from the offset HEAD gave; the unacknowledged tail is dropped.
    let mut patch = c.begin_patch(&who, &id, 12_000, None).await.unwrap();
    patch.write(&data[12_000..]).await.unwrap();
    let out = patch.finish(PatchEnd::Complete).await.unwrap();
    assert_eq!(out.offset, data.len() as u64);
    let record = out.record_id.unwrap();
    let info = c.upload_status(&who, &id).await.unwrap();
    assert_truthful(&info);
    assert_eq!(info.record_id.as_deref(), Some(record.as_str()));
    let digests = c
        .blobs
        .rehash(&hex::encode(Sha256::digest(&data)).parse().unwrap())
        .unwrap();
    assert_eq!(digests.size, data.len() as u64);
}
