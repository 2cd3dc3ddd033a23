//! The recording checklist (执法音像记录事项清单, R1.1) as data. The 12 rows of 附件1 ship
//! in `checklist/default.toml`; a bureau may load its own text, which [`Checklist::parse`]
//! validates with errors that name the row and the field, in Chinese and English.

use std::fmt;
use std::str::FromStr;

use crate::case::{CaseCategory, RecordingMode};

/// Whether a row must always be recorded (section 一) or only when it may cause a dispute
/// (section 二).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Obligation {
    /// (一) 下列情形应当进行音像记录
    Mandatory,
    /// (二) 下列情形可能引发争议时应当进行音像记录
    MandatoryWhenDisputed,
}

impl Obligation {
    pub fn code(self) -> &'static str {
        match self {
            Self::Mandatory => "mandatory",
            Self::MandatoryWhenDisputed => "mandatory_when_disputed",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Mandatory => "应当进行音像记录",
            Self::MandatoryWhenDisputed => "可能引发争议时应当进行音像记录",
        }
    }
}

impl FromStr for Obligation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Mandatory, Self::MandatoryWhenDisputed]
            .into_iter()
            .find(|o| o.code() == s)
            .ok_or_else(|| s.to_owned())
    }
}

/// One row of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistRow {
    /// Stable id, e.g. "1.1" … "2.7"; steps of a case refer to it.
    pub id: String,
    /// 执法类别; `None` = 通用 (any category).
    pub category: Option<CaseCategory>,
    /// 执法环节
    pub step: String,
    /// 记录要求
    pub requirement: String,
    /// 记录场所
    pub place: String,
    /// 记录方式: any one of them satisfies the row.
    pub modes: Vec<RecordingMode>,
    pub obligation: Obligation,
    /// Full-process recording (coverage and continuity) applies, e.g. hearings (R1.3).
    pub full_process: bool,
    /// A case flag (its code, e.g. `hearing`) that implies this step took place: a case so
    /// flagged without a step of this row gets a "step missing" finding.
    pub implied_by_flag: Option<String>,
}

impl ChecklistRow {
    pub fn category_label(&self) -> &'static str {
        self.category.map_or("通用", CaseCategory::label_zh)
    }

    /// The modes as the table writes them: "录像或视频监控".
    pub fn modes_label(&self) -> String {
        let labels: Vec<&str> = self.modes.iter().map(|m| m.label_zh()).collect();
        labels.join("或")
    }

    pub fn allows(&self, mode: RecordingMode) -> bool {
        self.modes.contains(&mode)
    }
}

/// A validated checklist: at least one row, unique ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checklist {
    rows: Vec<ChecklistRow>,
}

/// The text of the shipped default (附件1).
pub const DEFAULT_CHECKLIST_TOML: &str = include_str!("../checklist/default.toml");

/// Which row an error is about: its position in the file (1-based) and its id when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRef {
    pub index: usize,
    pub id: Option<String>,
}

impl fmt::Display for RowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "第 {} 条 [[row]]（id {id:?}）", self.index),
            None => write!(f, "第 {} 条 [[row]]", self.index),
        }
    }
}

