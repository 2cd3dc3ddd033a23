//! Property, through the use cases and on both backends: whatever happens to three records
//! and three cases (links and unlinks, flags set and cleared, holds placed and lifted, the
//! periodic recomputation, years passing), a record's retain-until never shrinks without an
//! approved disposal, its store lock is never behind its row, and `verify` stays clean. A
//! deterministic generator (splitmix64) makes every run the same; the pure rules have their
//! own, larger property test (`liuhen_domain::retention`).

use liuhen_app::cases::CaseFlag;
use liuhen_app::holds::HoldTarget;
use liuhen_app::verify::{Quiet, VerifyOptions};
use liuhen_domain::Role;
use liuhen_domain::authz::Principal;

use crate::retention::{case_with_step, for_each_backend, ingest_one, keeper};

struct Gen(u64);

impl Gen {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

const FLAGS: [CaseFlag; 4] = [
    CaseFlag::MajorPenalty,
    CaseFlag::Complex,
    CaseFlag::HearingHeld,
    CaseFlag::EnforcedExecution,
];

#[tokio::test]
async fn retention_never_shrinks_through_the_use_cases() {
    for_each_backend(|c, clock, dir| async move {
        let leader = Principal {
            user_id: "leader".into(),
            roles: vec![Role::EnforcementLeader],
            ..keeper()
        };
        let tag = dir.display().to_string();
        let mut records = Vec::new();
        for i in 0..3 {
            records.push(ingest_one(&c, &dir, &format!("property {i} {tag}")).await);
        }
        let mut cases = Vec::new();
        for i in 0..3 {
            cases.push(case_with_step(&c, &format!("2026-P{i}")).await);
        }
        let mut linked = [[false; 3]; 3]; // [case][record]
        let mut flags = [[false; FLAGS.len()]; 3]; // [case][flag]
        let mut holds: Vec<String> = Vec::new();
        let mut kept: Vec<_> = Vec::new();
        for id in &records {
            kept.push(c.record(id).await.unwrap().retain_until);
        }
        let initial = kept.clone();
        let mut g = Gen(12);
        for step in 0..36 {
            let (k, r) = (g.below(3), g.below(3));
            let (case, step_id) = &cases[k];
            let op = g.below(7);
            match op {
                0 | 1 if !linked[k][r] => {
                    c.link_record(step_id, &records[r], "keeper").await.unwrap();
                    linked[k][r] = true;
                }
                0 | 1 => {
                    c.unlink_record(step_id, &records[r], "关联错误", "keeper")
                        .await
                        .unwrap();
                    linked[k][r] = false;
                }
                2 => {
                    let f = g.below(FLAGS.len());
                    flags[k][f] = !flags[k][f];
                    c.set_case_flag(case, FLAGS[f], flags[k][f], "复核案件标记", "keeper")
                        .await
                        .unwrap();
                }
                3 => {
                    let target = if g.below(2) == 0 {
                        HoldTarget::Record(records[r].clone())
                    } else {
                        HoldTarget::Case(case.clone())
                    };
                    let h = c
                        .place_hold(&keeper(), &target, "important_case", "")
                        .await
                        .unwrap();
                    holds.push(h.id);
                }
                4 if !holds.is_empty() => {
                    let h = holds.remove(g.below(holds.len()));
                    c.lift_hold(&leader, &h, "复议结束").await.unwrap();
                }
                5 => {
                    c.follow_all_retention("system").await.unwrap();
                }
                _ => clock.advance_years(1 + g.below(4) as u32),
            }
            for (i, id) in records.iter().enumerate() {
                let row = c.record(id).await.unwrap();
                assert!(
                    row.retain_until >= kept[i],
                    "step {step} (op {op}): record {i} shrank from {} to {}",
                    kept[i],
                    row.retain_until
                );
                let lock = c.blobs().retention(&row.sha256).unwrap().unwrap();
                assert!(lock >= row.retain_until, "step {step}: lock behind row");
                kept[i] = row.retain_until;
            }
        }
        assert!(
            kept.iter().zip(&initial).all(|(k, i)| k > i),
            "the sequence extends every record at least once"
        );
        let report = c
            .verify(VerifyOptions { fixity: true }, &Quiet)
            .await
            .unwrap();
        assert!(report.ok, "{:?}", report.problems);
    })
    .await;
}
