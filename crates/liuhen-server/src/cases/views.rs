//! View models of the case pages: every value formatted for people (Chinese labels, the
//! bureau's time zone); templates only place and escape them.

use crate::i18n::Tr;
use jiff::tz::TimeZone;
use liuhen_app::case_work::CaseEvent;
use liuhen_app::cases::{CaseFlag, CaseRow, StepRecordRow, StepRow};
use liuhen_domain::Record;
use liuhen_domain::case::{CaseCategory, CaseStatus};
use liuhen_domain::checklist::{Checklist, ChecklistRow};
use liuhen_domain::compliance::{CaseVerdict, Level, StepVerdict};
use liuhen_domain::proposal::Proposal;

use crate::records::views::{DASH, time};

pub fn level_class(l: Level) -> &'static str {
    match l {
        Level::Ok => "ok",
        Level::Warning => "warn",
        Level::Violation => "bad",
    }
}

pub use crate::chrome::Opt;
use crate::chrome::options;

pub fn categories(t: Tr) -> Vec<Opt> {
    options(&CaseCategory::ALL, t)
}

pub fn statuses(t: Tr) -> Vec<Opt> {
    options(
        &[CaseStatus::Open, CaseStatus::Decided, CaseStatus::Archived],
        t,
    )
}

pub fn flags(t: Tr) -> Vec<Opt> {
    options(&CaseFlag::ALL, t)
}

/// One interruption reason of the lists in force, for the "explain" form.
pub struct ReasonOpt {
    pub code: String,
    pub label: String,
}

pub fn reasons(lists: &liuhen_domain::lists::Lists, t: Tr) -> Vec<ReasonOpt> {
    lists
        .interruption_reasons
        .iter()
        .map(|r| ReasonOpt {
            code: r.code.clone(),
            label: match t.lang {
                crate::i18n::Lang::En => r.en.clone(),
                crate::i18n::Lang::Zh => r.zh.clone(),
            },
        })
        .collect()
}

/// One row of the checklist, for the "add a step" form.
pub struct RowOpt {
    pub id: String,
    pub label: String,
}

pub fn checklist_rows(list: &Checklist, t: Tr) -> Vec<RowOpt> {
    list.rows()
        .iter()
        .map(|r| RowOpt {
            id: r.id.clone(),
            label: format!(
                "{} {}｜{}｜{}",
                r.id,
                r.category
                    .map_or(t.s("case.checklist.general"), |c| t.label(c)),
                r.step,
                modes_label(r, t)
            ),
        })
        .collect()
}

/// A checklist row's recording modes as the table writes them: "录像或视频监控".
fn modes_label(r: &ChecklistRow, t: Tr) -> String {
    let labels: Vec<&str> = r.modes.iter().map(|m| t.label(*m)).collect();
    labels.join(t.s("case.checklist.or"))
}

/// A row of the case list.
pub struct CaseItem {
    pub id: String,
    pub number: String,
    pub name: String,
    pub category: &'static str,
    pub status: &'static str,
    pub department: String,
    pub parties: String,
    pub team: String,
    pub flags: Vec<&'static str>,
    pub created: String,
}

impl CaseItem {
    pub fn new(c: &CaseRow, tz: &TimeZone, t: Tr) -> Self {
        Self {
            id: c.id.clone(),
            number: c.number.clone(),
            name: c.name.clone(),
            category: t.label(c.category),
            status: t.label(c.status),
            department: c.department.clone(),
            parties: c
                .parties
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            team: c.team.join("、"),
            flags: CaseFlag::ALL
                .into_iter()
                .filter(|f| f.get(&c.flags))
                .map(|f| t.label(f))
                .collect(),
            created: time(c.created_at, tz),
        }
    }
}

pub struct PartyView {
    pub kind: &'static str,
    pub name: String,
    pub code: String,
}

pub struct FlagView {
    pub code: &'static str,
    pub label: &'static str,
    pub set: bool,
}

