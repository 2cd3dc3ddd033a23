//! The offload station (issue 15) on both backends, with a simulated camera: a DCIM tree
//! with GA/T 947-style names appearing under a watched root, a file still being written,
//! the tree removed and brought back. The clock is injected; scans are explicit.

use std::future::Future;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use liuhen_app::AppError;
use liuhen_app::Custody;
use liuhen_app::accounts::NewUser;
use liuhen_app::station::{SlotState, Station};
use liuhen_app::verify::{Quiet, VerifyOptions};
use liuhen_domain::Role;
use liuhen_domain::authz::Principal;
use sha2::Digest;

const UNIT: &str = "平顶山高新区应急管理局";

/// Runs `test` on both backends, each with a fresh data directory holding `config` as
/// liuhen.toml and a watched root of its own.
async fn for_each_backend<F, Fut>(config: &str, test: F)
where
    F: Fn(Custody, PathBuf) -> Fut,
    Fut: Future<Output = ()>,
{
    crate::support::for_each_backend_with(config, |c, _, tmp| {
        let root = tmp.join(format!("media-{}", liuhen_test_support::pg_database_name()));
        std::fs::create_dir_all(&root).unwrap();
        test(c, root)
    })
    .await;
}

async fn account(c: &Custody, username: &str, name: &str) -> String {
    c.create_user_unchecked(
        "test",
        NewUser {
            username: username.into(),
            display_name: name.into(),
            password: "Test-Passw0rd!".into(),
            unit: Some(UNIT.into()),
            department: None,
            roles: vec![Role::Officer],
        },
    )
    .await
    .unwrap()
}

fn principal(user_id: &str, role: Role, unit: &str) -> Principal {
    Principal {
        user_id: user_id.into(),
        roles: vec![role],
        unit: Some(unit.into()),
        department: None,
        officer_name: user_id.into(),
    }
}

fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A GA/T 947 name for a recording made `ago` before `now`, in the bureau's +08:00.
fn camera_name(
    serial: &str,
    police: &str,
    now: Timestamp,
    ago: SignedDuration,
    seq: u32,
) -> String {
    let t = (now - ago).to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
    format!(
        "{serial}_{police}_{}_{seq:04}.MP4",
        t.strftime("%Y%m%d%H%M%S")
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// (sha256, officer_id, device, agency) of every record, sorted by sha256.
async fn records(c: &Custody) -> Vec<(String, Option<String>, Option<String>, Option<String>)> {
    let mut out: Vec<_> = c
        .db()
        .records_page(None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, r)| {
            let (r, _) = r.unwrap();
            (
                r.sha256.to_hex(),
                r.officer_id,
                r.classification.device,
                r.classification.agency,
            )
        })
        .collect();
    out.sort();
    out
}

async fn verify_ok(c: &Custody) {
    let report = c
        .verify(VerifyOptions { fixity: true }, &Quiet)
        .await
        .unwrap();
    assert!(report.ok, "verify: {:?}", report.problems);
}

const CONFIG: &str = r#"
[[devices]]
serial = "DSJ001"
name = "执法记录仪-01"
agency = "平顶山高新区应急管理局"
officer = "张伟"

[station]
roots = []
[[station.officers]]
police_number = "010002"
account = "lisi"
"#;

#[tokio::test]
async fn camera_offloads_exactly_once_across_a_write_and_an_unplug() {
    for_each_backend(CONFIG, |c, root| async move {
        account(&c, "zhangwei", "张伟").await;
        let lisi = account(&c, "lisi", "李四").await;
        let now = Timestamp::now();
        let dir = root.join("CAM1/DCIM/100MEDIA");
        std::fs::create_dir_all(&dir).unwrap();
        let mut expected = Vec::new();
        for i in 0..3u32 {
            let data = noise(20_000 + i as usize, u64::from(i) + 1);
            expected.push(sha256_hex(&data));
            let name = camera_name(
                "DSJ001",
                "010002",
                now,
                SignedDuration::from_hours(2),
                i + 1,
            );
            std::fs::write(dir.join(name), data).unwrap();
        }
        // A fourth file the camera is still writing.
        let growing = dir.join(camera_name(
            "DSJ001",
            "010002",
            now,
            SignedDuration::from_hours(1),
            4,
        ));
        let mut tail = noise(30_000, 99);
        std::fs::write(&growing, &tail[..10_000]).unwrap();

        let mut st = Station::new(c.clone(), "station:测试".into())
            .unwrap()
            .with_roots(vec![root.clone()]);
        let s = st.scan_once(now).await;
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].files_done, s[0].files_total),
            (0, 4),
            "first sight: nothing stable yet"
        );
        assert_eq!(s[0].camera.as_deref(), Some("DSJ001"));
        assert_eq!(
            s[0].officer_id.as_deref(),
            Some(lisi.as_str()),
            "police number → 李四"
        );
        std::fs::write(&growing, &tail[..20_000]).unwrap();
        let s = st.scan_once(now).await;
        assert_eq!(s[0].files_done, 3, "{s:?}");
        assert!(!s[0].can_unplug);
        assert_eq!(s[0].state, SlotState::Waiting);

        // Unplugged before the last file: the tree disappears, then comes back finished.
        let away = root
            .parent()
            .unwrap()
            .join(format!("away-{}", uuid::Uuid::now_v7()));
        std::fs::rename(root.join("CAM1"), &away).unwrap();
        let s = st.scan_once(now).await;
        assert_eq!(s[0].state, SlotState::Unplugged);
        assert!(!s[0].can_unplug);
        tail.truncate(30_000);
        std::fs::write(
            away.join("DCIM/100MEDIA")
                .join(growing.file_name().unwrap()),
            &tail,
        )
        .unwrap();
        expected.push(sha256_hex(&tail));
        std::fs::rename(&away, root.join("CAM1")).unwrap();
        st.scan_once(now).await;
        let s = st.scan_once(now).await;
        assert_eq!((s[0].files_done, s[0].files_total), (4, 4), "{s:?}");
        assert_eq!(s[0].state, SlotState::Done);
        assert!(s[0].can_unplug);
        assert!(s[0].message.contains("可以拔出"));
        assert!(!s[0].late, "2 h old recordings are within 24 h");
        assert_eq!(s[0].cleared, 0, "clearing is off for the unit");
        // Scanning again takes nothing twice.
        st.scan_once(now).await;

        let rows = records(&c).await;
        expected.sort();
        assert_eq!(
            rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
            expected
        );
        for r in &rows {
            assert_eq!(r.1.as_deref(), Some(lisi.as_str()));
            assert_eq!(r.2.as_deref(), Some("执法记录仪-01"));
            assert_eq!(r.3.as_deref(), Some(UNIT));
        }
        assert!(growing.exists(), "nothing cleared");
        verify_ok(&c).await;

        // The same card judged 30 h later: the 24-hour rule marks the camera late.
        let mut later = Station::new(c.clone(), "station:测试".into())
            .unwrap()
            .with_roots(vec![root.clone()]);
        later.scan_once(now + SignedDuration::from_hours(30)).await;
        let s = later.scan_once(now + SignedDuration::from_hours(30)).await;
        assert!(s[0].late, "{s:?}");
        assert_eq!(records(&c).await.len(), 4, "nothing taken twice");
    })
    .await;
}

