//! The single authorization point. Every route and command that touches a record or an
//! administrative function calls [`Custody::authorize`]; it evaluates the pure policy of
//! `liuhen_domain::authz` (with the bureau's [`liuhen_domain::access::Policy`]) and logs
//! every refusal (R3.13, R6.1). [`RecordFacts`] gathers what the policy needs to know about
//! one record for one principal: its cases (team, department, archived), its labels and the
//! principal's grants naming it.

use liuhen_db::NewEntry;
use liuhen_domain::authz::{
    Action, CaseFacts, Decision, DenyReason, GrantFacts, Principal, RecordScope, Target,
    decide_detail, manages_record,
};
use liuhen_domain::{AuditAction, Record};

use crate::{AppError, Custody};

/// A grant as the policy sees it, owned.
#[derive(Debug, Clone)]
pub struct GrantFact {
    pub id: String,
    pub purpose: String,
    pub actions: Vec<Action>,
    pub expires_ms: i64,
    pub revoked: bool,
}

/// What the policy needs to know about one record for one principal.
#[derive(Debug, Clone, Default)]
pub struct RecordFacts {
    pub agency: Option<String>,
    /// The account of the record's officer (never its name).
    pub officer_id: Option<String>,
    pub cases: Vec<liuhen_db::RecordCase>,
    /// Labels of the record and of its cases, without repeats.
    pub labels: Vec<String>,
    pub grants: Vec<GrantFact>,
    pub now_ms: i64,
    /// A pending request naming the record whose next step the principal must decide
    /// (issue 18: the reviewer sees what he decides).
    pub pending_request: Option<String>,
}

/// What a successful authorization found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowed {
    /// The grant that allowed it, when no rule of the principal's roles did.
    pub grant: Option<String>,
    pub purpose: Option<String>,
    /// The pending request whose decider this is, when only that allowed it (issue 18).
    pub reviewing: Option<String>,
}

impl Allowed {
    /// Adds `grant` and `purpose` to the details of a view, playback or download entry
    /// made through a grant.
    pub fn annotate(&self, details: &mut serde_json::Value) {
        if let (Some(r), Some(map)) = (&self.reviewing, details.as_object_mut()) {
            map.insert("reviewing".into(), r.clone().into());
        }
        if let (Some(g), Some(map)) = (&self.grant, details.as_object_mut()) {
            map.insert("grant".into(), g.clone().into());
            map.insert(
                "purpose".into(),
                self.purpose.clone().unwrap_or_default().into(),
            );
        }
    }
}

impl RecordFacts {
    /// Evaluates `f` with the borrowed scope the pure policy takes.
    pub fn with_scope<T>(&self, f: impl FnOnce(RecordScope<'_>) -> T) -> T {
        let cases: Vec<CaseFacts<'_>> = self
            .cases
            .iter()
            .map(|c| CaseFacts {
                id: &c.id,
                department: &c.department,
                archived: c.archived,
                team_ids: &c.team_ids,
            })
            .collect();
        let grants: Vec<GrantFacts<'_>> = self
            .grants
            .iter()
            .map(|g| GrantFacts {
                id: &g.id,
                actions: &g.actions,
                expires_ms: g.expires_ms,
                revoked: g.revoked,
            })
            .collect();
        f(RecordScope {
            agency: self.agency.as_deref(),
            officer_id: self.officer_id.as_deref(),
            cases: &cases,
            labels: &self.labels,
            grants: &grants,
            now_ms: self.now_ms,
            pending_request: self.pending_request.as_deref(),
        })
    }

    pub fn in_open_case(&self) -> bool {
        self.cases.iter().any(|c| !c.archived)
    }
}

impl Custody {
    /// Gathers the facts about `record` that the policy needs to decide for `who`.
    pub async fn record_facts(
        &self,
        who: &Principal,
        record: &Record,
    ) -> Result<RecordFacts, AppError> {
        let id = record.id.to_string();
        let cases = self.db.record_cases(&id).await?;
        let mut labels = self.db.labels(false, &id).await?;
        for c in &cases {
            labels.extend(self.db.labels(true, &c.id).await?);
        }
        labels.sort();
        labels.dedup();
        let grants = self
            .db
            .grants_for(&who.user_id, &id)
            .await?
            .into_iter()
            .map(|g| GrantFact {
                actions: [
                    (g.can_view, Action::ViewRecord),
                    (g.can_play, Action::PlayRecord),
                    (g.can_download, Action::DownloadOriginal),
                ]
                .into_iter()
                .filter_map(|(on, a)| on.then_some(a))
                .collect(),
                id: g.id,
                purpose: g.purpose,
                expires_ms: g.expires_ms,
                revoked: g.revoked_ms.is_some(),
            })
            .collect();
        let pending_request = self.awaiting(who, &id).await?;
        Ok(RecordFacts {
            pending_request,
            agency: record.classification.agency.clone(),
            officer_id: record.officer_id.clone(),
            cases,
            labels,
            grants,
            now_ms: self.now().as_millisecond(),
        })
    }

