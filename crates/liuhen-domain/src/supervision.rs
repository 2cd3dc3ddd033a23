//! Supervision (R3.12–R3.14, 附件3 第十六条、第十八条): plans that say what is sampled
//! and how much, the inspection sheet's three checks pre-filled from what the system knows,
//! and the annual assessment's counts. Pure; the use cases live in `liuhen-app::supervision`.

pub mod assessment;
pub mod inspection;

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A supervision plan (监督抽查计划): period, scope and how much of it is sampled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub title: String,
    /// First and last day of the period (inclusive, the bureau's calendar).
    pub from: Date,
    pub to: Date,
    /// Units (执法机构) in scope; each is drawn separately with its own proportion.
    pub units: Vec<String>,
    /// Departments (办案部门) in scope; empty: all.
    #[serde(default)]
    pub departments: Vec<String>,
    /// Officers in scope (a case is in scope when one of its team is); empty: all.
    #[serde(default)]
    pub officers: Vec<String>,
    /// Sampling proportion in per mille for units not listed in `permille_by_unit`.
    pub permille: u32,
    /// Per-unit proportions (per mille), data of the plan.
    #[serde(default)]
    pub permille_by_unit: BTreeMap<String, u32>,
    /// At least this many items per unit (capped at the unit's population).
    pub minimum: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("请填写计划名称")]
    NoTitle,
    #[error("计划期间的起始日期不能晚于结束日期")]
    Period,
    #[error("请至少选择一个执法机构")]
    NoUnits,
    #[error("执法机构“{0}”重复")]
    RepeatedUnit(String),
    #[error("抽查比例须在 0.1% 到 100% 之间（{0}）")]
    Proportion(String),
    #[error("单位比例中的“{0}”不在计划范围内")]
    StrayProportion(String),
}

impl Plan {
    pub fn validate(&self) -> Result<(), PlanError> {
        if self.title.trim().is_empty() {
            return Err(PlanError::NoTitle);
        }
        if self.from > self.to {
            return Err(PlanError::Period);
        }
        if self.units.iter().all(|u| u.trim().is_empty()) {
            return Err(PlanError::NoUnits);
        }
        let mut seen = std::collections::BTreeSet::new();
        for u in &self.units {
            if !seen.insert(u.trim()) {
                return Err(PlanError::RepeatedUnit(u.trim().to_owned()));
            }
        }
        if !(1..=1000).contains(&self.permille) {
            return Err(PlanError::Proportion("默认比例".into()));
        }
        for (unit, p) in &self.permille_by_unit {
            if !self.units.iter().any(|u| u.trim() == unit) {
                return Err(PlanError::StrayProportion(unit.clone()));
            }
            if !(1..=1000).contains(p) {
                return Err(PlanError::Proportion(unit.clone()));
            }
        }
        Ok(())
    }

    /// The proportion (per mille) of a unit.
    pub fn permille_of(&self, unit: &str) -> u32 {
        self.permille_by_unit
            .get(unit)
            .copied()
            .unwrap_or(self.permille)
    }

    /// Whether a case of this department with this team is in the plan's scope (the unit
    /// is chosen by the caller, one draw per unit).
    pub fn covers(&self, department: &str, team: &[String]) -> bool {
        (self.departments.is_empty() || self.departments.iter().any(|d| d == department))
            && (self.officers.is_empty() || team.iter().any(|t| self.officers.contains(t)))
    }
}

/// One kind of consequence (责任追究措施, 第十八条), as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsequenceKind {
    pub code: String,
    pub zh: String,
    pub en: String,
}

/// The shipped list: 书面检查, 通报批评, 暂停执法, 取消评优, 移送处理.
pub fn default_consequences() -> Vec<ConsequenceKind> {
    #[derive(Deserialize)]
    struct File {
        consequence: Vec<ConsequenceKind>,
    }
    let f: File = toml::from_str(include_str!("supervision/consequences.toml"))
        .expect("shipped consequences parse");
    f.consequence
}

/// Checks a configured list: codes non-empty and distinct, labels present.
pub fn validate_consequences(list: &[ConsequenceKind]) -> Result<(), String> {
    if list.is_empty() {
        return Err("consequences: the list is empty".into());
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in list {
        if c.code.trim().is_empty() || c.zh.trim().is_empty() || c.en.trim().is_empty() {
            return Err(format!("consequences: {:?} needs code, zh and en", c.code));
        }
        if !seen.insert(c.code.as_str()) {
            return Err(format!("consequences: code {:?} repeated", c.code));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            title: "2026年度执法音像记录抽查".into(),
            from: "2026-01-01".parse().unwrap(),
            to: "2026-12-31".parse().unwrap(),
            units: vec!["甲局".into(), "乙局".into()],
            departments: vec![],
            officers: vec![],
            permille: 50,
            permille_by_unit: BTreeMap::from([("乙局".to_owned(), 100)]),
            minimum: 1,
        }
    }

    #[test]
    fn plan_validation_table() {
        assert_eq!(plan().validate(), Ok(()));
        assert_eq!(plan().permille_of("甲局"), 50);
        assert_eq!(plan().permille_of("乙局"), 100);
        type Change = fn(&mut Plan);
        let cases: Vec<(Change, PlanError)> = vec![
            (|p| p.title = " ".into(), PlanError::NoTitle),
            (|p| p.to = "2025-12-31".parse().unwrap(), PlanError::Period),
            (|p| p.units.clear(), PlanError::NoUnits),
            (
                |p| p.units.push("甲局".into()),
                PlanError::RepeatedUnit("甲局".into()),
            ),
            (|p| p.permille = 0, PlanError::Proportion("默认比例".into())),
            (
                |p| {
                    p.permille_by_unit.insert("丙局".into(), 10);
                },
                PlanError::StrayProportion("丙局".into()),
            ),
            (
                |p| {
                    p.permille_by_unit.insert("甲局".into(), 1001);
                },
                PlanError::Proportion("甲局".into()),
            ),
        ];
        for (change, expected) in cases {
            let mut p = plan();
            change(&mut p);
            assert_eq!(p.validate(), Err(expected));
        }
    }

    #[test]
    fn scope_by_department_and_officer() {
        let mut p = plan();
        assert!(p.covers("法制科", &[]));
        p.departments = vec!["执法一队".into()];
        p.officers = vec!["张伟".into()];
        assert!(p.covers("执法一队", &["李娜".into(), "张伟".into()]));
        assert!(!p.covers("执法二队", &["张伟".into()]));
        assert!(!p.covers("执法一队", &["李娜".into()]));
    }

    #[test]
    fn shipped_consequences() {
        let list = default_consequences();
        let zh: Vec<&str> = list.iter().map(|c| c.zh.as_str()).collect();
        assert_eq!(
            zh,
            ["书面检查", "通报批评", "暂停执法", "取消评优", "移送处理"]
        );
        assert_eq!(validate_consequences(&list), Ok(()));
        let mut twice = list.clone();
        twice.push(list[0].clone());
        assert!(validate_consequences(&twice).is_err());
    }
}
