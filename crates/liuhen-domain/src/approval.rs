//! The approval workflow of an access request as a pure state machine: steps in the order
//! of the policy's flow, each decided by a person of the step's role in the right unit (and,
//! for consent, the case-handling department), never by the requester, never two steps by
//! one person, never twice, never on a changed request, never after an earlier approval
//! expired, never with an outside requester's paper missing.

use crate::access::{Policy, Step};
use crate::authz::Principal;

mod awaits;
pub use awaits::awaits;

/// What is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// View and play in place (R2.8).
    View,
    /// An evidence copy (R3.9, R3.10).
    Copy,
    /// Borrowing by internal staff (R4.6).
    Loan,
    /// An outside requester's visit, to view or to copy (R4.3–R4.5).
    Outside,
}

impl RequestKind {
    pub const ALL: [RequestKind; 4] = [Self::View, Self::Copy, Self::Loan, Self::Outside];
    pub fn code(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Copy => "copy",
            Self::Loan => "loan",
            Self::Outside => "outside",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::View => "查阅",
            Self::Copy => "复制",
            Self::Loan => "借阅",
            Self::Outside => "外部调阅",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepDecision {
    Approve,
    Reject,
}

impl StepDecision {
    pub fn code(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Approve => "同意",
            Self::Reject => "不同意",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Approve, Self::Reject]
            .into_iter()
            .find(|d| d.code() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    /// Waiting for its next step.
    Pending,
    /// Every step approved; the grant, copy, loan or visit may follow.
    Approved,
    Rejected,
    /// An approval lapsed before the next step.
    Expired,
    /// Carried out and finished (copy made, loan returned, visit recorded).
    Done,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 5] = [
        Self::Pending,
        Self::Approved,
        Self::Rejected,
        Self::Expired,
        Self::Done,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
            Self::Done => "done",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Pending => "审批中",
            Self::Approved => "已批准",
            Self::Rejected => "未批准",
            Self::Expired => "已过期",
            Self::Done => "已办结",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
}

/// One decided step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub step: Step,
    pub decision: StepDecision,
    pub approver_id: String,
    pub decided_ms: i64,
    /// The request's basis (digest of what was asked) that the approver saw.
    pub basis: String,
}

/// A request as the workflow needs it.
#[derive(Debug, Clone, Copy)]
pub struct RequestState<'a> {
    pub requester_id: &'a str,
    pub status: RequestStatus,
    pub flow: &'a [Step],
    pub approvals: &'a [Approval],
    /// Digest of kind, records, actions, purpose and period: what an approval is bound to.
    pub basis: &'a str,
    /// The unit whose records are asked for.
    pub agency: &'a str,
    /// The case-handling department, when the records belong to a case.
    pub department: Option<&'a str>,
    /// Papers of an outside requester not yet attached.
    pub missing_papers: &'a [String],
}

/// Someone deciding a step.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub approver: &'a Principal,
    pub step: Step,
    pub decision: StepDecision,
    /// The basis shown to the approver when he decided.
    pub basis: &'a str,
    pub now_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Approved; this step comes next.
    Next(Step),
    /// The last step approved.
    Approved,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    #[error("request is {} and takes no decisions", .0.code())]
    NotPending(RequestStatus),
    #[error("the requester cannot approve his own request")]
    SelfApproval,
    #[error("one person cannot decide two steps of a request")]
    SameApprover,
    #[error("step {} is not part of this request's flow", .0.code())]
    NotInFlow(Step),
    #[error("step {} was already decided", .0.code())]
    AlreadyDecided(Step),
    #[error("step {} comes first", expected.code())]
    WrongStep { expected: Step },
    #[error("the approver's role does not decide step {}", .0.code())]
    RoleNotPermitted(Step),
    #[error("the approver is not of the unit or department concerned")]
    OutsideScope,
    #[error("the request changed since it was shown")]
    BasisMismatch,
    #[error("an earlier approval has expired")]
    Expired,
    #[error("papers missing: {0:?}")]
    PapersMissing(Vec<String>),
}