/// The whole case, for its page and its edit form.
pub struct CaseDetail {
    pub item: CaseItem,
    pub agency: String,
    pub category_code: &'static str,
    pub status_code: &'static str,
    pub parties: Vec<PartyView>,
    pub team: Vec<String>,
    pub flags: Vec<FlagView>,
}

impl CaseDetail {
    pub fn new(c: &CaseRow, tz: &TimeZone, t: Tr) -> Self {
        Self {
            item: CaseItem::new(c, tz, t),
            agency: if c.agency.is_empty() {
                DASH.into()
            } else {
                c.agency.clone()
            },
            category_code: c.category.code(),
            status_code: c.status.code(),
            parties: c
                .parties
                .iter()
                .map(|p| PartyView {
                    kind: if p.kind == "unit" {
                        t.s("case.party.unit")
                    } else {
                        t.s("case.party.person")
                    },
                    name: p.name.clone(),
                    code: p.id_or_credit_code.clone(),
                })
                .collect(),
            team: c.team.clone(),
            flags: CaseFlag::ALL
                .into_iter()
                .map(|f| FlagView {
                    code: f.code(),
                    label: t.label(f),
                    set: f.get(&c.flags),
                })
                .collect(),
        }
    }

    pub fn team_text(&self) -> String {
        self.team.join("、")
    }
}

pub struct FindingView {
    pub class: &'static str,
    pub level: &'static str,
    pub rule: &'static str,
    pub message: String,
}

pub struct LinkView {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub officer: String,
    pub device: String,
    pub span: String,
    pub linked: String,
}

pub struct InterruptionView {
    pub after: String,
    pub gap: String,
    pub officer: String,
    pub device: String,
    pub explained: bool,
    pub after_seconds: i64,
}

pub struct StepView {
    pub id: String,
    pub name: String,
    pub row: String,
    pub requirement: String,
    pub window: String,
    pub place: String,
    pub officers: String,
    pub on_site: bool,
    pub disputed: bool,
    pub full_process: bool,
    pub class: &'static str,
    pub level: &'static str,
    pub findings: Vec<FindingView>,
    pub links: Vec<LinkView>,
    pub interruptions: Vec<InterruptionView>,
}

fn span(r: &Record, tz: &TimeZone) -> String {
    // only the times matter here, which do not depend on the source
    let rec = liuhen_app::cases::linked_recording(r, Default::default());
    if rec.start == rec.end {
        time(rec.start, tz)
    } else {
        format!("{} – {}", time(rec.start, tz), time(rec.end, tz))
    }
}

pub fn kind_label(r: &Record) -> &'static str {
    match r.kind {
        liuhen_domain::MediaKind::Video => "视频",
        liuhen_domain::MediaKind::Audio => "音频",
        liuhen_domain::MediaKind::Photo => "照片",
        liuhen_domain::MediaKind::Other => "其他",
    }
}

