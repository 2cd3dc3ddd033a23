//! The annual assessment (年度考评): per unit and per officer, for any period, counts over
//! plain facts the caller gathers (records, steps, sampled cases, findings, consequences,
//! misconduct signals). Pure counting; no fact is counted twice for the same group.

use std::collections::BTreeMap;

use serde::Serialize;

/// Records made in the period by one officer (or nobody named) of a unit: how many, how
/// many stored late. The same unit and officer may come in several facts; they add up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFact {
    pub unit: String,
    pub officer: Option<String>,
    pub records: u64,
    pub late: u64,
}

/// A step of a case of the period (or the case as a whole, for findings about it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFact {
    pub unit: String,
    pub officers: Vec<String>,
    /// The checklist requires recording it (a mandatory step).
    pub mandatory: bool,
    /// Recorded as required (no step violation).
    pub covered: bool,
    pub violations: u32,
    /// Interruptions without an accepted explanation.
    pub unexplained: u32,
}

/// A case drawn by a supervision plan of the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleFact {
    pub unit: String,
    pub officers: Vec<String>,
    /// An inspection sheet was filed.
    pub inspected: bool,
    /// At least one check failed.
    pub failed: bool,
}

/// A finding with the consequences decided on it (codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingFact {
    pub unit: String,
    pub officers: Vec<String>,
    /// Consequences as (officer, code).
    pub consequences: Vec<(String, String)>,
}

/// A misconduct signal about a person of a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalFact {
    pub unit: String,
    pub person: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub records: Vec<RecordFact>,
    pub steps: Vec<StepFact>,
    pub samples: Vec<SampleFact>,
    pub findings: Vec<FindingFact>,
    pub signals: Vec<SignalFact>,
}

/// The counts of one unit or one officer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Line {
    pub records: u64,
    pub late: u64,
    pub mandatory_steps: u64,
    pub mandatory_covered: u64,
    pub violations: u64,
    pub unexplained: u64,
    pub sampled: u64,
    pub inspected: u64,
    pub sampled_failed: u64,
    pub findings: u64,
    /// Consequences by code.
    pub consequences: BTreeMap<String, u64>,
    pub signals: u64,
}

impl Line {
    /// Late records per mille of records (0 without records).
    pub fn lateness_permille(&self) -> u64 {
        (self.late * 1000).checked_div(self.records).unwrap_or(0)
    }

    /// Mandatory steps covered, per mille (1000 without mandatory steps).
    pub fn coverage_permille(&self) -> u64 {
        (self.mandatory_covered * 1000)
            .checked_div(self.mandatory_steps)
            .unwrap_or(1000)
    }

    pub fn consequences_total(&self) -> u64 {
        self.consequences.values().sum()
    }
}

/// Per unit, and per officer within a unit (`(unit, officer)`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assessment {
    pub by_unit: BTreeMap<String, Line>,
    pub by_officer: BTreeMap<(String, String), Line>,
}

impl Assessment {
    /// Unit and officer totals over all units.
    pub fn total(&self) -> Line {
        let mut t = Line::default();
        for l in self.by_unit.values() {
            t.records += l.records;
            t.late += l.late;
            t.mandatory_steps += l.mandatory_steps;
            t.mandatory_covered += l.mandatory_covered;
            t.violations += l.violations;
            t.unexplained += l.unexplained;
            t.sampled += l.sampled;
            t.inspected += l.inspected;
            t.sampled_failed += l.sampled_failed;
            t.findings += l.findings;
            t.signals += l.signals;
            for (k, v) in &l.consequences {
                *t.consequences.entry(k.clone()).or_default() += v;
            }
        }
        t
    }
}

/// Distinct, non-blank names.
fn distinct(names: &[String]) -> Vec<&String> {
    let mut v: Vec<&String> = names.iter().filter(|n| !n.trim().is_empty()).collect();
    v.sort();
    v.dedup();
    v
}

/// Adds to the unit's line and to each distinct officer's.
fn both(a: &mut Assessment, unit: &str, officers: &[String], add: &dyn Fn(&mut Line)) {
    add(a.by_unit.entry(unit.to_owned()).or_default());
    for o in distinct(officers) {
        add(a
            .by_officer
            .entry((unit.to_owned(), o.clone()))
            .or_default());
    }
}

