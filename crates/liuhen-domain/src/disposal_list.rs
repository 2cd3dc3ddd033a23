//! The disposal list (销毁清册, R6.3) as a pure state machine: drafted by a keeper with an
//! appraisal note per item, approved step by step through the chain the policy sets
//! (default: records keeper → legal office → leader in charge), each step by a person of the
//! step's role with a reason, never by the drafter, never two steps by one person. Once
//! every step approved, the list is executable, and only then does [`Warrant::issue`] hand
//! out the warrant without which no blob store deletes anything.

use std::collections::BTreeSet;

use jiff::Timestamp;

use crate::approval::StepDecision;
use crate::authz::Principal;
use crate::{Role, Sha256Digest};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListStatus {
    /// Waiting for its next step.
    Pending,
    /// Every step approved; not executed yet.
    Approved,
    /// A step refused it; nothing will be deleted.
    Rejected,
    /// Carried out: the originals are gone, the tombstones remain.
    Executed,
}

impl ListStatus {
    pub const ALL: [ListStatus; 4] = [
        Self::Pending,
        Self::Approved,
        Self::Rejected,
        Self::Executed,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Executed => "executed",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Pending => "审批中",
            Self::Approved => "已批准",
            Self::Rejected => "未批准",
            Self::Executed => "已销毁",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
}

/// One decided step of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// 0-based position in the chain.
    pub step: usize,
    pub role: Role,
    pub approver_id: String,
    pub decision: StepDecision,
    pub reason: String,
    pub decided_ms: i64,
}

/// A list as the workflow needs it.
#[derive(Debug, Clone, Copy)]
pub struct ListState<'a> {
    pub drafted_by: &'a str,
    pub status: ListStatus,
    /// The roles of the chain, in order, as they were when the list was drafted.
    pub chain: &'a [Role],
    pub decisions: &'a [Decision],
}

/// Why an action on a disposal list is refused. The codes are the API's error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DisposalRefusal {
    #[error("无权编制或执行销毁清册 / not allowed to draw up or execute a disposal list")]
    NotAllowed,
    #[error("销毁清册至少需要一项到期记录 / a disposal list needs at least one due record")]
    Empty,
    #[error("每一项都需要鉴定意见 / every item needs an appraisal note")]
    AppraisalRequired,
    #[error(
        "记录不在可销毁之列（未到期、有保全标记或案件未归档） / a record is not due for disposal (kept, held or in an open case)"
    )]
    NotDue,
    #[error("该销毁清册不在审批中 / the disposal list is not waiting for approval")]
    NotPending,
    #[error("审批人不具有本环节所需的角色 / the approver lacks the role of this step")]
    WrongRole,
    #[error("编制人不得审批自己的销毁清册 / the drafter may not approve his own disposal list")]
    SelfApproval,
    #[error("同一人不得审批两个环节 / one person may not decide two steps")]
    SecondStep,
    #[error("审批意见须写明理由 / a decision needs a reason")]
    ReasonRequired,
    #[error("销毁清册尚未经全部环节批准 / the disposal list is not approved by every step")]
    NotApproved,
    #[error("销毁清册已执行 / the disposal list was executed already")]
    AlreadyExecuted,
    #[error(
        "销毁清册尚未执行，无销毁记录 / the disposal list was not executed: no certificate yet"
    )]
    NotExecuted,
}

impl DisposalRefusal {
    pub const ALL: [DisposalRefusal; 12] = [
        Self::NotAllowed,
        Self::Empty,
        Self::AppraisalRequired,
        Self::NotDue,
        Self::NotPending,
        Self::WrongRole,
        Self::SelfApproval,
        Self::SecondStep,
        Self::ReasonRequired,
        Self::NotApproved,
        Self::AlreadyExecuted,
        Self::NotExecuted,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::NotAllowed => "disposal_not_allowed",
            Self::Empty => "disposal_empty",
            Self::AppraisalRequired => "disposal_appraisal_required",
            Self::NotDue => "disposal_not_due",
            Self::NotPending => "disposal_not_pending",
            Self::WrongRole => "disposal_wrong_role",
            Self::SelfApproval => "disposal_self_approval",
            Self::SecondStep => "disposal_second_step",
            Self::ReasonRequired => "disposal_reason_required",
            Self::NotApproved => "disposal_not_approved",
            Self::AlreadyExecuted => "disposal_already_executed",
            Self::NotExecuted => "disposal_not_executed",
        }
    }

    /// The refusal as a message (`error.<code>`).
    pub fn message(self) -> crate::Message {
        crate::Message::new(self.code())
    }
}

