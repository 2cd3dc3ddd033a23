//! The compliance of every case of a period at once (issue 20: the annual assessment and
//! the dashboard over a period). The evidence of the whole period is read set-based — a
//! fixed number of queries, linked records narrowed to the columns compliance needs
//! (`Db::case_evidence_between`) — and each case is judged by the same pure rules as the
//! case page (`compliance::evaluate_case`), so the numbers cannot drift from it.

use std::collections::HashMap;

use liuhen_db::{CaseRow, StepRow};
use liuhen_domain::case::{Explanation, LinkedRecording, RecordingSource};
use liuhen_domain::compliance::{self, CaseVerdict, StepEvidence};

use crate::cases::linked_from_facts;
use crate::{AppError, Custody};

/// A case of the period with its steps (in the order of its verdict's inputs) and verdict.
#[derive(Debug, Clone)]
pub struct EvaluatedCase {
    pub case: CaseRow,
    pub steps: Vec<StepRow>,
    pub verdict: CaseVerdict,
}

impl EvaluatedCase {
    /// The step a step verdict is about.
    pub fn step(&self, id: &str) -> Option<&StepRow> {
        self.steps.iter().find(|s| s.step.id == id)
    }
}

impl Custody {
    /// Every case created within `[from_ms, to_ms)` (of one unit or all) that `keep`
    /// accepts, with its compliance verdict, oldest first.
    pub async fn evaluate_cases_between(
        &self,
        unit: Option<&str>,
        from_ms: i64,
        to_ms: i64,
        keep: impl Fn(&CaseRow) -> bool,
    ) -> Result<Vec<EvaluatedCase>, AppError> {
        let checklist = self.config.checklist();
        let config = self.compliance_config();
        // Devices repeat: their source is looked up once per (device, serial).
        let mut sources: HashMap<(Option<String>, Option<String>), RecordingSource> =
            HashMap::new();
        let evidence = self.db.case_evidence_between(unit, from_ms, to_ms).await?;
        let mut out = Vec::with_capacity(evidence.len());
        for ev in evidence {
            if !keep(&ev.case) {
                continue;
            }
            let mut inputs: Vec<(Vec<LinkedRecording>, Vec<Explanation>)> =
                Vec::with_capacity(ev.steps.len());
            let mut steps = Vec::with_capacity(ev.steps.len());
            for (step, links, explanations) in ev.steps {
                let mut recordings = Vec::with_capacity(links.len());
                for f in &links {
                    let source = match f.source {
                        Some(s) => s,
                        None => *sources
                            .entry((f.device.clone(), f.device_serial.clone()))
                            .or_insert_with(|| {
                                self.config.source_of_device(
                                    f.device.as_deref(),
                                    f.device_serial.as_deref(),
                                )
                            }),
                    };
                    recordings.push(linked_from_facts(f, source)?);
                }
                inputs.push((
                    recordings,
                    explanations.into_iter().map(|e| e.explanation).collect(),
                ));
                steps.push(step);
            }
            let evidence: Vec<StepEvidence<'_>> = steps
                .iter()
                .zip(&inputs)
                .map(|(s, (recordings, explanations))| StepEvidence {
                    step: &s.step,
                    recordings,
                    explanations,
                })
                .collect();
            let verdict = compliance::evaluate_case(&checklist, &ev.case.flags, &evidence, &config);
            out.push(EvaluatedCase {
                case: ev.case,
                steps,
                verdict,
            });
        }
        Ok(out)
    }
}
