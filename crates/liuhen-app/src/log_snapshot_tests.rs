//! The log's snapshots, pinned: each kind serialized from a fixed row must equal the JSON
//! written out here by hand. A change to a struct (or to the API's view, which is not
//! these) that would change what the log carries fails here.

use liuhen_db::{CaseRow, PartyRow, StepRow, record_row_hash};
use liuhen_domain::case::{CaseCategory, CaseFlags, CaseStatus, RecordingSource, Step};
use liuhen_domain::{
    Classification, MediaKind, Record, RecordId, Sha256Digest, Sm3Digest, TechnicalMetadata,
};
use serde_json::json;

use super::*;

fn case_row() -> CaseRow {
    CaseRow {
        id: "c-1".into(),
        number: "平高应急罚〔2026〕7号".into(),
        name: "某化工厂案".into(),
        category: CaseCategory::Penalty,
        agency: "平顶山高新区应急管理局".into(),
        department: "执法监察大队".into(),
        status: CaseStatus::Open,
        flags: CaseFlags {
            disputed: true,
            hearing_held: true,
            ..CaseFlags::default()
        },
        created_at: "2026-04-30T08:00:00Z".parse().unwrap(),
        parties: vec![PartyRow {
            kind: "unit".into(),
            name: "某化工有限公司".into(),
            id_or_credit_code: "91410400MA00000000".into(),
        }],
        team: vec!["张伟".into(), "李娜".into()],
        team_ids: vec![Some("u-zhangwei".into()), None],
    }
}

#[test]
fn case_snapshot_is_pinned() {
    let expected = json!({
        "id": "c-1",
        "number": "平高应急罚〔2026〕7号",
        "name": "某化工厂案",
        "category": "penalty",
        "agency": "平顶山高新区应急管理局",
        "department": "执法监察大队",
        "status": "open",
        "flags": ["disputed", "hearing"],
        "created_ms": 1777536000000_i64,
        "parties": [
            {"kind": "unit", "name": "某化工有限公司", "id_or_credit_code": "91410400MA00000000"}
        ],
        "team": ["张伟", "李娜"],
        "team_ids": ["u-zhangwei", null],
    });
    let snap = CaseSnapshot::of(&case_row());
    assert_eq!(snap.to_value(), expected);
    // And back: what the log carries reads as the same snapshot.
    assert_eq!(CaseSnapshot::from_logged(&expected), Some(snap));
}

#[test]
fn case_snapshots_logged_before_units_and_accounts_read_with_their_old_meaning() {
    let old = json!({
        "id": "c-0", "number": "旧〔2025〕1号", "name": "旧案", "category": "inspection",
        "department": "一科", "status": "archived", "flags": [], "created_ms": 1,
        "parties": [], "team": ["王芳", "赵强"],
    });
    let v = CaseSnapshot::from_logged(&old).unwrap().to_value();
    assert_eq!(v["agency"], "");
    assert_eq!(v["team_ids"], json!([null, null]));
}

#[test]
fn step_snapshots_are_pinned() {
    let step = Step {
        id: "s-1".into(),
        checklist_row: Some("1.1".into()),
        name: "听证程序".into(),
        window: (
            "2026-05-01T02:00:00Z".parse().unwrap(),
            "2026-05-01T02:30:00Z".parse().unwrap(),
        ),
        place: "局三楼听证室".into(),
        officers: vec!["张伟".into(), "李娜".into()],
        on_site: false,
        disputed: true,
    };
    let logged = json!({
        "id": "s-1",
        "checklist_row": "1.1",
        "name": "听证程序",
        "window_start_ms": 1777600800000_i64,
        "window_end_ms": 1777602600000_i64,
        "place": "局三楼听证室",
        "officers": ["张伟", "李娜"],
        "on_site": false,
        "disputed": true,
    });
    assert_eq!(value(&StepSnapshot::of(&step)), logged);
    let row = StepRow {
        case_id: "c-1".into(),
        step,
        created_at: "2026-04-30T08:00:00Z".parse().unwrap(),
    };
    let mut compared = logged;
    compared["case_id"] = json!("c-1");
    compared["created_ms"] = json!(1777536000000_i64);
    assert_eq!(value(&StepRowSnapshot::of(&row)), compared);
}

