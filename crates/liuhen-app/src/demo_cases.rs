//! Cases of the demo bureau, made on its recordings so that the case pages and the unit
//! dashboard show every verdict: a covered step, a missing mandatory recording, a hearing
//! without video, a disputed inspection with its video.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use liuhen_domain::RecordId;
use liuhen_domain::case::{CaseCategory, CaseFlags};

use crate::cases::{CaseFlag, NewCase, NewStep, PartyRow, linked_recording};
use crate::demo::GX;
use crate::{AppError, Custody};

struct DemoStep {
    row: &'static str,
    name: &'static str,
    place: &'static str,
    /// The plan whose recording is linked (and gives the window), or minutes ago.
    evidence: Result<usize, i64>,
}

struct DemoCase {
    number: &'static str,
    name: &'static str,
    category: CaseCategory,
    party: (&'static str, &'static str),
    officer: (&'static str, &'static str),
    flag: Option<(CaseFlag, &'static str)>,
    steps: Vec<DemoStep>,
}

fn cases() -> Vec<DemoCase> {
    vec![
        DemoCase {
            number: "平高应急罚〔2026〕1号",
            name: "某化工有限公司未按规定开展隐患排查案",
            category: CaseCategory::Penalty,
            party: ("平顶山市某化工有限公司", "91410400MA00000001"),
            officer: ("zhangwei", "张伟"),
            flag: Some((CaseFlag::MajorHazard, "现场发现重大事故隐患")),
            steps: vec![
                DemoStep {
                    row: "2.3",
                    name: "现场调查取证",
                    place: "某化工有限公司罐区",
                    evidence: Ok(0),
                },
                DemoStep {
                    row: "1.2",
                    name: "留置送达行政处罚告知书",
                    place: "某化工有限公司办公楼",
                    evidence: Err(30),
                },
            ],
        },
        DemoCase {
            number: "平高应急罚〔2026〕2号",
            name: "某加油站动火作业违规案",
            category: CaseCategory::Penalty,
            party: ("平顶山市某石化加油站", "91410400MA00000002"),
            officer: ("lina", "李娜"),
            flag: Some((CaseFlag::HearingHeld, "当事人申请听证")),
            steps: vec![DemoStep {
                row: "1.1",
                name: "听证会",
                place: "局三楼听证室",
                evidence: Err(180),
            }],
        },
        DemoCase {
            number: "平高应急检〔2026〕1号",
            name: "某加油站安全生产现场检查",
            category: CaseCategory::Inspection,
            party: ("平顶山市某石化加油站", "91410400MA00000002"),
            officer: ("lina", "李娜"),
            flag: Some((CaseFlag::Disputed, "当事人对检查结论有异议")),
            steps: vec![DemoStep {
                row: "2.7",
                name: "现场检查",
                place: "某加油站",
                evidence: Ok(1),
            }],
        },
    ]
}

impl Custody {
    /// Makes the demo cases; `stored` maps plan numbers to the records ingested for them.
    pub(crate) async fn fill_demo_cases(
        &self,
        ids: &HashMap<&'static str, String>,
        stored: &[(usize, String)],
        now: Timestamp,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<usize, AppError> {
        let mut made = 0;
        for c in cases() {
            let actor = ids.get(c.officer.0).cloned().unwrap_or_default();
            let case = self
                .create_case(
                    &NewCase {
                        number: c.number.into(),
                        name: c.name.into(),
                        category: c.category,
                        agency: GX.into(),
                        department: "执法监察大队".into(),
                        parties: vec![PartyRow {
                            kind: "unit".into(),
                            name: c.party.0.into(),
                            id_or_credit_code: c.party.1.into(),
                        }],
                        team: vec![c.officer.1.into()],
                        flags: CaseFlags::default(),
                    },
                    &actor,
                )
                .await?;
            if let Some((flag, reason)) = c.flag {
                self.set_case_flag(&case.id, flag, true, reason, &actor)
                    .await?;
            }
            for st in &c.steps {
                let record = match st.evidence {
                    Ok(plan) => stored
                        .iter()
                        .find(|(n, _)| *n == plan)
                        .and_then(|(_, id)| RecordId::parse(id).ok()),
                    Err(_) => None,
                };
                let window = match (&record, st.evidence) {
                    (Some(id), _) => {
                        let record = self.record(id).await?;
                        let rec = linked_recording(&record, self.config.recording_source(&record));
                        (
                            rec.start,
                            rec.end.max(rec.start + SignedDuration::from_secs(1)),
                        )
                    }
                    (None, Err(mins)) => {
                        let start = now - SignedDuration::from_mins(mins);
                        (start, start + SignedDuration::from_mins(20))
                    }
                    (None, Ok(_)) => continue,
                };
                let step = self
                    .add_step(
                        &case.id,
                        &NewStep {
                            checklist_row: Some(st.row.into()),
                            name: Some(st.name.into()),
                            window,
                            place: st.place.into(),
                            officers: vec![c.officer.1.into()],
                            on_site: true,
                            disputed: false,
                        },
                        &actor,
                    )
                    .await?;
                if let Some(id) = record {
                    self.link_record(&step.step.id, &id, &actor).await?;
                }
            }
            progress(&format!("案件 {} {}", c.number, c.name));
            made += 1;
        }
        Ok(made)
    }
}