#[tokio::test]
async fn unknown_camera_is_held_then_bound_by_the_keeper_and_ingested() {
    for_each_backend(CONFIG, |c, root| async move {
        let lisi = account(&c, "lisi", "李四").await;
        let now = Timestamp::now();
        let dir = root.join("usb0/CAM/DCIM/100MEDIA");
        std::fs::create_dir_all(&dir).unwrap();
        let data = noise(5_000, 7);
        let name = camera_name("DSJ999", "010002", now, SignedDuration::from_hours(1), 1);
        std::fs::write(dir.join(name), &data).unwrap();
        let mut st = Station::new(c.clone(), "station:测试".into())
            .unwrap()
            .with_roots(vec![root.clone()]);
        st.scan_once(now).await;
        let s = st.scan_once(now).await;
        assert_eq!(s[0].state, SlotState::Held, "{s:?}");
        assert_eq!(s[0].files_done, 0);
        assert!(
            records(&c).await.is_empty(),
            "an unknown camera is not guessed"
        );
        let held = c.station_held().await.unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].serial.as_deref(), Some("DSJ999"));

        // Binding goes through the policy: an officer may not, nor another unit's keeper.
        let officer = principal(&lisi, Role::Officer, UNIT);
        let err = c
            .station_bind_as(
                &officer,
                liuhen_app::station::registry::StationBind::Device {
                    serial: "DSJ999",
                    unit: UNIT,
                    officer: None,
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden { .. }), "{err:?}");
        let elsewhere = principal("k2", Role::RecordsKeeper, "别的单位");
        assert!(
            c.station_bind_as(
                &elsewhere,
                liuhen_app::station::registry::StationBind::Device {
                    serial: "DSJ999",
                    unit: UNIT,
                    officer: None,
                },
            )
            .await
            .is_err()
        );
        let keeper = principal("keeper", Role::RecordsKeeper, UNIT);
        // A binding to an officer who is not an account of the unit is refused.
        assert!(
            c.station_bind_as(
                &keeper,
                liuhen_app::station::registry::StationBind::Device {
                    serial: "DSJ999",
                    unit: UNIT,
                    officer: Some("无此人"),
                },
            )
            .await
            .is_err()
        );
        assert_eq!(c.station_held().await.unwrap().len(), 1);
        c.station_bind_as(
            &keeper,
            liuhen_app::station::registry::StationBind::Device {
                serial: "DSJ999",
                unit: UNIT,
                officer: None,
            },
        )
        .await
        .unwrap();
        assert!(c.station_held().await.unwrap().is_empty());
        st.scan_once(now).await;
        let s = st.scan_once(now).await;
        assert_eq!(s[0].state, SlotState::Done, "{s:?}");
        let rows = records(&c).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, sha256_hex(&data));
        assert_eq!(rows[0].1.as_deref(), Some(lisi.as_str()));
        assert_eq!(rows[0].2.as_deref(), Some("DSJ999"));
        verify_ok(&c).await;
    })
    .await;
}

fn blob_path(data: &Path, sha: &str) -> PathBuf {
    data.join("blobs/sha256")
        .join(&sha[0..2])
        .join(&sha[2..4])
        .join(sha)
}

#[tokio::test]
async fn clearing_removes_only_files_whose_read_back_matched() {
    let config = CONFIG.replace(
        "[station]\nroots = []\n",
        &format!("[station]\nroots = []\nclear_units = [\"{UNIT}\"]\n"),
    );
    for_each_backend(&config, |c, root| async move {
        account(&c, "lisi", "李四").await;
        let now = Timestamp::now();
        let dir = root.join("CAM/DCIM/100MEDIA");
        std::fs::create_dir_all(&dir).unwrap();
        let mut paths = Vec::new();
        for i in 0..3u32 {
            let data = noise(8_000 + i as usize, 40 + u64::from(i));
            let p = dir.join(camera_name(
                "DSJ001",
                "010002",
                now,
                SignedDuration::from_hours(3),
                i + 1,
            ));
            std::fs::write(&p, &data).unwrap();
            paths.push((p, sha256_hex(&data)));
        }
        // Fault injection: the second file is already in custody and its stored copy is
        // damaged, so its read-back cannot match.
        let opts = liuhen_app::ingest::IngestOptions {
            actor: "test".into(),
            ..Default::default()
        };
        let sum = c
            .ingest(
                &[paths[1].0.clone()],
                &opts,
                std::sync::Arc::new(liuhen_app::ingest::NoProgress),
            )
            .await;
        assert_eq!(sum.stored, 1);
        let blob = blob_path(c.data_dir(), &paths[1].1);
        let mut bytes = std::fs::read(&blob).unwrap();
        bytes[100] ^= 0xff;
        let mut perm = std::fs::metadata(&blob).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perm.set_readonly(false);
        std::fs::set_permissions(&blob, perm).unwrap();
        std::fs::write(&blob, bytes).unwrap();

        let mut st = Station::new(c.clone(), "station:测试".into())
            .unwrap()
            .with_roots(vec![root.clone()]);
        st.scan_once(now).await;
        let s = st.scan_once(now).await;
        assert_eq!(s[0].files_done, 3, "{s:?}");
        assert_eq!(s[0].cleared, 2, "{s:?}");
        assert!(
            !paths[0].0.exists() && !paths[2].0.exists(),
            "read back and matched: cleared"
        );
        assert!(paths[1].0.exists(), "read-back failed: kept on the card");
        assert!(
            s[0].problems.iter().any(|p| p.contains("kept on the card")),
            "{s:?}"
        );
        assert_eq!(records(&c).await.len(), 3);
    })
    .await;
}

