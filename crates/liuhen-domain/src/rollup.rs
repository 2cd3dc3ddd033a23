//! Roll-ups for the unit dashboard: compliance findings per officer and per step type, and
//! lateness (R2.6, R3.3) per officer and per unit. Pure counting over plain rows.

use std::collections::BTreeMap;

use crate::compliance::Level;

/// One finding of one step of one case, as the dashboard counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingRow {
    pub case_number: String,
    pub step_name: String,
    /// The checklist row id, or `None` for a free step.
    pub step_type: Option<String>,
    pub officers: Vec<String>,
    pub level: Level,
    /// An interruption without an accepted explanation.
    pub unexplained_interruption: bool,
}

/// Counts of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub violations: u32,
    pub warnings: u32,
    pub unexplained: u32,
}

impl Tally {
    fn add(&mut self, f: &FindingRow) {
        match f.level {
            Level::Violation => self.violations += 1,
            Level::Warning => self.warnings += 1,
            Level::Ok => {}
        }
        if f.unexplained_interruption {
            self.unexplained += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Tally::default()
    }
}

/// Named counts, e.g. per officer.
pub type Tallies = Vec<(String, Tally)>;
/// Named lateness counts, e.g. per unit.
pub type LateTallies = Vec<(String, LateTally)>;

/// Findings counted per officer (each officer of the step) and per step type (free steps
/// under `"free"`); groups without any violation, warning or interruption are left out.
/// Sorted by violations, then warnings, then name.
pub fn tally_findings(rows: &[FindingRow]) -> (Tallies, Tallies) {
    let mut officers: BTreeMap<String, Tally> = BTreeMap::new();
    let mut types: BTreeMap<String, Tally> = BTreeMap::new();
    for f in rows {
        for o in &f.officers {
            officers.entry(o.clone()).or_default().add(f);
        }
        let key = f.step_type.clone().unwrap_or_else(|| "free".to_owned());
        types.entry(key).or_default().add(f);
    }
    (sorted(officers), sorted(types))
}

fn sorted(map: BTreeMap<String, Tally>) -> Vec<(String, Tally)> {
    let mut v: Vec<(String, Tally)> = map.into_iter().filter(|(_, t)| !t.is_empty()).collect();
    v.sort_by(|(an, a), (bn, b)| {
        b.violations
            .cmp(&a.violations)
            .then(b.warnings.cmp(&a.warnings))
            .then(b.unexplained.cmp(&a.unexplained))
            .then(an.cmp(bn))
    });
    v
}

/// The records of one officer in one unit, as lateness roll-ups see them (the store
/// groups them; one record is a group of one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatenessRow {
    pub officer: Option<String>,
    pub agency: Option<String>,
    pub records: u32,
    pub late: u32,
    /// The longest lateness among the late records (from recording end, or declared
    /// return, to storage).
    pub worst_ms: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LateTally {
    pub records: u32,
    pub late: u32,
    /// The longest lateness among the late records.
    pub worst_ms: i64,
}

impl LateTally {
    /// Share of late records in percent (0 for no records).
    pub fn late_percent(&self) -> u32 {
        (self.late * 100).checked_div(self.records).unwrap_or(0)
    }
}

/// Records and late records per officer and per unit (unknown: `"—"`), most late first,
/// then the worst lateness.
pub fn tally_lateness(rows: &[LatenessRow]) -> (LateTallies, LateTallies) {
    let mut officers: BTreeMap<String, LateTally> = BTreeMap::new();
    let mut units: BTreeMap<String, LateTally> = BTreeMap::new();
    let name = |s: &Option<String>| {
        s.as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or("—")
            .to_owned()
    };
    for r in rows {
        for t in [
            officers.entry(name(&r.officer)).or_default(),
            units.entry(name(&r.agency)).or_default(),
        ] {
            t.records += r.records;
            t.late += r.late;
            t.worst_ms = t.worst_ms.max(r.worst_ms);
        }
    }
    let order = |map: BTreeMap<String, LateTally>| {
        let mut v: Vec<_> = map.into_iter().collect();
        v.sort_by(|(an, a), (bn, b)| {
            b.late
                .cmp(&a.late)
                .then(b.worst_ms.cmp(&a.worst_ms))
                .then(an.cmp(bn))
        });
        v
    };
    (order(officers), order(units))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(officers: &[&str], row: Option<&str>, level: Level, unexplained: bool) -> FindingRow {
        FindingRow {
            case_number: "1".into(),
            step_name: "s".into(),
            step_type: row.map(str::to_owned),
            officers: officers.iter().map(|s| s.to_string()).collect(),
            level,
            unexplained_interruption: unexplained,
        }
    }

    #[test]
    fn findings_per_officer_and_step_type() {
        use Level::*;
        let rows = [
            f(&["张伟", "李娜"], Some("1.1"), Violation, false),
            f(&["张伟"], Some("1.1"), Violation, true),
            f(&["李娜"], None, Warning, false),
            f(&["王强"], Some("2.3"), Ok, false),
        ];
        let (officers, types) = tally_findings(&rows);
        let t = |v, w, u| Tally {
            violations: v,
            warnings: w,
            unexplained: u,
        };
        assert_eq!(
            officers,
            vec![("张伟".into(), t(2, 0, 1)), ("李娜".into(), t(1, 1, 0))]
        );
        assert_eq!(
            types,
            vec![("1.1".into(), t(2, 0, 1)), ("free".into(), t(0, 1, 0))]
        );
        assert_eq!(tally_findings(&[]), (vec![], vec![]));
    }

    #[test]
    fn lateness_per_officer_and_unit() {
        let r = |o: Option<&str>, a: &str, late: bool, ms: i64| LatenessRow {
            officer: o.map(str::to_owned),
            agency: Some(a.into()),
            records: 1,
            late: u32::from(late),
            worst_ms: if late { ms } else { 0 },
        };
        let rows = [
            r(Some("张伟"), "甲局", true, 30 * 3_600_000),
            r(Some("张伟"), "甲局", false, 3_600_000),
            r(Some("李娜"), "甲局", true, 50 * 3_600_000),
            r(None, "乙局", false, 0),
        ];
        let (officers, units) = tally_lateness(&rows);
        assert_eq!(officers[0].0, "李娜");
        assert_eq!(
            officers[1],
            (
                "张伟".into(),
                LateTally {
                    records: 2,
                    late: 1,
                    worst_ms: 30 * 3_600_000
                }
            )
        );
        assert_eq!(officers[2].0, "—");
        assert_eq!(officers[1].1.late_percent(), 50);
        assert_eq!(
            units,
            vec![
                (
                    "甲局".into(),
                    LateTally {
                        records: 3,
                        late: 2,
                        worst_ms: 50 * 3_600_000
                    }
                ),
                (
                    "乙局".into(),
                    LateTally {
                        records: 1,
                        late: 0,
                        worst_ms: 0
                    }
                ),
            ]
        );
        assert_eq!(LateTally::default().late_percent(), 0);
    }
}