#[test]
fn link_snapshots_are_pinned() {
    let link = LinkSnapshot {
        step: "s-1".into(),
        record: "0190f3a0-0000-7000-8000-000000000001".into(),
        sha256: "01".repeat(32),
    };
    assert_eq!(
        value(&link),
        json!({
            "step": "s-1",
            "record": "0190f3a0-0000-7000-8000-000000000001",
            "sha256": "0101010101010101010101010101010101010101010101010101010101010101",
        })
    );
    let unlink = UnlinkSnapshot {
        step: "s-1".into(),
        record: "0190f3a0-0000-7000-8000-000000000001".into(),
        reason: "关联错误".into(),
    };
    assert_eq!(
        value(&unlink),
        json!({"step": "s-1", "record": "0190f3a0-0000-7000-8000-000000000001", "reason": "关联错误"})
    );
}

fn record() -> Record {
    Record {
        id: RecordId::parse("0190f3a0-0000-7000-8000-000000000001").unwrap(),
        sha256: Sha256Digest::from_bytes([1; 32]),
        sm3: Sm3Digest::from_bytes([2; 32]),
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
        officer_id: Some("u-zhangwei".into()),
        record_date: Some("2026-03-01".parse().unwrap()),
        stored_at: "2026-03-01T09:00:00Z".parse().unwrap(),
        returned_at: None,
        lateness_ms: Some(28_500_000),
        late: false,
        retain_until: "2029-03-01T01:05:00Z".parse().unwrap(),
        source: Some(RecordingSource::FixedSurveillance),
    }
}

/// The record snapshot and the row hash bound to it: `camera_operator` (unset) is absent,
/// `officer_id` and `source` (set) are there, unset columns are `null`.
#[test]
fn record_snapshot_is_pinned() {
    let expected = json!({
        "id": "0190f3a0-0000-7000-8000-000000000001",
        "sha256": "0101010101010101010101010101010101010101010101010101010101010101",
        "sm3": "0202020202020202020202020202020202020202020202020202020202020202",
        "size_bytes": 1234,
        "kind": "video",
        "original_name": "DCIM/100MEDIA/执法记录_0001.MP4",
        "container": "mp4",
        "video_codec": "hevc",
        "audio_codec": "aac",
        "width": 1920,
        "height": 1080,
        "duration_ms": 300000,
        "capture_start_ms": 1772326800000_i64,
        "capture_end_ms": 1772327100000_i64,
        "device_make": "Hikvision",
        "device_model": "DSJ-V1",
        "device_serial": null,
        "prober": "ffprobe",
        "probe_error": null,
        "agency": "平顶山高新区应急管理局",
        "device": "执法记录仪-03",
        "officer": "张伟",
        "case_name": "某化工厂安全检查",
        "party": "某化工有限公司",
        "record_date": "2026-03-01",
        "stored_at_ms": 1772355600000_i64,
        "returned_at_ms": null,
        "lateness_ms": 28500000,
        "late": false,
        "retain_until_ms": 1867021500000_i64,
        "officer_id": "u-zhangwei",
        "source": "fixed_surveillance",
    });
    let r = record();
    assert_eq!(value(&RecordSnapshot::of(&r)), expected);
    assert_eq!(liuhen_db::record_snapshot(&r), expected);
    // SHA-256 of the compact form with sorted keys, computed outside Rust.
    assert_eq!(
        record_row_hash(&r),
        "ec849fdc523b3646b25890eb9af6599f41d7e3b1d8774dd88fdfe97a7bd8a788"
    );
}
