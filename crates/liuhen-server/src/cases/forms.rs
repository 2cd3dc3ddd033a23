//! Parsing of case forms (HTML forms and JSON alike end up in the app's types here).

use liuhen_app::AppError;
use liuhen_app::case_work::parse_time;
use liuhen_app::case_work::{CaseFilter, FlagColumn};
use liuhen_app::cases::{NewStep, PartyRow};
use liuhen_domain::case::{CaseCategory, CaseStatus};
use serde::Deserialize;

fn invalid(msg: impl Into<String>) -> AppError {
    AppError::Invalid(msg.into())
}

/// The pairs of a urlencoded form, in order (repeated keys allowed).
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    pub fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn checked(&self, key: &str) -> bool {
        matches!(self.get(key).as_str(), "1" | "on" | "true")
    }
}

/// Names separated by 、，, or whitespace.
pub fn names(s: &str) -> Vec<String> {
    s.split(|c: char| c == '、' || c == ',' || c == '，' || c.is_whitespace())
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parties from the repeated `party_kind` / `party_name` / `party_code` fields; a row with
/// neither name nor code is skipped (the form always offers blank rows).
pub fn parties(p: &Pairs) -> Vec<PartyRow> {
    let kinds = p.all("party_kind");
    let names = p.all("party_name");
    let codes = p.all("party_code");
    (0..names.len().max(codes.len()))
        .filter_map(|i| {
            let name = names.get(i).cloned().unwrap_or_default();
            let code = codes.get(i).cloned().unwrap_or_default();
            if name.trim().is_empty() && code.trim().is_empty() {
                return None;
            }
            Some(PartyRow {
                kind: kinds.get(i).cloned().unwrap_or_else(|| "unit".into()),
                name,
                id_or_credit_code: code,
            })
        })
        .collect()
}

pub fn category(s: &str) -> Result<CaseCategory, AppError> {
    s.parse::<CaseCategory>()
        .map_err(|e| invalid(e.to_string()))
}

pub fn status(s: &str) -> Result<CaseStatus, AppError> {
    [CaseStatus::Open, CaseStatus::Decided, CaseStatus::Archived]
        .into_iter()
        .find(|c| c.code() == s.trim() || c.label_zh() == s.trim())
        .ok_or_else(|| {
            invalid(format!(
                "未知的案件状态 {s:?}（应为 open、decided 或 archived） / unknown status"
            ))
        })
}

/// A step as a form or a JSON body gives it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StepInput {
    pub checklist_row: Option<String>,
    pub name: Option<String>,
    pub start: String,
    pub end: String,
    pub place: String,
    /// Names separated by 、 or commas (form) …
    pub officers_text: Option<String>,
    /// … or a list (JSON).
    pub officers: Vec<String>,
    pub on_site: bool,
    pub disputed: bool,
}

impl StepInput {
    pub fn from_pairs(p: &Pairs) -> Self {
        Self {
            checklist_row: Some(p.get("checklist_row")).filter(|r| !r.trim().is_empty()),
            name: Some(p.get("name")).filter(|n| !n.trim().is_empty()),
            start: p.get("start"),
            end: p.get("end"),
            place: p.get("place"),
            officers_text: Some(p.get("officers")),
            officers: Vec::new(),
            on_site: p.checked("on_site"),
            disputed: p.checked("disputed"),
        }
    }

    pub fn into_new_step(self, tz: &jiff::tz::TimeZone) -> Result<NewStep, AppError> {
        let mut officers = self.officers;
        if let Some(t) = &self.officers_text {
            officers.extend(names(t));
        }
        Ok(NewStep {
            checklist_row: self.checklist_row,
            name: self.name,
            window: (
                parse_time("开始时间", &self.start, tz)?,
                parse_time("结束时间", &self.end, tz)?,
            ),
            place: self.place,
            officers,
            on_site: self.on_site,
            disputed: self.disputed,
        })
    }
}

/// The list's query string (pages and API alike).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub category: String,
    pub status: String,
    pub flag: String,
    pub department: String,
    pub officer: String,
    pub page: Option<u32>,
    pub size: Option<u32>,
}

impl ListQuery {
    pub fn filter(&self) -> Result<CaseFilter, AppError> {
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(CaseFilter {
            text: opt(&self.q),
            category: opt(&self.category).map(|c| category(&c)).transpose()?,
            status: opt(&self.status).map(|c| status(&c)).transpose()?,
            flag: match opt(&self.flag) {
                None => None,
                Some(f) => {
                    Some(FlagColumn::of(&f).ok_or_else(|| {
                        invalid(format!("未知的案件标记 {f:?} / unknown case flag"))
                    })?)
                }
            },
            department: opt(&self.department),
            officer: opt(&self.officer),
        })
    }

    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }

    pub fn size(&self) -> u32 {
        self.size.unwrap_or(20).clamp(1, 100)
    }

    /// The query string of another page of the same list.
    pub fn with_page(&self, page: u32) -> String {
        let pairs = [
            ("q", self.q.as_str()),
            ("category", &self.category),
            ("status", &self.status),
            ("flag", &self.flag),
            ("department", &self.department),
            ("officer", &self.officer),
        ];
        let mut s = String::new();
        for (k, v) in pairs.iter().filter(|(_, v)| !v.trim().is_empty()) {
            s.push_str(&format!("{k}={}&", crate::records::params::encode(v)));
        }
        s.push_str(&format!("page={page}&size={}", self.size()));
        s
    }
}