/// The step waiting for a decision, if any.
pub fn next_step(state: &ListState<'_>) -> Option<(usize, Role)> {
    if state.status != ListStatus::Pending {
        return None;
    }
    let i = state.decisions.len();
    state.chain.get(i).map(|r| (i, *r))
}

/// Checks `who` deciding the next step; returns the step, its role and the list's status
/// after the decision.
pub fn decide(
    state: &ListState<'_>,
    who: &Principal,
    decision: StepDecision,
    reason: &str,
) -> Result<(usize, Role, ListStatus), DisposalRefusal> {
    let Some((step, role)) = next_step(state) else {
        return Err(match state.status {
            ListStatus::Executed => DisposalRefusal::AlreadyExecuted,
            _ => DisposalRefusal::NotPending,
        });
    };
    if who.user_id == state.drafted_by {
        return Err(DisposalRefusal::SelfApproval);
    }
    if !who.roles.contains(&role) {
        return Err(DisposalRefusal::WrongRole);
    }
    if state.decisions.iter().any(|d| d.approver_id == who.user_id) {
        return Err(DisposalRefusal::SecondStep);
    }
    if reason.trim().is_empty() {
        return Err(DisposalRefusal::ReasonRequired);
    }
    let after = match decision {
        StepDecision::Reject => ListStatus::Rejected,
        StepDecision::Approve if step + 1 == state.chain.len() => ListStatus::Approved,
        StepDecision::Approve => ListStatus::Pending,
    };
    Ok((step, role, after))
}

/// Whether every step of the chain approved, each by a different person who is not the
/// drafter and holds the step's role (checked again from the decisions themselves).
pub fn fully_approved(state: &ListState<'_>) -> bool {
    let mut people = BTreeSet::new();
    !state.chain.is_empty()
        && state.decisions.len() == state.chain.len()
        && state.decisions.iter().enumerate().all(|(i, d)| {
            d.step == i
                && d.role == state.chain[i]
                && d.decision == StepDecision::Approve
                && d.approver_id != state.drafted_by
                && !d.reason.trim().is_empty()
                && people.insert(d.approver_id.as_str())
        })
}

/// The authority to delete the originals and derivatives of one approved disposal list,
/// at one moment. It can only be obtained from [`Warrant::issue`], which refuses a list that
/// is not approved by every step; the blob stores' `dispose` requires it, and refuse a blob
/// it does not name or whose lock has not passed at [`Warrant::at`].
#[derive(Debug, Clone)]
pub struct Warrant {
    list_id: String,
    at: Timestamp,
    blobs: BTreeSet<Sha256Digest>,
}

impl Warrant {
    pub fn issue(
        list_id: &str,
        state: &ListState<'_>,
        blobs: impl IntoIterator<Item = Sha256Digest>,
        at: Timestamp,
    ) -> Result<Warrant, DisposalRefusal> {
        match state.status {
            ListStatus::Executed => return Err(DisposalRefusal::AlreadyExecuted),
            ListStatus::Approved if fully_approved(state) => {}
            _ => return Err(DisposalRefusal::NotApproved),
        }
        Ok(Warrant {
            list_id: list_id.to_owned(),
            at,
            blobs: blobs.into_iter().collect(),
        })
    }
    pub fn list_id(&self) -> &str {
        &self.list_id
    }
    /// The time the deletion is done at: a lock later than this is not passed.
    pub fn at(&self) -> Timestamp {
        self.at
    }
    pub fn covers(&self, sha: &Sha256Digest) -> bool {
        self.blobs.contains(sha)
    }
}

#[cfg(test)]
mod tests;