#[tokio::test]
async fn a_fault_injected_read_back_failure_leaves_the_file_on_the_card() {
    let config = CONFIG.replace(
        "[station]\nroots = []\n",
        &format!("[station]\nroots = []\nclear_units = [\"{UNIT}\"]\nfiles_in_flight = 3\n"),
    );
    for_each_backend(&config, |c, root| async move {
        account(&c, "lisi", "李四").await;
        let now = Timestamp::now();
        let dir = root.join("CAM/DCIM/100MEDIA");
        std::fs::create_dir_all(&dir).unwrap();
        let mut paths = Vec::new();
        for i in 0..6u32 {
            let p = dir.join(camera_name(
                "DSJ001",
                "010002",
                now,
                SignedDuration::from_hours(1),
                i + 1,
            ));
            std::fs::write(&p, noise(3_000 + i as usize, 70 + u64::from(i))).unwrap();
            paths.push(p);
        }
        // The camera wrote each file as its recording ended, 50 minutes after its start.
        let ended = std::time::SystemTime::now() - std::time::Duration::from_secs(600);
        for p in &paths {
            std::fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(ended)
                .unwrap();
        }
        let failing = paths[4].clone();
        let mut st = Station::new(c.clone(), "station:测试".into())
            .unwrap()
            .with_roots(vec![root.clone()])
            .with_read_back_fault(std::sync::Arc::new(move |p: &Path| p == failing));
        st.scan_once(now).await;
        let s = st.scan_once(now).await;
        assert_eq!((s[0].files_done, s[0].cleared), (6, 5), "{s:?}");
        for (i, p) in paths.iter().enumerate() {
            assert_eq!(p.exists(), i == 4, "{}", p.display());
        }
        assert!(
            s[0].problems.iter().any(|p| p.contains("kept on the card")),
            "{s:?}"
        );
        assert!(!s[0].problems.iter().any(|p| p.contains("clock")), "{s:?}");
        assert_eq!(records(&c).await.len(), 6, "every file is in custody");
        verify_ok(&c).await;
    })
    .await;
}

#[tokio::test]
async fn camera_clock_in_the_future_or_far_from_the_file_times_is_flagged() {
    for_each_backend(CONFIG, |c, root| async move {
        account(&c, "lisi", "李四").await;
        let now = Timestamp::now();
        let dir = root.join("CAM/DCIM/100MEDIA");
        std::fs::create_dir_all(&dir).unwrap();
        // Named 2 h in the future (the file's own time is now), and named 3 h ago while
        // the file says it ended 1 h ago; the defaults: 10 minutes of tolerance, recordings
        // of at most 60 minutes.
        let ahead = dir.join(camera_name(
            "DSJ001",
            "010002",
            now,
            SignedDuration::from_hours(-2),
            1,
        ));
        let apart = dir.join(camera_name(
            "DSJ001",
            "010002",
            now,
            SignedDuration::from_hours(3),
            2,
        ));
        std::fs::write(&ahead, noise(1_000, 1)).unwrap();
        std::fs::write(&apart, noise(1_000, 2)).unwrap();
        let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(&apart)
            .unwrap()
            .set_modified(an_hour_ago)
            .unwrap();
        let mut st = Station::new(c.clone(), "station:测试".into())
            .unwrap()
            .with_roots(vec![root.clone()]);
        st.scan_once(now).await;
        let s = st.scan_once(now).await;
        let clock: Vec<&String> = s[0]
            .problems
            .iter()
            .filter(|p| p.contains("camera clock"))
            .collect();
        assert_eq!(clock.len(), 1, "{s:?}");
        assert!(
            clock[0].contains("1 recording(s) in the future of the station clock"),
            "{clock:?}"
        );
        assert!(
            clock[0].contains("1 recording time(s) far from the file time (up to 120 min apart)"),
            "{clock:?}"
        );
        assert_eq!(s[0].files_done, 2, "flagged, still taken");
    })
    .await;
}
