//! The catalog of major enforcement decisions (附件5) as data: `catalog.toml` ships the
//! twelve entries, each with the predicate that puts a decision under legal review, the
//! measures of each kind, the review's time limits and its materials checklist.
//! [`Catalog::parse`] validates a bureau's own file with errors naming the entry.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{DecisionFacts, DecisionKind, PartyType};

const SHIPPED: &str = include_str!("catalog.toml");

/// One catalog entry and its predicate (all stated parts must hold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub code: String,
    pub group: String,
    /// The entry's wording in the bureau's catalog.
    pub text: String,
    pub kind: DecisionKind,
    /// The decision's measure is one of these (empty: any measure).
    pub measures: Vec<String>,
    /// A fine of at least this many fen (分) for an individual / an organisation.
    pub fine_at_least_fen: Option<(i64, i64)>,
    pub after_hearing: bool,
    /// "Other … by law": holds when a user marked the decision for review.
    pub marked: bool,
}

impl Entry {
    /// Whether this entry puts `d` under legal review.
    pub fn matches(&self, d: &DecisionFacts<'_>) -> bool {
        if d.kind != self.kind {
            return false;
        }
        if !self.measures.is_empty() && !self.measures.iter().any(|m| m == d.measure) {
            return false;
        }
        if let Some((individual, organisation)) = self.fine_at_least_fen {
            let limit = match d.party {
                PartyType::Individual => individual,
                PartyType::Organisation => organisation,
            };
            if d.fine_fen.is_none_or(|f| f < limit) {
                return false;
            }
        }
        if self.after_hearing && !d.after_hearing {
            return false;
        }
        if self.marked && !d.marked {
            return false;
        }
        true
    }
}

/// One item of the materials checklist of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Material {
    pub code: String,
    pub name: String,
    pub required: bool,
    /// Produced by liuhen (the compliance report), attached automatically.
    pub system: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub entries: Vec<Entry>,
    /// Per kind: measure code → name.
    pub measures: BTreeMap<DecisionKind, BTreeMap<String, String>>,
    pub review_working_days: u32,
    pub extension_working_days: u32,
    pub materials: Vec<Material>,
}

/// A catalog file that cannot be used; the message names the entry (Chinese / English).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{zh} / {en}")]
pub struct CatalogError {
    pub zh: String,
    pub en: String,
}

