//! What the log says about cases, steps and links (issue 11): typed structs, one per kind,
//! written by the use cases (`cases`, `case_work`, `case_archive`, `identity`) and read back
//! by `verify`'s replay (`verify_cases`), so the two cannot drift apart. They are the log's
//! own shape, a public contract (`docs/log-format.md`): the API and the CLI have their own
//! views (`cases::case_json`, the CLI's printing), so a change to them cannot change the log.
//! The record snapshot is `liuhen_db::RecordSnapshot` (its hash is the row's binding).
//!
//! The serialized forms are pinned by hand-written expected JSON in the tests below.

use liuhen_db::{CaseRow, StepRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cases::CaseFlag;

pub use liuhen_db::RecordSnapshot;

/// A party to a case, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartySnapshot {
    pub kind: String,
    pub name: String,
    pub id_or_credit_code: String,
}

/// A case as `case.created` carries it (`details.case`), and the fields `case.edited`
/// changes (`details.changes.<field>.{from,to}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSnapshot {
    pub id: String,
    pub number: String,
    pub name: String,
    /// `CaseCategory::code`.
    pub category: String,
    /// Absent from entries logged before the unit was kept: "".
    #[serde(default)]
    pub agency: String,
    pub department: String,
    /// `CaseStatus::code`.
    pub status: String,
    /// Codes of the flags set, in `CaseFlag::ALL` order.
    pub flags: Vec<String>,
    pub created_ms: i64,
    pub parties: Vec<PartySnapshot>,
    /// Names, for display.
    pub team: Vec<String>,
    /// The account of each member (`null`: none). Absent from entries logged before
    /// identity by account (issue 10): no member had one.
    #[serde(default)]
    pub team_ids: Option<Vec<Option<String>>>,
}

impl CaseSnapshot {
    pub fn of(c: &CaseRow) -> Self {
        Self {
            id: c.id.clone(),
            number: c.number.clone(),
            name: c.name.clone(),
            category: c.category.code().to_owned(),
            agency: c.agency.clone(),
            department: c.department.clone(),
            status: c.status.code().to_owned(),
            flags: CaseFlag::ALL
                .into_iter()
                .filter(|f| f.get(&c.flags))
                .map(|f| f.code().to_owned())
                .collect(),
            created_ms: c.created_at.as_millisecond(),
            parties: c
                .parties
                .iter()
                .map(|p| PartySnapshot {
                    kind: p.kind.clone(),
                    name: p.name.clone(),
                    id_or_credit_code: p.id_or_credit_code.clone(),
                })
                .collect(),
            team: c.team.clone(),
            team_ids: Some(c.team_ids.clone()),
        }
    }

    /// As the log carries it (and as `verify` compares it: `team_ids` always present).
    pub fn to_value(&self) -> Value {
        let mut s = self.clone();
        if s.team_ids.is_none() {
            s.team_ids = Some(vec![None; s.team.len()]);
        }
        serde_json::to_value(s).expect("a case snapshot serializes")
    }

    /// Reads a logged snapshot; what older entries lack takes its old meaning.
    pub fn from_logged(v: &Value) -> Option<Self> {
        let mut s: Self = serde_json::from_value(v.clone()).ok()?;
        if s.team_ids.is_none() {
            s.team_ids = Some(vec![None; s.team.len()]);
        }
        Some(s)
    }
}

/// An enforcement step as `step.added` carries it (`details.step`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepSnapshot {
    pub id: String,
    pub checklist_row: Option<String>,
    pub name: String,
    pub window_start_ms: i64,
    pub window_end_ms: i64,
    pub place: String,
    pub officers: Vec<String>,
    pub on_site: bool,
    pub disputed: bool,
}

impl StepSnapshot {
    pub fn of(s: &liuhen_domain::case::Step) -> Self {
        Self {
            id: s.id.clone(),
            checklist_row: s.checklist_row.clone(),
            name: s.name.clone(),
            window_start_ms: s.window.0.as_millisecond(),
            window_end_ms: s.window.1.as_millisecond(),
            place: s.place.clone(),
            officers: s.officers.clone(),
            on_site: s.on_site,
            disputed: s.disputed,
        }
    }
}

/// A step row as `verify` compares it: the logged step, its case (the entry's subject) and
/// when it was added (the entry's time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRowSnapshot {
    #[serde(flatten)]
    pub step: StepSnapshot,
    pub case_id: String,
    pub created_ms: i64,
}

impl StepRowSnapshot {
    pub fn of(s: &StepRow) -> Self {
        Self {
            step: StepSnapshot::of(&s.step),
            case_id: s.case_id.clone(),
            created_ms: s.created_at.as_millisecond(),
        }
    }
}

/// A link of a record to a step, as `record.linked` carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSnapshot {
    pub step: String,
    pub record: String,
    /// The record's SHA-256 at the time of linking.
    pub sha256: String,
}

/// The removal of a link, as `record.unlinked` carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlinkSnapshot {
    pub step: String,
    pub record: String,
    pub reason: String,
}

/// Serializes a snapshot for an entry's details.
pub fn value<T: Serialize>(t: &T) -> Value {
    serde_json::to_value(t).expect("a log snapshot serializes")
}

#[cfg(test)]
#[path = "log_snapshot_tests.rs"]
mod tests;