pub fn assess(f: &Facts) -> Assessment {
    let mut a = Assessment::default();
    for r in &f.records {
        let officers: Vec<String> = r.officer.iter().cloned().collect();
        both(&mut a, &r.unit, &officers, &|l| {
            l.records += r.records;
            l.late += r.late;
        });
    }
    for s in &f.steps {
        both(&mut a, &s.unit, &s.officers, &|l| {
            l.mandatory_steps += u64::from(s.mandatory);
            l.mandatory_covered += u64::from(s.mandatory && s.covered);
            l.violations += u64::from(s.violations);
            l.unexplained += u64::from(s.unexplained);
        });
    }
    for s in &f.samples {
        both(&mut a, &s.unit, &s.officers, &|l| {
            l.sampled += 1;
            l.inspected += u64::from(s.inspected);
            l.sampled_failed += u64::from(s.failed);
        });
    }
    for x in &f.findings {
        both(&mut a, &x.unit, &x.officers, &|l| l.findings += 1);
        for (officer, code) in &x.consequences {
            let add = |l: &mut Line| *l.consequences.entry(code.clone()).or_default() += 1;
            add(a.by_unit.entry(x.unit.clone()).or_default());
            add(a
                .by_officer
                .entry((x.unit.clone(), officer.clone()))
                .or_default());
        }
    }
    for s in &f.signals {
        both(&mut a, &s.unit, std::slice::from_ref(&s.person), &|l| {
            l.signals += 1
        });
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_counted_example() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let f = Facts {
            records: vec![
                RecordFact {
                    unit: "甲局".into(),
                    officer: Some("张伟".into()),
                    records: 1,
                    late: 1,
                },
                RecordFact {
                    unit: "甲局".into(),
                    officer: Some("张伟".into()),
                    records: 1,
                    late: 0,
                },
                RecordFact {
                    unit: "甲局".into(),
                    officer: None,
                    records: 1,
                    late: 0,
                },
                RecordFact {
                    unit: "乙局".into(),
                    officer: Some("李娜".into()),
                    records: 1,
                    late: 0,
                },
            ],
            steps: vec![
                StepFact {
                    unit: "甲局".into(),
                    officers: s(&["张伟", "王芳"]),
                    mandatory: true,
                    covered: false,
                    violations: 2,
                    unexplained: 1,
                },
                StepFact {
                    unit: "甲局".into(),
                    officers: s(&["张伟", "张伟"]),
                    mandatory: true,
                    covered: true,
                    violations: 0,
                    unexplained: 0,
                },
                StepFact {
                    unit: "乙局".into(),
                    officers: s(&["李娜"]),
                    mandatory: false,
                    covered: true,
                    violations: 0,
                    unexplained: 0,
                },
            ],
            samples: vec![SampleFact {
                unit: "甲局".into(),
                officers: s(&["王芳"]),
                inspected: true,
                failed: true,
            }],
            findings: vec![FindingFact {
                unit: "甲局".into(),
                officers: s(&["王芳"]),
                consequences: vec![("王芳".into(), "suspension".into())],
            }],
            signals: vec![SignalFact {
                unit: "乙局".into(),
                person: "李娜".into(),
            }],
        };
        let a = assess(&f);
        let jia = &a.by_unit["甲局"];
        assert_eq!(
            (jia.records, jia.late, jia.lateness_permille()),
            (3, 1, 333)
        );
        assert_eq!(
            (
                jia.mandatory_steps,
                jia.mandatory_covered,
                jia.coverage_permille()
            ),
            (2, 1, 500)
        );
        assert_eq!((jia.violations, jia.unexplained), (2, 1));
        assert_eq!(
            (jia.sampled, jia.inspected, jia.sampled_failed, jia.findings),
            (1, 1, 1, 1)
        );
        assert_eq!(jia.consequences["suspension"], 1);
        let zw = &a.by_officer[&("甲局".into(), "张伟".into())];
        assert_eq!(
            (zw.records, zw.late, zw.mandatory_steps, zw.violations),
            (2, 1, 2, 2)
        );
        let wf = &a.by_officer[&("甲局".into(), "王芳".into())];
        assert_eq!(
            (
                wf.records,
                wf.violations,
                wf.sampled,
                wf.findings,
                wf.consequences_total()
            ),
            (0, 2, 1, 1, 1)
        );
        let ln = &a.by_officer[&("乙局".into(), "李娜".into())];
        assert_eq!((ln.signals, ln.coverage_permille()), (1, 1000));
        assert_eq!(a.total().records, 4);
    }
}
