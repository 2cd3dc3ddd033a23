//! The lists of the rules as data (issue 11): the interruption reasons of A2.7 (R2.5), each
//! with its labels and whether its explanation needs words, and the lines of the reviewer
//! sheet (A2.5, A2.6: R2.3, R2.4) with the rule each rests on. Shipped in `lists/default.toml`;
//! a bureau's file of the same shape (every section optional) adds entries (a new code) or
//! renames them (a shipped code with new labels) — it never removes one, so a code stored
//! in the database or in a log entry always keeps its meaning. Validated on parse.

use serde::Deserialize;

use crate::case::{InterruptionReason, UnknownInterruptionReason};
use crate::review::{ReviewItem, UnknownReviewItem};

/// The shipped lists.
pub const DEFAULT_LISTS: &str = include_str!("lists/default.toml");

/// One interruption reason (R2.5) as configured.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonEntry {
    pub code: String,
    pub zh: String,
    pub en: String,
    /// The explanation must then say in words what happened ("other objective reason").
    #[serde(default)]
    pub note_required: bool,
}

/// One line of the reviewer sheet (R2.3, R2.4) as configured.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewItemEntry {
    pub code: String,
    pub zh: String,
    pub en: String,
    /// The requirement the line rests on ("R2.3", "R2.4").
    pub rule: String,
}

/// The copy statement's wording (R2.9, R3.10).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementTemplate {
    /// The title of a copy request's statement.
    pub title: String,
    /// Printed under the fields.
    pub notes: Vec<String>,
    /// The signature lines.
    pub signatures: Vec<String>,
}

/// An entry of a list: a stable code and two labels.
trait Entry: Clone {
    fn code(&self) -> &str;
    fn labels(&self) -> [&str; 2];
}

impl Entry for ReasonEntry {
    fn code(&self) -> &str {
        &self.code
    }
    fn labels(&self) -> [&str; 2] {
        [&self.zh, &self.en]
    }
}

impl Entry for ReviewItemEntry {
    fn code(&self) -> &str {
        &self.code
    }
    fn labels(&self) -> [&str; 2] {
        [&self.zh, &self.en]
    }
}

/// The lists in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lists {
    pub interruption_reasons: Vec<ReasonEntry>,
    pub review_items: Vec<ReviewItemEntry>,
    pub copy_statement: StatementTemplate,
}