    /// Whether the policy allows `action` on a record, without logging (for showing or
    /// hiding buttons; the act itself goes through [`Custody::authorize_record`]).
    pub fn allows(&self, who: &Principal, action: Action, facts: &RecordFacts) -> bool {
        facts.with_scope(|r| {
            decide_detail(&self.policy, who, action, Target::Record(r)).decision == Decision::Allow
        })
    }

    /// Whether the policy allows a system action, without logging (menus and buttons).
    pub fn allows_system(&self, who: &Principal, action: Action) -> bool {
        decide_detail(&self.policy, who, action, Target::System).decision == Decision::Allow
    }

    /// Authorizes `action` on `record`: gathers its facts, decides, logs a refusal. One
    /// answer for records one may not know exist (issue 10): when the principal may not
    /// even see the record and no grant ever named it for them, the refusal is
    /// [`AppError::NotFound`], as for a record that does not exist; a record one sees (or
    /// was granted) but may not act on is refused with the reason.
    pub async fn authorize_record(
        &self,
        who: &Principal,
        action: Action,
        record: &Record,
    ) -> Result<Allowed, AppError> {
        let subject = format!("record:{}", record.id);
        if let Some((row, why)) = self
            .broken_binding(&who.user_id, record.id.as_str())
            .await?
        {
            return Err(self
                .refuse_broken_binding(who, action.code(), record.id.as_str(), &row, &why, None)
                .await);
        }
        let facts = self.record_facts(who, record).await?;
        let via = facts.with_scope(|r| {
            let v = decide_detail(&self.policy, who, action, Target::Record(r));
            (
                v.decision,
                v.via_grant.map(str::to_owned),
                v.via_request.map(str::to_owned),
            )
        });
        match via {
            (Decision::Allow, grant, reviewing) => Ok(Allowed {
                reviewing,
                purpose: grant.as_ref().and_then(|g| {
                    facts
                        .grants
                        .iter()
                        .find(|x| &x.id == g)
                        .map(|x| x.purpose.clone())
                }),
                grant,
            }),
            (Decision::Deny(reason), _, _) => {
                let refused = self.refuse(who, action, reason, Some(&subject)).await;
                // One knows of a record one may see, or one that a grant (even an expired
                // or revoked one) named for one.
                let knows = !facts.grants.is_empty()
                    || (action != Action::ViewRecord
                        && self.allows(who, Action::ViewRecord, &facts));
                match refused {
                    AppError::Forbidden { .. } if !knows => {
                        Err(AppError::NotFound(format!("record {}", record.id)))
                    }
                    other => Err(other),
                }
            }
        }
    }

    /// Authorizes linking `record` to a step of `case` (issue 10.2): linking widens who
    /// sees the record (the case's team), so it needs the right to manage the case and
    /// the record — its own officer or who may edit it, never a grant — and the record
    /// must be of the case's unit. A refusal is logged.
    pub(crate) async fn authorize_link(
        &self,
        who: &Principal,
        case: &crate::cases::CaseRow,
        record: &Record,
    ) -> Result<(), AppError> {
        self.authorize_case(who, Action::ManageCase, case).await?;
        let facts = self.record_facts(who, record).await?;
        let manages = facts.with_scope(|r| manages_record(&self.policy, who, &r));
        let same_unit = record.classification.agency.as_deref() == Some(case.agency.as_str());
        if manages && same_unit {
            return Ok(());
        }
        let subject = format!("record:{}", record.id);
        Err(self
            .refuse(
                who,
                Action::ManageCase,
                DenyReason::OutsideScope,
                Some(&subject),
            )
            .await)
    }

    /// `subject` names the target for the log (`record:<id>`, or `None` for system actions).
    pub async fn authorize(
        &self,
        who: &Principal,
        action: Action,
        target: Target<'_>,
        subject: Option<&str>,
    ) -> Result<Allowed, AppError> {
        let v = decide_detail(&self.policy, who, action, target);
        match v.decision {
            Decision::Allow => Ok(Allowed {
                grant: v.via_grant.map(str::to_owned),
                purpose: None,
                reviewing: v.via_request.map(str::to_owned),
            }),
            Decision::Deny(reason) => Err(self.refuse(who, action, reason, subject).await),
        }
    }

    async fn refuse(
        &self,
        who: &Principal,
        action: Action,
        reason: DenyReason,
        subject: Option<&str>,
    ) -> AppError {
        let logged = self
            .log_event(NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::AccessRefused,
                subject: subject.map(str::to_owned),
                details: serde_json::json!({
                    "action": action.code(),
                    "reason": reason.code(),
                    "roles": who.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
                }),
            })
            .await;
        match logged {
            Ok(_) => AppError::Forbidden {
                code: reason.code(),
            },
            Err(e) => e,
        }
    }
}