impl StepView {
    pub fn new(
        s: &StepRow,
        v: Option<&StepVerdict>,
        links: &[(StepRecordRow, Record)],
        explained: &[liuhen_domain::RecordId],
        list: &Checklist,
        tz: &TimeZone,
        t: Tr,
    ) -> Self {
        let st = &s.step;
        let row = st.checklist_row.as_deref().and_then(|id| list.row(id));
        let level = v.map_or(Level::Ok, |v| v.level);
        Self {
            id: st.id.clone(),
            name: st.name.clone(),
            row: st
                .checklist_row
                .clone()
                .unwrap_or_else(|| t.s("case.step.free_short").into()),
            requirement: row.map_or_else(String::new, |r| {
                let sep = t.s("punct.semicolon");
                format!(
                    "{}{sep}{}{sep}{}",
                    r.requirement,
                    modes_label(r, t),
                    t.label(r.obligation)
                )
            }),
            window: format!("{} – {}", time(st.window.0, tz), time(st.window.1, tz)),
            place: st.place.clone(),
            officers: st.officers.join("、"),
            on_site: st.on_site,
            disputed: st.disputed,
            full_process: v.is_some_and(|v| v.full_process),
            class: level_class(level),
            level: t.label(level),
            findings: v
                .map(|v| {
                    v.findings
                        .iter()
                        .map(|f| FindingView {
                            class: level_class(f.level),
                            level: t.label(f.level),
                            rule: f.rule,
                            message: f.message_zh.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            links: links
                .iter()
                .map(|(l, r)| LinkView {
                    id: r.id.to_string(),
                    name: r.original_name.clone(),
                    kind: kind_label(r),
                    officer: r.classification.officer.clone().unwrap_or_default(),
                    device: r.classification.device.clone().unwrap_or_default(),
                    span: span(r, tz),
                    linked: format!("{} {}", time(l.linked_at, tz), l.linked_by),
                })
                .collect(),
            interruptions: v
                .map(|v| {
                    v.interruptions
                        .iter()
                        .map(|i| InterruptionView {
                            after: i.after.to_string(),
                            gap: format!(
                                "{} – {}（{} 秒）",
                                time(i.gap_start, tz),
                                time(i.gap_end, tz),
                                i.gap().as_secs()
                            ),
                            officer: i.officer.clone(),
                            device: i.device.clone(),
                            explained: explained.contains(&i.after),
                            after_seconds: i.after_duration.as_secs(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// The verdict's totals.
pub struct Summary {
    pub class: &'static str,
    pub level: &'static str,
    pub violations: usize,
    pub warnings: usize,
    pub unexplained: usize,
    /// Findings about the case as a whole (a step its flags imply is missing).
    pub findings: Vec<FindingView>,
}

impl Summary {
    pub fn new(v: &CaseVerdict, t: Tr) -> Self {
        Self {
            class: level_class(v.level),
            level: t.label(v.level),
            violations: v.violations(),
            warnings: v.warnings(),
            unexplained: v.unexplained_interruptions(),
            findings: v
                .findings
                .iter()
                .map(|f| FindingView {
                    class: level_class(f.level),
                    level: t.label(f.level),
                    rule: f.rule,
                    message: f.message_zh.clone(),
                })
                .collect(),
        }
    }
}

pub struct EventView {
    pub seq: u64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub summary: String,
    pub reason: String,
}

impl EventView {
    pub fn new(e: &CaseEvent, tz: &TimeZone, t: Tr) -> Self {
        Self {
            seq: e.seq,
            at: time(e.at, tz),
            actor: e.actor_name.clone().unwrap_or_else(|| e.actor_id.clone()),
            action: e
                .action
                .map(|a| t.label(a).to_owned())
                .unwrap_or_else(|| e.action_code.clone()),
            summary: e.summary_zh.clone(),
            reason: if e.action == Some(liuhen_domain::AuditAction::InterruptionExplained) {
                String::new()
            } else {
                e.reason.clone().unwrap_or_default()
            },
        }
    }
}

/// A record offered in the picker: proposed (with score and reasons) or found by search.
pub struct PickView {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub officer: String,
    pub device: String,
    pub span: String,
    pub score: Option<u32>,
    pub reasons: String,
}

impl PickView {
    pub fn new(r: &Record, p: Option<&Proposal>, tz: &TimeZone) -> Self {
        Self {
            id: r.id.to_string(),
            name: r.original_name.clone(),
            kind: kind_label(r),
            officer: r.classification.officer.clone().unwrap_or_default(),
            device: r
                .classification
                .device
                .clone()
                .or_else(|| r.media.device_serial.clone())
                .unwrap_or_default(),
            span: span(r, tz),
            score: p.map(|p| p.score),
            reasons: p.map(|p| p.reasons_zh.join("；")).unwrap_or_default(),
        }
    }
}