/// Why a lists file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListsError {
    #[error("清单文件格式错误 / the lists file is not valid TOML: {0}")]
    Syntax(String),
    #[error(
        "{list}：编码 {code:?} 无效（只能由小写字母、数字和下划线组成） / {list}: code {code:?} must be lower-case letters, digits and \"_\""
    )]
    BadCode { list: &'static str, code: String },
    #[error("{list}：编码 {code:?} 重复 / {list}: code {code:?} appears twice")]
    DuplicateCode { list: &'static str, code: String },
    #[error("{list}：{code:?} 缺少中文或英文名称 / {list}: {code:?} needs a zh and an en label")]
    MissingLabel { list: &'static str, code: String },
    #[error("{list}：中文名称 {label:?} 重复 / {list}: the Chinese label {label:?} appears twice")]
    DuplicateLabel { list: &'static str, label: String },
    #[error(
        "{list}：中文名称 {label:?} 与另一项的编码相同 / {list}: the Chinese label {label:?} is another entry's code"
    )]
    LabelIsCode { list: &'static str, label: String },
    #[error("{0}：清单不能为空 / {0}: the list is empty")]
    Empty(&'static str),
    #[error("review_items：{0:?} 缺少所依据的规则 / review_items: {0:?} needs its rule")]
    MissingRule(String),
    #[error(
        "copy_statement：须有标题和至少一个签名栏（不能为空） / copy_statement needs a title and non-empty signature lines"
    )]
    BadStatement,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    interruption_reasons: Vec<ReasonEntry>,
    #[serde(default)]
    review_items: Vec<ReviewItemEntry>,
    copy_statement: Option<StatementTemplate>,
}

const REASONS: &str = "interruption_reasons";
const REVIEW_ITEMS: &str = "review_items";

impl Lists {
    /// The shipped lists.
    pub fn shipped() -> Lists {
        Lists::parse(DEFAULT_LISTS).expect("the shipped lists are valid")
    }

    /// A complete lists file, validated.
    pub fn parse(text: &str) -> Result<Lists, ListsError> {
        let file = read(text)?;
        let lists = Lists {
            interruption_reasons: file.interruption_reasons,
            review_items: file.review_items,
            copy_statement: file
                .copy_statement
                .ok_or(ListsError::Empty("copy_statement"))?,
        };
        lists.validate()?;
        Ok(lists)
    }

    /// These lists with a bureau's file laid over them: an entry of a known code replaces
    /// it (new labels, same code), a new code is added at the end. Validated.
    pub fn overlay(&self, text: &str) -> Result<Lists, ListsError> {
        let file = read(text)?;
        let out = Lists {
            interruption_reasons: lay_over(
                &self.interruption_reasons,
                file.interruption_reasons,
                REASONS,
            )?,
            review_items: lay_over(&self.review_items, file.review_items, REVIEW_ITEMS)?,
            copy_statement: file
                .copy_statement
                .unwrap_or_else(|| self.copy_statement.clone()),
        };
        out.validate()?;
        Ok(out)
    }

    fn validate(&self) -> Result<(), ListsError> {
        check(&self.interruption_reasons, REASONS)?;
        check(&self.review_items, REVIEW_ITEMS)?;
        if let Some(r) = self.review_items.iter().find(|r| r.rule.trim().is_empty()) {
            return Err(ListsError::MissingRule(r.code.clone()));
        }
        let st = &self.copy_statement;
        if st.title.trim().is_empty()
            || st.signatures.is_empty()
            || st.signatures.iter().any(|s| s.trim().is_empty())
        {
            return Err(ListsError::BadStatement);
        }
        Ok(())
    }

    /// The configured reason named by its code or its Chinese label.
    pub fn reason(&self, s: &str) -> Result<&ReasonEntry, UnknownInterruptionReason> {
        let s = s.trim();
        self.interruption_reasons
            .iter()
            .find(|r| r.code == s || r.zh.trim() == s)
            .ok_or_else(|| UnknownInterruptionReason(s.to_owned()))
    }

    /// The entry of a stored reason, if the lists still name it.
    pub fn reason_entry(&self, reason: &InterruptionReason) -> Option<&ReasonEntry> {
        self.interruption_reasons
            .iter()
            .find(|r| r.code == reason.code())
    }

    /// The configured line of the reviewer sheet named by its code.
    pub fn review_item(&self, s: &str) -> Result<&ReviewItemEntry, UnknownReviewItem> {
        let s = s.trim();
        self.review_items
            .iter()
            .find(|r| r.code == s)
            .ok_or_else(|| UnknownReviewItem(s.to_owned()))
    }

    /// The Chinese label of a stored reason (its code when the lists no longer name it).
    pub fn reason_zh<'a>(&'a self, reason: &'a InterruptionReason) -> &'a str {
        self.reason_entry(reason).map_or(reason.code(), |r| &r.zh)
    }
}

impl ReasonEntry {
    /// The reason as stored (its code).
    pub fn reason(&self) -> InterruptionReason {
        InterruptionReason::from_code(&self.code)
    }
}

impl ReviewItemEntry {
    /// The line as stored (its code).
    pub fn item(&self) -> ReviewItem {
        ReviewItem::from_code(&self.code)
    }
}

/// `ours` with `theirs` laid over it: a known code replaced, a new one appended; a code
/// twice in `theirs` is refused.
fn lay_over<T: Entry>(
    ours: &[T],
    theirs: Vec<T>,
    list: &'static str,
) -> Result<Vec<T>, ListsError> {
    let mut out = ours.to_vec();
    for (i, e) in theirs.iter().enumerate() {
        if theirs[..i].iter().any(|o| o.code() == e.code()) {
            return Err(ListsError::DuplicateCode {
                list,
                code: e.code().to_owned(),
            });
        }
        match out.iter_mut().find(|o| o.code() == e.code()) {
            Some(o) => *o = e.clone(),
            None => out.push(e.clone()),
        }
    }
    Ok(out)
}

/// Codes well-formed and unique, both labels present, Chinese labels unique and no
/// Chinese label another entry's code (input may name an entry by either).
fn check<T: Entry>(entries: &[T], list: &'static str) -> Result<(), ListsError> {
    if entries.is_empty() {
        return Err(ListsError::Empty(list));
    }
    for (i, e) in entries.iter().enumerate() {
        let code = e.code();
        let [zh, en] = e.labels();
        let well_formed = !code.is_empty()
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !well_formed {
            return Err(ListsError::BadCode {
                list,
                code: code.to_owned(),
            });
        }
        if zh.trim().is_empty() || en.trim().is_empty() {
            return Err(ListsError::MissingLabel {
                list,
                code: code.to_owned(),
            });
        }
        let earlier = &entries[..i];
        if earlier.iter().any(|o| o.code() == code) {
            return Err(ListsError::DuplicateCode {
                list,
                code: code.to_owned(),
            });
        }
        if earlier.iter().any(|o| o.labels()[0].trim() == zh.trim()) {
            return Err(ListsError::DuplicateLabel {
                list,
                label: zh.to_owned(),
            });
        }
        if entries
            .iter()
            .any(|o| o.code() != code && o.code() == zh.trim())
        {
            return Err(ListsError::LabelIsCode {
                list,
                label: zh.to_owned(),
            });
        }
    }
    Ok(())
}

fn read(text: &str) -> Result<File, ListsError> {
    toml::from_str(text).map_err(|e: toml::de::Error| ListsError::Syntax(e.message().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reasons of A2.7 as written by hand: (code, zh, note required).
    const A2_7: &[(&str, &str, bool)] = &[
        ("device_fault", "设备故障、损坏", false),
        ("weather", "天气情况恶劣", false),
        ("battery", "电量不足", false),
        ("storage_full", "存储空间不足", false),
        ("obstruction", "现场有关人员阻挠", false),
        ("place_changed", "检查场所变化", false),
        ("other", "其他客观原因", true),
    ];

    #[test]
    fn the_shipped_reasons_are_those_of_a2_7_and_stored_codes_still_parse() {
        let l = Lists::shipped();
        let got: Vec<(&str, &str, bool)> = l
            .interruption_reasons
            .iter()
            .map(|r| (r.code.as_str(), r.zh.as_str(), r.note_required))
            .collect();
        assert_eq!(got, A2_7);
        // The codes written before the lists were data (DB column, log details).
        for (code, zh, _) in A2_7 {
            assert_eq!(l.reason(code).unwrap().code, *code);
            assert_eq!(l.reason(zh).unwrap().code, *code);
            assert_eq!(l.reason_zh(&InterruptionReason::from_code(code)), *zh);
        }
        assert_eq!(
            l.reason("bored"),
            Err(UnknownInterruptionReason("bored".into()))
        );
        assert_eq!(l.reason_zh(&InterruptionReason::from_code("gone")), "gone");
    }

    /// The reviewer sheet of A2.5 / A2.6 by hand: (code, rule).
    const SHEET: &[(&str, &str)] = &[
        ("environment", "R2.3"),
        ("people", "R2.3"),
        ("identity_rights", "R2.3"),
        ("key_evidence", "R2.3"),
        ("questioning", "R2.3"),
        ("measures", "R2.3"),
        ("documents", "R2.3"),
        ("other", "R2.3"),
        ("opening_statement", "R2.4"),
    ];

    #[test]
    fn the_shipped_sheet_has_the_eight_items_and_the_opening_statement() {
        let l = Lists::shipped();
        let got: Vec<(&str, &str)> = l
            .review_items
            .iter()
            .map(|r| (r.code.as_str(), r.rule.as_str()))
            .collect();
        assert_eq!(got, SHEET);
        for (code, _) in SHEET {
            assert_eq!(
                l.review_item(code).unwrap().item(),
                ReviewItem::from_code(code)
            );
        }
        assert_eq!(l.review_item("x"), Err(UnknownReviewItem("x".into())));
        assert_eq!(
            l.review_item("people").unwrap().zh,
            "执法对象及现场有关人员"
        );
    }

    #[test]
    fn a_bureau_adds_and_renames_but_never_loses_a_code() {
        let l = Lists::shipped()
            .overlay(
                r#"
[[interruption_reasons]]
code = "battery"
zh = "电池电量耗尽"
en = "Battery empty"

[[interruption_reasons]]
code = "signal_lost"
zh = "信号中断"
en = "Signal lost"
note_required = true
"#,
            )
            .unwrap();
        assert_eq!(l.interruption_reasons.len(), 8);
        assert_eq!(l.reason("battery").unwrap().zh, "电池电量耗尽");
        assert_eq!(l.reason("电池电量耗尽").unwrap().code, "battery");
        assert!(l.reason("signal_lost").unwrap().note_required);
        assert_eq!(l.reason("device_fault").unwrap().zh, "设备故障、损坏");
        assert_eq!(Lists::shipped().overlay("").unwrap(), Lists::shipped());
        let st = Lists::shipped()
            .overlay(
                "[copy_statement]\ntitle = \"复制件说明\"\nnotes = []\nsignatures = [\"制作人\"]\n",
            )
            .unwrap()
            .copy_statement;
        assert_eq!(
            (st.title.as_str(), st.notes.len(), st.signatures),
            ("复制件说明", 0, vec!["制作人".to_owned()])
        );
        assert_eq!(
            Lists::shipped()
                .overlay("[copy_statement]\ntitle = \"x\"\nnotes = []\nsignatures = []\n"),
            Err(ListsError::BadStatement)
        );
        let shipped = Lists::shipped().copy_statement;
        assert_eq!(shipped.title, "行政执法音像记录复制件文字说明材料");
        assert_eq!(shipped.signatures, ["制作人", "提取人"]);
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let entry = |code: &str, zh: &str| {
            format!("[[interruption_reasons]]\ncode = \"{code}\"\nzh = \"{zh}\"\nen = \"x\"\n")
        };
        // (overlay text, expected error) — by hand.
        let rows: Vec<(String, ListsError)> = vec![
            (
                entry("Bad Code", "某原因"),
                ListsError::BadCode {
                    list: REASONS,
                    code: "Bad Code".into(),
                },
            ),
            (
                entry("new_one", "电量不足"),
                ListsError::DuplicateLabel {
                    list: REASONS,
                    label: "电量不足".into(),
                },
            ),
            (
                entry("new_one", " "),
                ListsError::MissingLabel {
                    list: REASONS,
                    code: "new_one".into(),
                },
            ),
            (
                entry("new_one", "weather"),
                ListsError::LabelIsCode {
                    list: REASONS,
                    label: "weather".into(),
                },
            ),
            (
                format!("{}{}", entry("a", "甲"), entry("a", "乙")),
                ListsError::DuplicateCode {
                    list: REASONS,
                    code: "a".into(),
                },
            ),
        ];
        for (text, want) in rows {
            assert_eq!(Lists::shipped().overlay(&text), Err(want), "{text}");
        }
        assert_eq!(Lists::parse(""), Err(ListsError::Empty("copy_statement")));
        assert_eq!(
            Lists::shipped().overlay(
                "[[review_items]]\ncode = \"scene\"\nzh = \"现场\"\nen = \"Scene\"\nrule = \" \"\n"
            ),
            Err(ListsError::MissingRule("scene".into()))
        );
        assert!(matches!(
            Lists::parse(
                "[[interruption_reasons]]\ncode = \"a\"\nzh = \"甲\"\nen = \"A\"\nfoo = 1\n"
            ),
            Err(ListsError::Syntax(_))
        ));
    }
}