/// Field names with their Chinese labels, for messages.
fn field_zh(field: &str) -> &'static str {
    match field {
        "id" => "编号",
        "category" => "执法类别",
        "step" => "执法环节",
        "requirement" => "记录要求",
        "place" => "记录场所",
        "modes" => "记录方式",
        "obligation" => "记录义务",
        "full_process" => "全过程记录",
        "implied_by_flag" => "案件标记",
        _ => "字段",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecklistError {
    #[error("清单不是有效的 TOML：{0} / the checklist is not valid TOML: {0}")]
    Syntax(String),
    #[error("清单没有任何 [[row]] / the checklist has no [[row]]")]
    NoRows,
    #[error(
        "清单顶层出现未知的键 {0:?}（只允许 [[row]]） / unknown top-level key {0:?} (only [[row]] is allowed)"
    )]
    UnknownTopLevelKey(String),
    #[error("row 必须是表数组 [[row]] / `row` must be an array of tables [[row]]")]
    RowsNotTables,
    #[error("{row}缺少字段 {field}（{}） / row {}: missing field `{field}`", field_zh(field), row.index)]
    MissingField { row: RowRef, field: &'static str },
    #[error("{row}的字段 {field}（{}）类型错误，应为{expected} / row {}: field `{field}` must be {expected}", field_zh(field), row.index)]
    WrongType {
        row: RowRef,
        field: &'static str,
        expected: &'static str,
    },
    #[error("{row}的字段 {field}（{}）不能为空 / row {}: field `{field}` is empty", field_zh(field), row.index)]
    EmptyField { row: RowRef, field: &'static str },
    #[error("{row}出现未知字段 {field:?} / row {}: unknown field `{field}`", row.index)]
    UnknownField { row: RowRef, field: String },
    #[error("{row}的执法类别 {value:?} 未知（应为 行政处罚、行政许可、行政强制、行政检查 或 通用） / row {}: unknown category {value:?}", row.index)]
    UnknownCategory { row: RowRef, value: String },
    #[error("{row}的记录方式 {value:?} 未知（应为 录像、照相、视频监控 或 录音） / row {}: unknown mode {value:?}", row.index)]
    UnknownMode { row: RowRef, value: String },
    #[error("{row}的记录方式 {value:?} 重复 / row {}: mode {value:?} listed twice", row.index)]
    DuplicateMode { row: RowRef, value: String },
    #[error("{row}的记录义务 {value:?} 未知（应为 mandatory 或 mandatory_when_disputed） / row {}: unknown obligation {value:?} (expected mandatory or mandatory_when_disputed)", row.index)]
    UnknownObligation { row: RowRef, value: String },
    #[error("{row}的案件标记 {value:?} 未知（应为 major_hazard、disputed、hearing、enforced_execution、complex 或 major_penalty） / row {}: unknown case flag {value:?}", row.index)]
    UnknownFlag { row: RowRef, value: String },
    #[error("{row}的编号与第 {first} 条重复 / row {}: id {:?} already used by row {first}", row.index, row.id.as_deref().unwrap_or(""))]
    DuplicateId { row: RowRef, first: usize },
    #[error("{row}要求全过程记录，但记录方式只有照相，无法覆盖整个环节 / row {}: full_process needs a continuous mode (录像, 视频监控 or 录音), not only 照相", row.index)]
    FullProcessWithoutContinuousMode { row: RowRef },
}

const ROW_FIELDS: [&str; 9] = [
    "id",
    "category",
    "step",
    "requirement",
    "place",
    "modes",
    "obligation",
    "full_process",
    "implied_by_flag",
];

impl Checklist {
    /// Parses and validates a checklist file. The first problem found (in file order) is
    /// returned, naming the row and the field.
    pub fn parse(text: &str) -> Result<Checklist, ChecklistError> {
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ChecklistError::Syntax(e.message().to_owned()))?;
        if let Some(key) = doc.keys().find(|k| k.as_str() != "row") {
            return Err(ChecklistError::UnknownTopLevelKey(key.clone()));
        }
        let Some(rows) = doc.get("row") else {
            return Err(ChecklistError::NoRows);
        };
        let rows = rows.as_array().ok_or(ChecklistError::RowsNotTables)?;
        if rows.is_empty() {
            return Err(ChecklistError::NoRows);
        }
        let mut out: Vec<ChecklistRow> = Vec::with_capacity(rows.len());
        for (i, value) in rows.iter().enumerate() {
            let table = value.as_table().ok_or(ChecklistError::RowsNotTables)?;
            let row = parse_row(i + 1, table)?;
            if let Some(first) = out.iter().position(|r| r.id == row.id) {
                return Err(ChecklistError::DuplicateId {
                    row: RowRef {
                        index: i + 1,
                        id: Some(row.id),
                    },
                    first: first + 1,
                });
            }
            out.push(row);
        }
        Ok(Checklist { rows: out })
    }

    /// The shipped default: the 12 rows of 附件1.
    pub fn default_shipped() -> Checklist {
        Self::parse(DEFAULT_CHECKLIST_TOML).expect("the shipped checklist is valid (tested)")
    }

    pub fn rows(&self) -> &[ChecklistRow] {
        &self.rows
    }

    pub fn row(&self, id: &str) -> Option<&ChecklistRow> {
        self.rows.iter().find(|r| r.id == id)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

fn parse_row(index: usize, t: &toml::Table) -> Result<ChecklistRow, ChecklistError> {
    let id = t
        .get("id")
        .and_then(|v| v.as_str())
        .map(|s| s.trim().to_owned());
    let row = || RowRef {
        index,
        id: id.clone().filter(|s| !s.is_empty()),
    };
    if let Some(field) = t.keys().find(|k| !ROW_FIELDS.contains(&k.as_str())) {
        return Err(ChecklistError::UnknownField {
            row: row(),
            field: field.clone(),
        });
    }
    let text = |field: &'static str| -> Result<String, ChecklistError> {
        let v = t
            .get(field)
            .ok_or(ChecklistError::MissingField { row: row(), field })?;
        let s = v.as_str().ok_or(ChecklistError::WrongType {
            row: row(),
            field,
            expected: "字符串 (a string)",
        })?;
        let s = s.trim();
        if s.is_empty() {
            return Err(ChecklistError::EmptyField { row: row(), field });
        }
        Ok(s.to_owned())
    };
    let id = text("id")?;
    let category_text = text("category")?;
    let category = if category_text == "通用" {
        None
    } else {
        Some(category_text.parse::<CaseCategory>().map_err(|_| {
            ChecklistError::UnknownCategory {
                row: row(),
                value: category_text.clone(),
            }
        })?)
    };
    let step = text("step")?;
    let requirement = text("requirement")?;
    let place = text("place")?;
    let modes = parse_modes(t, &row)?;
    let obligation_text = text("obligation")?;
    let obligation = obligation_text
        .parse::<Obligation>()
        .map_err(|value| ChecklistError::UnknownObligation { row: row(), value })?;
    let full_process = match t.get("full_process") {
        None => false,
        Some(v) => v.as_bool().ok_or(ChecklistError::WrongType {
            row: row(),
            field: "full_process",
            expected: "true 或 false (a boolean)",
        })?,
    };
    let implied_by_flag = match t.get("implied_by_flag") {
        None => None,
        Some(_) => {
            let code = text("implied_by_flag")?;
            if crate::case::CaseFlags::default().by_code(&code).is_none() {
                return Err(ChecklistError::UnknownFlag {
                    row: row(),
                    value: code,
                });
            }
            Some(code)
        }
    };
    if full_process && !modes.iter().any(|m| m.is_continuous()) {
        return Err(ChecklistError::FullProcessWithoutContinuousMode { row: row() });
    }
    Ok(ChecklistRow {
        id,
        category,
        step,
        requirement,
        place,
        modes,
        obligation,
        full_process,
        implied_by_flag,
    })
}

/// `modes` is an array of labels, or one string in the table's own words ("录像或照相").
fn parse_modes(
    t: &toml::Table,
    row: &dyn Fn() -> RowRef,
) -> Result<Vec<RecordingMode>, ChecklistError> {
    const FIELD: &str = "modes";
    let v = t.get(FIELD).ok_or_else(|| ChecklistError::MissingField {
        row: row(),
        field: FIELD,
    })?;
    let wrong_type = || ChecklistError::WrongType {
        row: row(),
        field: FIELD,
        expected: "字符串数组 (an array of strings)",
    };
    let labels: Vec<String> = match v {
        toml::Value::String(s) => s
            .replace("或者", "或")
            .split('或')
            .map(str::to_owned)
            .collect(),
        toml::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or_else(wrong_type))
            .collect::<Result<_, _>>()?,
        _ => return Err(wrong_type()),
    };
    let mut modes = Vec::new();
    for label in labels {
        let label = label.trim();
        if label.is_empty() {
            continue;
        }
        let mode = label
            .parse::<RecordingMode>()
            .map_err(|_| ChecklistError::UnknownMode {
                row: row(),
                value: label.to_owned(),
            })?;
        if modes.contains(&mode) {
            return Err(ChecklistError::DuplicateMode {
                row: row(),
                value: label.to_owned(),
            });
        }
        modes.push(mode);
    }
    if modes.is_empty() {
        return Err(ChecklistError::EmptyField {
            row: row(),
            field: FIELD,
        });
    }
    Ok(modes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 12 rows of 附件1, copied verbatim from the seed (tab-separated, as the seed is).
    /// Section 一 rows first, then section 二.
    const SEED_ROWS_ONE: &str = "\
1\t行政处罚\t听证程序\t全过程记录\t听证会现场\t录像或者视频监控
2\t行政处罚\t留置送达\t粘贴公告、见证人等情况\t送达现场\t录像或照相
3\t行政许可\t留置送达\t粘贴公告、见证人等情况\t送达现场\t录像或照相
4\t行政强制\t先行登记保存\t全过程记录\t先行登记保存场所\t录像或照相
5\t行政强制\t解除先行登记保存\t全过程记录\t解除先行登记保存场所\t录像或照相";
    const SEED_ROWS_TWO: &str = "\
1\t行政处罚\t调查询问\t调查询问、被调查人签字等情况\t询问现场\t录像或照相
2\t行政处罚\t现场勘验\t现场环境, 勘验过程\t勘验现场\t录像或照相
3\t行政处罚\t现场调查取证\t现场环境; 调查询问、调查人签字等情况\t调查现场\t录像或照相
4\t行政处罚\t文书直接送达、公告送达\t当事人签收、粘贴公告、见证人等情况\t送达现场\t录像或照相
5\t行政许可\t现场勘验\t现场环境; 勘验过程\t勘验现场\t录像或照相
6\t行政检查\t随机抽查\t随机抽取执法人员及检查对象名单全过程\t抽取现场\t录像或照相
7\t行政检查\t现场检查\t现场环境、调查笔录等现场检查情况\t现场检查\t录像或照相";

    #[test]
    fn shipped_checklist_matches_the_seed() {
        let c = Checklist::default_shipped();
        assert_eq!(c.len(), 12);
        let count = |o| c.rows().iter().filter(|r| r.obligation == o).count();
        assert_eq!(count(Obligation::Mandatory), 5);
        assert_eq!(count(Obligation::MandatoryWhenDisputed), 7);
        let full: Vec<&str> = c
            .rows()
            .iter()
            .filter(|r| r.full_process)
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(full, ["1.1"], "only the hearing is full-process (R1.3)");

        let seed = [
            (1, Obligation::Mandatory, SEED_ROWS_ONE),
            (2, Obligation::MandatoryWhenDisputed, SEED_ROWS_TWO),
        ];
        let mut seen = 0;
        for (section, obligation, lines) in seed {
            for line in lines.lines() {
                let cols: Vec<&str> = line.split('\t').collect();
                let [n, category, step, requirement, place, modes] = cols[..] else {
                    panic!("bad seed line {line:?}");
                };
                let id = format!("{section}.{n}");
                let row = c.row(&id).unwrap_or_else(|| panic!("row {id} missing"));
                assert_eq!(row.category_label(), category, "{id}");
                assert_eq!(row.step, step, "{id}");
                assert_eq!(row.requirement, requirement, "{id}");
                assert_eq!(row.place, place, "{id}");
                assert_eq!(row.modes_label(), modes.replace("或者", "或"), "{id}");
                assert_eq!(row.obligation, obligation, "{id}");
                seen += 1;
            }
        }
        assert_eq!(seen, 12);
        assert_eq!(
            c.rows().iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            [
                "1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"
            ]
        );
    }

    /// When the seed is present next to the workspace (the project layout), the rows above
    /// are really in it, verbatim. Skipped elsewhere (the crate itself reads no files).
    #[test]
    fn seed_constants_are_in_the_seed_file() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/seed/000_9f6dd5faa6205bb4.txt"
        );
        let Ok(seed) = std::fs::read_to_string(path) else {
            liuhen_test_support::missing(&format!("the seed at {path}"));
            return;
        };
        for line in SEED_ROWS_ONE.lines().chain(SEED_ROWS_TWO.lines()) {
            assert!(seed.contains(line), "not in seed: {line:?}");
        }
        let one = seed.find("(一) 下列情形应当进行音像记录").unwrap();
        let two = seed
            .find("(二) 下列情形可能引发争议时应当进行音像记录")
            .unwrap();
        let row_one = seed.find(SEED_ROWS_ONE.lines().next().unwrap()).unwrap();
        let row_two = seed.find(SEED_ROWS_TWO.lines().next().unwrap()).unwrap();
        assert!(one < row_one && row_one < two && two < row_two);
    }
}
