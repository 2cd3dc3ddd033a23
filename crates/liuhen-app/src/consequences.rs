//! Consequences of supervision findings (附件3 第十八条, R3.14): one of the configured
//! kinds, for an officer the finding names, who decided, when, the reasoning and the
//! officer's statement, logged as `supervision.consequence`; and an officer's record of
//! findings, shown to the officer and to those who supervise.

use liuhen_db::NewEntry;
use liuhen_domain::AuditAction;
use liuhen_domain::authz::{Action, Principal, Target};
use serde_json::json;

use crate::supervision::{FindingView, details};
use crate::{AppError, Custody};

#[derive(Debug, Clone)]
pub struct ConsequenceView {
    pub id: String,
    pub officer: String,
    pub code: String,
    pub label_zh: String,
    pub decided_by: String,
    pub at_ms: i64,
    pub reasoning: String,
    pub statement: String,
}

/// What a decider enters against a finding.
#[derive(Debug, Clone)]
pub struct ConsequenceSpec {
    pub officer: String,
    pub code: String,
    pub reasoning: String,
    /// The officer's statement (陈述申辩), or how it was waived.
    pub statement: String,
}

impl Custody {
    /// (finding id, consequence) decided within `[from_ms, to_ms)`.
    pub(crate) async fn consequences_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(String, ConsequenceView)>, AppError> {
        let mut out = Vec::new();
        for e in self
            .db
            .entries_of_action_between(AuditAction::ConsequenceDecided.as_str(), from_ms, to_ms)
            .await?
        {
            let d = details(&e)?;
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
            out.push((
                s("finding"),
                ConsequenceView {
                    id: s("consequence"),
                    officer: s("officer"),
                    code: s("code"),
                    label_zh: s("label_zh"),
                    decided_by: e.actor.clone(),
                    at_ms: e.at_ms,
                    reasoning: s("reasoning"),
                    statement: s("statement"),
                },
            ));
        }
        Ok(out)
    }

    /// Decides a consequence against a finding: one of the configured kinds, for an
    /// officer the finding names, with the reasoning and the officer's statement.
    pub async fn decide_consequence(
        &self,
        by: &Principal,
        finding_id: &str,
        spec: &ConsequenceSpec,
    ) -> Result<String, AppError> {
        let finding = self
            .sheets(by)
            .await?
            .into_iter()
            .flat_map(|s| s.findings)
            .find(|f| f.id == finding_id)
            .ok_or_else(|| AppError::NotFound(format!("finding {finding_id}")))?;
        let officer = spec.officer.trim();
        if !finding.spec.officers.iter().any(|o| o == officer) {
            return Err(AppError::Invalid(format!(
                "“{officer}”不是该问题认定的责任人员（{}）",
                finding.spec.officers.join("、")
            )));
        }
        let kind = self
            .config
            .supervision
            .consequences
            .iter()
            .find(|c| c.code == spec.code)
            .ok_or_else(|| AppError::Invalid(format!("未知的责任追究措施：{}", spec.code)))?;
        if spec.reasoning.trim().is_empty() {
            return Err(AppError::Invalid("请写明作出该措施的理由".into()));
        }
        if spec.statement.trim().is_empty() {
            return Err(AppError::Invalid(
                "请记录被追责人员的陈述（或其放弃陈述的情况）".into(),
            ));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let mut tx = self.db.begin().await?;
        tx.append(
            self.now(),
            NewEntry {
                actor: by.user_id.clone(),
                action: AuditAction::ConsequenceDecided,
                subject: Some(format!("finding:{finding_id}")),
                details: json!({
                    "consequence": id,
                    "finding": finding_id,
                    "sheet": finding.sheet,
                    "case_number": finding.case_number,
                    "unit": finding.unit,
                    "officer": officer,
                    "code": kind.code,
                    "label_zh": kind.zh,
                    "reasoning": spec.reasoning.trim(),
                    "statement": spec.statement.trim(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// An officer's record of findings and consequences: the officer themself, and those
    /// who supervise (supervisors, legal office).
    pub async fn officer_findings(
        &self,
        by: &Principal,
        officer: &str,
    ) -> Result<Vec<FindingView>, AppError> {
        if by.officer_name != officer {
            self.authorize(by, Action::RunDraw, Target::System, None)
                .await?;
        }
        Ok(self
            .sheets_between(0, i64::MAX)
            .await?
            .into_iter()
            .flat_map(|s| s.findings)
            .filter(|f| f.spec.officers.iter().any(|o| o == officer))
            .collect())
    }
}