fn err(zh: String, en: String) -> CatalogError {
    CatalogError { zh, en }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    measures: BTreeMap<String, BTreeMap<String, String>>,
    entries: Vec<RawEntry>,
    review: RawReview,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    code: String,
    group: String,
    text: String,
    kind: String,
    #[serde(default)]
    measures: Vec<String>,
    fine_at_least_yuan: Option<RawFine>,
    #[serde(default)]
    after_hearing: bool,
    #[serde(default)]
    marked: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFine {
    individual: i64,
    organisation: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReview {
    working_days: u32,
    extension_working_days: u32,
    materials: Vec<RawMaterial>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaterial {
    code: String,
    name: String,
    #[serde(default = "yes")]
    required: bool,
    #[serde(default)]
    system: bool,
}

fn yes() -> bool {
    true
}

impl Catalog {
    /// The shipped catalog (附件5).
    pub fn default_shipped() -> Catalog {
        Self::parse(SHIPPED).expect("the shipped catalog is valid")
    }

    /// The shipped file's text (for `liuhen` to show or copy as a starting point).
    pub fn shipped_text() -> &'static str {
        SHIPPED
    }

    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        let raw: RawCatalog = toml::from_str(text).map_err(|e| {
            err(
                format!("目录文件格式错误：{e}"),
                format!("catalog file is malformed: {e}"),
            )
        })?;
        let mut measures = BTreeMap::new();
        for (kind, list) in raw.measures {
            let k: DecisionKind = kind.parse().map_err(|_| {
                err(
                    format!("measures.{kind}：未知的决定类别"),
                    format!("measures.{kind}: unknown decision kind"),
                )
            })?;
            if let Some((code, _)) = list
                .iter()
                .find(|(c, n)| c.is_empty() || n.trim().is_empty())
            {
                return Err(err(
                    format!("measures.{kind}.{code}：名称不能为空"),
                    format!("measures.{kind}.{code}: name is empty"),
                ));
            }
            measures.insert(k, list);
        }
        if let Some(k) = DecisionKind::ALL.iter().find(|k| !measures.contains_key(k)) {
            return Err(err(
                format!("measures：缺少“{}”类的措施", k.label_zh()),
                format!("measures: no measures for kind {}", k.code()),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut entries = Vec::with_capacity(raw.entries.len());
        for e in raw.entries {
            let ctx = format!("目录条目 {}", e.code);
            let ctx_en = format!("catalog entry {}", e.code);
            if e.code.trim().is_empty() || !seen.insert(e.code.clone()) {
                return Err(err(
                    format!("{ctx}：编号为空或重复"),
                    format!("{ctx_en}: code empty or repeated"),
                ));
            }
            if e.text.trim().is_empty() {
                return Err(err(
                    format!("{ctx}：缺少条目文字"),
                    format!("{ctx_en}: text is empty"),
                ));
            }
            let kind: DecisionKind = e.kind.parse().map_err(|_| {
                err(
                    format!("{ctx}：未知的决定类别“{}”", e.kind),
                    format!("{ctx_en}: unknown kind {:?}", e.kind),
                )
            })?;
            let known = &measures[&kind];
            if let Some(m) = e.measures.iter().find(|m| !known.contains_key(*m)) {
                return Err(err(
                    format!("{ctx}：“{}”类没有措施“{m}”", kind.label_zh()),
                    format!("{ctx_en}: kind {} has no measure {m:?}", kind.code()),
                ));
            }
            let fine = match e.fine_at_least_yuan {
                None => None,
                Some(f) if f.individual <= 0 || f.organisation <= 0 => {
                    return Err(err(
                        format!("{ctx}：罚款数额必须大于零"),
                        format!("{ctx_en}: fine thresholds must be positive"),
                    ));
                }
                Some(f) => {
                    if e.measures.iter().any(|m| m != "fine") || e.measures.is_empty() {
                        return Err(err(
                            format!("{ctx}：数额条件只适用于措施 fine（罚款）"),
                            format!("{ctx_en}: a fine threshold needs measures = [\"fine\"]"),
                        ));
                    }
                    Some((f.individual * 100, f.organisation * 100))
                }
            };
            if e.measures.is_empty() && fine.is_none() && !e.after_hearing && !e.marked {
                return Err(err(
                    format!("{ctx}：没有任何条件，会使所有决定都需审核"),
                    format!("{ctx_en}: no predicate (it would match every decision)"),
                ));
            }
            entries.push(Entry {
                code: e.code,
                group: e.group,
                text: e.text,
                kind,
                measures: e.measures,
                fine_at_least_fen: fine,
                after_hearing: e.after_hearing,
                marked: e.marked,
            });
        }
        if entries.is_empty() {
            return Err(err(
                "目录没有条目".into(),
                "the catalog has no entries".into(),
            ));
        }
        let r = raw.review;
        if r.working_days == 0 {
            return Err(err(
                "review.working_days：审核期限至少 1 个工作日".into(),
                "review.working_days must be at least 1".into(),
            ));
        }
        let mut codes = BTreeSet::new();
        let mut materials = Vec::new();
        for m in r.materials {
            if m.code.trim().is_empty() || m.name.trim().is_empty() || !codes.insert(m.code.clone())
            {
                return Err(err(
                    format!("review.materials {}：编号或名称为空，或编号重复", m.code),
                    format!(
                        "review.materials {}: code or name empty, or code repeated",
                        m.code
                    ),
                ));
            }
            materials.push(Material {
                code: m.code,
                name: m.name,
                required: m.required,
                system: m.system,
            });
        }
        Ok(Catalog {
            entries,
            measures,
            review_working_days: r.working_days,
            extension_working_days: r.extension_working_days,
            materials,
        })
    }

    /// The entries that put `d` under legal review (empty: no review needed).
    pub fn matching(&self, d: &DecisionFacts<'_>) -> Vec<&Entry> {
        self.entries.iter().filter(|e| e.matches(d)).collect()
    }

    /// Whether some "other … by law" entry lets a decision of this kind be marked.
    pub fn markable(&self, kind: DecisionKind) -> bool {
        self.entries.iter().any(|e| e.kind == kind && e.marked)
    }

    pub fn measure_name(&self, kind: DecisionKind, code: &str) -> Option<&str> {
        self.measures.get(&kind)?.get(code).map(String::as_str)
    }

    pub fn entry(&self, code: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.code == code)
    }
}