impl ApprovalError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotPending(_) => "request_not_pending",
            Self::SelfApproval => "self_approval",
            Self::SameApprover => "same_approver",
            Self::NotInFlow(_) => "step_not_in_flow",
            Self::AlreadyDecided(_) => "step_already_decided",
            Self::WrongStep { .. } => "step_out_of_order",
            Self::RoleNotPermitted(_) => "approver_role_not_permitted",
            Self::OutsideScope => "approver_outside_scope",
            Self::BasisMismatch => "approval_basis_mismatch",
            Self::Expired => "approval_expired",
            Self::PapersMissing(_) => "papers_missing",
        }
    }

    /// The refusal as a message (`error.<code>`, the step or status as its label).
    pub fn message(&self) -> crate::Message {
        let m = crate::Message::new(self.code());
        match self {
            Self::NotPending(s) => m.label("status", "access.status", s.code()),
            Self::NotInFlow(s) | Self::AlreadyDecided(s) | Self::RoleNotPermitted(s) => {
                m.label("step", "access.step", s.code())
            }
            Self::WrongStep { expected } => m.label("step", "access.step", expected.code()),
            Self::PapersMissing(p) => m.list("papers", p),
            _ => m,
        }
    }
}

/// The first step of `flow` not yet decided.
pub fn next_step(flow: &[Step], approvals: &[Approval]) -> Option<Step> {
    flow.iter()
        .copied()
        .find(|s| !approvals.iter().any(|a| a.step == *s))
}

/// Whether a pending request has lapsed: an approval older than the policy allows.
pub fn lapsed(policy: &Policy, approvals: &[Approval], now_ms: i64) -> bool {
    let valid_ms = policy.approval_valid.as_millis() as i64;
    approvals.iter().any(|a| now_ms - a.decided_ms > valid_ms)
}

/// Who may decide `step` of a request filed by `requester_id` for the records of `agency`
/// (handled by `department`, when they belong to a case): a role the policy gives the step,
/// of that unit, for the consent step (本处室同意) of that department, never the requester.
/// The one statement of it: [`decide_step`], the approvals inbox and the request page's
/// buttons all ask it. (One person one step and the request's state are [`decide_step`]'s.)
pub fn may_decide(
    policy: &Policy,
    who: &Principal,
    step: Step,
    requester_id: &str,
    agency: &str,
    department: Option<&str>,
) -> bool {
    who.user_id != requester_id
        && holds_step_role(policy, who, step)
        && within_scope(who, step, agency, department)
}

fn holds_step_role(policy: &Policy, who: &Principal, step: Step) -> bool {
    policy
        .step_roles(step)
        .iter()
        .any(|r| who.roles.contains(r))
}

fn within_scope(who: &Principal, step: Step, agency: &str, department: Option<&str>) -> bool {
    who.unit.as_deref() == Some(agency)
        && (step != Step::Consent
            || department.is_none_or(|d| who.department.as_deref() == Some(d)))
}

