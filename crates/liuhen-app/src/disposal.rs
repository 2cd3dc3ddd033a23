//! The disposal list (销毁清册, R6.3): the records whose retention has ended, that no
//! preservation hold keeps and that no open case holds (`liuhen_domain::disposal`). Drawing
//! it up is for `retention.disposal_roles`, over the records the access policy lets them
//! see (their unit; labels); a refusal is logged. Approval and execution of
//! the list are not part of this module yet: nothing here deletes anything.

use liuhen_db::NewEntry;
use liuhen_domain::authz::Principal;
use liuhen_domain::case::CaseStatus;
use liuhen_domain::disposal::{self, Standing};
use liuhen_domain::{AuditAction, Record};
use serde_json::json;

use crate::{AppError, Custody};

/// One record due for disposal, with the case numbers it belongs to.
#[derive(Debug, Clone)]
pub struct DueRecord {
    pub record: Record,
    pub cases: Vec<String>,
}

const PAGE: u32 = 1000;

impl Custody {
    /// Where `record` stands with respect to disposal now.
    pub async fn disposal_standing(&self, record: &Record) -> Result<Standing, AppError> {
        Ok(self.standing_with_cases(record).await?.0)
    }

    async fn standing_with_cases(
        &self,
        record: &Record,
    ) -> Result<(Standing, Vec<String>), AppError> {
        let mut numbers = Vec::new();
        let mut in_open_case = false;
        for id in self.db.cases_of_record(&record.id).await? {
            let case = self.case(&id).await?;
            in_open_case |= case.status != CaseStatus::Archived;
            numbers.push(case.number);
        }
        let held = self
            .holds_of_record(&record.id)
            .await?
            .iter()
            .any(|h| h.in_force());
        let facts = disposal::Facts {
            retain_until: record.retain_until,
            held,
            in_open_case,
        };
        Ok((disposal::standing(facts, self.now()), numbers))
    }

    /// The draft disposal list: every record `who` may see that is due now, oldest
    /// retain-until first.
    pub async fn disposal_due(&self, who: &Principal) -> Result<Vec<DueRecord>, AppError> {
        let roles = self.config.disposal_roles().unwrap_or_default();
        if !who.roles.iter().any(|r| roles.contains(r)) {
            self.log_event(NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::AccessRefused,
                subject: Some("disposal".into()),
                details: json!({ "action": "disposal.list", "reason": "disposal_not_allowed" }),
            })
            .await?;
            return Err(AppError::Refused {
                code: "disposal_not_allowed",
                message: liuhen_domain::Message::new("disposal_not_allowed"),
            });
        }
        let now = self.now();
        let mut due = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.db.records_page(after.as_deref(), PAGE).await?;
            let Some((last, _)) = page.last() else { break };
            after = Some(last.clone());
            for (_, row) in page {
                // A malformed row is `verify`'s to report; it is never listed for disposal.
                let Ok((record, _)) = row else { continue };
                if record.retain_until > now {
                    continue;
                }
                // Only what the keeper may see (own unit, labels): the access policy decides.
                let facts = self.record_facts(who, &record).await?;
                if !self.allows(who, liuhen_domain::authz::Action::ViewRecord, &facts) {
                    continue;
                }
                let (standing, cases) = self.standing_with_cases(&record).await?;
                if standing == Standing::Due {
                    due.push(DueRecord { record, cases });
                }
            }
        }
        due.sort_by(|a, b| {
            (a.record.retain_until, a.record.id.as_str())
                .cmp(&(b.record.retain_until, b.record.id.as_str()))
        });
        Ok(due)
    }
}