/// Checks one decision against the request; on success, what the request becomes.
pub fn decide_step(
    policy: &Policy,
    req: &RequestState<'_>,
    at: &Attempt<'_>,
) -> Result<Outcome, ApprovalError> {
    if req.status != RequestStatus::Pending {
        return Err(ApprovalError::NotPending(req.status));
    }
    let who = at.approver;
    if who.user_id == req.requester_id {
        return Err(ApprovalError::SelfApproval);
    }
    if !req.flow.contains(&at.step) {
        return Err(ApprovalError::NotInFlow(at.step));
    }
    if req.approvals.iter().any(|a| a.step == at.step) {
        return Err(ApprovalError::AlreadyDecided(at.step));
    }
    if req.approvals.iter().any(|a| a.approver_id == who.user_id) {
        return Err(ApprovalError::SameApprover);
    }
    let expected = next_step(req.flow, req.approvals);
    if expected != Some(at.step) {
        return Err(match expected {
            Some(expected) => ApprovalError::WrongStep { expected },
            None => ApprovalError::NotPending(req.status),
        });
    }
    if !holds_step_role(policy, who, at.step) {
        return Err(ApprovalError::RoleNotPermitted(at.step));
    }
    if !within_scope(who, at.step, req.agency, req.department) {
        return Err(ApprovalError::OutsideScope);
    }
    if at.basis != req.basis || req.approvals.iter().any(|a| a.basis != req.basis) {
        return Err(ApprovalError::BasisMismatch);
    }
    if lapsed(policy, req.approvals, at.now_ms) {
        return Err(ApprovalError::Expired);
    }
    if at.decision == StepDecision::Reject {
        return Ok(Outcome::Rejected);
    }
    if !req.missing_papers.is_empty() {
        return Err(ApprovalError::PapersMissing(req.missing_papers.to_vec()));
    }
    let after = req.flow.iter().skip_while(|s| **s != at.step).nth(1);
    Ok(match after {
        Some(s) => Outcome::Next(*s),
        None => Outcome::Approved,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    fn person(id: &str, role: Role, unit: &str, dept: Option<&str>) -> Principal {
        Principal {
            user_id: id.into(),
            roles: vec![role],
            unit: Some(unit.into()),
            department: dept.map(str::to_owned),
            officer_name: id.into(),
        }
    }

    fn approval(step: Step, by: &str, at: i64) -> Approval {
        Approval {
            step,
            decision: StepDecision::Approve,
            approver_id: by.into(),
            decided_ms: at,
            basis: "B".into(),
        }
    }

    #[test]
    fn workflow_table() {
        let policy = Policy::default_shipped();
        let hour = 3_600_000;
        let copy = policy.flow(crate::access::Flow::Copy).to_vec();
        let outside = policy.flow(crate::access::Flow::OutsideView).to_vec();
        let legal = person("legal", Role::LegalOffice, "甲局", None);
        let legal_other_unit = person("legal2", Role::LegalOffice, "乙局", None);
        let leader = person("leader", Role::EnforcementLeader, "甲局", None);
        let requester_leader = person("req", Role::EnforcementLeader, "甲局", None);
        let dept = person("dept", Role::CaseDepartment, "甲局", Some("危化科"));
        let dept_other = person("dept2", Role::CaseDepartment, "甲局", Some("大队"));
        let legal_done = [approval(Step::LegalReview, "legal", 0)];
        let legal_by_leader = [approval(Step::LegalReview, "leader", 0)];
        let both = [
            approval(Step::LegalReview, "legal", 0),
            approval(Step::LeaderApproval, "leader", hour),
        ];
        let missing = vec!["id_card".to_owned()];
        let req = |flow: &'static [Step], approvals: &'static [Approval]| RequestState {
            requester_id: "req",
            status: RequestStatus::Pending,
            flow,
            approvals,
            basis: "B",
            agency: "甲局",
            department: Some("危化科"),
            missing_papers: &[],
        };
        let copy: &'static [Step] = Vec::leak(copy);
        let outside: &'static [Step] = Vec::leak(outside);
        let legal_done: &'static [Approval] = Vec::leak(legal_done.to_vec());
        let legal_by_leader: &'static [Approval] = Vec::leak(legal_by_leader.to_vec());
        let both: &'static [Approval] = Vec::leak(both.to_vec());
        type Case<'a> = (
            &'a str,
            RequestState<'a>,
            &'a Principal,
            Step,
            StepDecision,
            &'a str,
            i64,
            Result<Outcome, ApprovalError>,
        );
        use StepDecision::*;
        let cases: Vec<Case> = vec![
            (
                "legal review first",
                req(copy, &[]),
                &legal,
                Step::LegalReview,
                Approve,
                "B",
                0,
                Ok(Outcome::Next(Step::LeaderApproval)),
            ),
            (
                "then the leader",
                req(copy, legal_done),
                &leader,
                Step::LeaderApproval,
                Approve,
                "B",
                hour,
                Ok(Outcome::Approved),
            ),
            (
                "reject ends it",
                req(copy, legal_done),
                &leader,
                Step::LeaderApproval,
                Reject,
                "B",
                hour,
                Ok(Outcome::Rejected),
            ),
            (
                "skipped step",
                req(copy, &[]),
                &leader,
                Step::LeaderApproval,
                Approve,
                "B",
                0,
                Err(ApprovalError::WrongStep {
                    expected: Step::LegalReview,
                }),
            ),
            (
                "replayed step",
                req(copy, legal_done),
                &legal,
                Step::LegalReview,
                Approve,
                "B",
                0,
                Err(ApprovalError::AlreadyDecided(Step::LegalReview)),
            ),
            (
                "self approval",
                req(copy, legal_done),
                &requester_leader,
                Step::LeaderApproval,
                Approve,
                "B",
                0,
                Err(ApprovalError::SelfApproval),
            ),
            (
                "same person twice",
                req(copy, legal_by_leader),
                &leader,
                Step::LeaderApproval,
                Approve,
                "B",
                0,
                Err(ApprovalError::SameApprover),
            ),
            (
                "wrong role",
                req(copy, &[]),
                &leader,
                Step::LegalReview,
                Approve,
                "B",
                0,
                Err(ApprovalError::RoleNotPermitted(Step::LegalReview)),
            ),
            (
                "other unit",
                req(copy, &[]),
                &legal_other_unit,
                Step::LegalReview,
                Approve,
                "B",
                0,
                Err(ApprovalError::OutsideScope),
            ),
            (
                "other department",
                req(outside, &[]),
                &dept_other,
                Step::Consent,
                Approve,
                "B",
                0,
                Err(ApprovalError::OutsideScope),
            ),
            (
                "consent by the department",
                req(outside, &[]),
                &dept,
                Step::Consent,
                Approve,
                "B",
                0,
                Ok(Outcome::Approved),
            ),
            (
                "another request's basis",
                req(copy, legal_done),
                &leader,
                Step::LeaderApproval,
                Approve,
                "OTHER",
                hour,
                Err(ApprovalError::BasisMismatch),
            ),
            (
                "expired approval",
                req(copy, legal_done),
                &leader,
                Step::LeaderApproval,
                Approve,
                "B",
                73 * hour,
                Err(ApprovalError::Expired),
            ),
            (
                "step not in flow",
                req(copy, &[]),
                &dept,
                Step::Consent,
                Approve,
                "B",
                0,
                Err(ApprovalError::NotInFlow(Step::Consent)),
            ),
            (
                "finished request",
                req(copy, both),
                &dept,
                Step::LeaderApproval,
                Approve,
                "B",
                0,
                Err(ApprovalError::AlreadyDecided(Step::LeaderApproval)),
            ),
        ];
        for (name, r, who, step, decision, basis, now_ms, want) in cases {
            let got = decide_step(
                &policy,
                &r,
                &Attempt {
                    approver: who,
                    step,
                    decision,
                    basis,
                    now_ms,
                },
            );
            assert_eq!(got, want, "{name}");
        }
        let mut closed = req(copy, &[]);
        closed.status = RequestStatus::Rejected;
        let at = Attempt {
            approver: &legal,
            step: Step::LegalReview,
            decision: Approve,
            basis: "B",
            now_ms: 0,
        };
        assert_eq!(
            decide_step(&policy, &closed, &at),
            Err(ApprovalError::NotPending(RequestStatus::Rejected))
        );
        let mut papers = req(outside, &[]);
        papers.missing_papers = &missing;
        let at = Attempt {
            approver: &dept,
            step: Step::Consent,
            decision: Approve,
            basis: "B",
            now_ms: 0,
        };
        assert_eq!(
            decide_step(&policy, &papers, &at),
            Err(ApprovalError::PapersMissing(missing.clone()))
        );
        // Rejecting needs no papers.
        let at = Attempt {
            decision: Reject,
            ..at
        };
        assert_eq!(decide_step(&policy, &papers, &at), Ok(Outcome::Rejected));
        assert_eq!(next_step(copy, legal_done), Some(Step::LeaderApproval));
        assert_eq!(next_step(copy, both), None);
        assert!(lapsed(&policy, legal_done, 73 * hour));
        assert!(!lapsed(&policy, legal_done, 71 * hour));
    }

    #[test]
    fn codes_and_messages() {
        for k in RequestKind::ALL {
            assert_eq!(RequestKind::parse(k.code()), Some(k));
        }
        for s in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse(s.code()), Some(s));
        }
        let e = ApprovalError::WrongStep {
            expected: Step::LegalReview,
        };
        assert_eq!(
            e.message(),
            crate::Message::new("step_out_of_order").label("step", "access.step", "legal_review")
        );
        assert_eq!(e.code(), "step_out_of_order");
    }

    #[test]
    fn who_may_decide_a_step() {
        let policy = Policy::default_shipped();
        let legal = person("legal", Role::LegalOffice, "甲局", None);
        let leader = person("leader", Role::EnforcementLeader, "甲局", None);
        let leader_other_unit = person("leader2", Role::EnforcementLeader, "乙局", None);
        let dept = person("dept", Role::CaseDepartment, "甲局", Some("危化科"));
        let dept_other = person("dept2", Role::CaseDepartment, "甲局", Some("大队"));
        let officer = person("officer", Role::Officer, "甲局", None);
        // (who, step, requester, department of the records, expected)
        let table: [(&Principal, Step, &str, Option<&str>, bool); 10] = [
            (&legal, Step::LegalReview, "req", None, true),
            (&legal, Step::LegalReview, "legal", None, false),
            (&leader, Step::LeaderApproval, "req", None, true),
            (&leader_other_unit, Step::LeaderApproval, "req", None, false),
            (&officer, Step::LeaderApproval, "req", None, false),
            (&legal, Step::LeaderApproval, "req", None, false),
            (&dept, Step::Consent, "req", Some("危化科"), true),
            (&dept_other, Step::Consent, "req", Some("危化科"), false),
            (&dept_other, Step::Consent, "req", None, true),
            (&dept, Step::Consent, "dept", Some("危化科"), false),
        ];
        for (i, (who, step, requester, department, expected)) in table.into_iter().enumerate() {
            assert_eq!(
                may_decide(&policy, who, step, requester, "甲局", department),
                expected,
                "row {i}: {} deciding {step:?}",
                who.user_id
            );
        }
    }
}
