//! Who a pending request waits for (issue 18): the person who must decide its next step
//! may see what he decides — exactly the request's records, only while it is pending.

use super::{Attempt, RequestState, StepDecision, decide_step, next_step};
use crate::access::{Policy, Step};
use crate::authz::Principal;

/// The step of `req` that `who` must decide now, if any: the request is pending, its next
/// step is one `who` may decide by the workflow's rules (role, unit, department for
/// consent, not the requester, not a second step, not lapsed, not changed). A paper still
/// missing does not stop the reviewer from looking. The same checks as [`decide_step`],
/// asked for a refusal, which passes every check that is about the person.
pub fn awaits(
    policy: &Policy,
    req: &RequestState<'_>,
    who: &Principal,
    now_ms: i64,
) -> Option<Step> {
    let step = next_step(req.flow, req.approvals)?;
    let attempt = Attempt {
        approver: who,
        step,
        decision: StepDecision::Reject,
        basis: req.basis,
        now_ms,
    };
    decide_step(policy, req, &attempt).ok().map(|_| step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;
    use crate::approval::{Approval, RequestStatus};

    fn person(id: &str, role: Role, unit: &str, dept: Option<&str>) -> Principal {
        Principal {
            user_id: id.into(),
            roles: vec![role],
            unit: Some(unit.into()),
            department: dept.map(str::to_owned),
            officer_name: id.into(),
        }
    }

    fn approved(step: Step, by: &str, at: i64, basis: &str) -> Approval {
        Approval {
            step,
            decision: StepDecision::Approve,
            approver_id: by.into(),
            decided_ms: at,
            basis: basis.into(),
        }
    }

    #[test]
    fn who_a_request_waits_for() {
        let policy = Policy::default_shipped();
        let hour = 3_600_000;
        let copy = [Step::LegalReview, Step::LeaderApproval];
        let view = [Step::Consent];
        let legal = person("legal", Role::LegalOffice, "甲局", None);
        let legal_b = person("legal-b", Role::LegalOffice, "乙局", None);
        let leader = person("leader", Role::EnforcementLeader, "甲局", None);
        let dept = person("dept", Role::CaseDepartment, "甲局", Some("危化科"));
        let dept_other = person("dept2", Role::CaseDepartment, "甲局", Some("大队"));
        let officer = person("off", Role::Officer, "甲局", None);
        let requester = person("req", Role::LegalOffice, "甲局", None);
        let legal_done = [approved(Step::LegalReview, "legal", 0, "B")];
        let legal_done_other_basis = [approved(Step::LegalReview, "legal", 0, "A")];
        let legal_by_leader = [approved(Step::LegalReview, "leader", 0, "B")];
        let all_done = [
            approved(Step::LegalReview, "legal", 0, "B"),
            approved(Step::LeaderApproval, "leader", hour, "B"),
        ];
        let papers = ["id_card".to_owned()];
        let base = RequestState {
            requester_id: "req",
            status: RequestStatus::Pending,
            flow: &copy,
            approvals: &[],
            basis: "B",
            agency: "甲局",
            department: Some("危化科"),
            missing_papers: &[],
        };
        #[rustfmt::skip]
        let cases: Vec<(&str, RequestState<'_>, &Principal, i64, Option<Step>)> = vec![
            ("the legal office reviews a new copy request", base, &legal, 0, Some(Step::LegalReview)),
            ("the leader's turn has not come", base, &leader, 0, None),
            ("after the review, the leader", RequestState { approvals: &legal_done, ..base }, &leader, hour, Some(Step::LeaderApproval)),
            ("the reviewer is done with it", RequestState { approvals: &legal_done, ..base }, &legal, hour, None),
            ("one person never decides two steps", RequestState { approvals: &legal_by_leader, ..base }, &leader, hour, None),
            ("another unit's legal office", base, &legal_b, 0, None),
            ("an officer decides nothing", base, &officer, 0, None),
            ("never the requester", base, &requester, 0, None),
            ("decided: waits for nobody", RequestState { approvals: &all_done, ..base }, &leader, hour, None),
            ("approved", RequestState { status: RequestStatus::Approved, ..base }, &legal, 0, None),
            ("rejected", RequestState { status: RequestStatus::Rejected, ..base }, &legal, 0, None),
            ("lapsed approval", RequestState { approvals: &legal_done, ..base }, &leader, 73 * hour, None),
            ("changed since approved", RequestState { approvals: &legal_done_other_basis, ..base }, &leader, hour, None),
            ("papers missing: still looks", RequestState { missing_papers: &papers, ..base }, &legal, 0, Some(Step::LegalReview)),
            ("consent: the handling department", RequestState { flow: &view, ..base }, &dept, 0, Some(Step::Consent)),
            ("consent: not another department", RequestState { flow: &view, ..base }, &dept_other, 0, None),
            ("consent of no case: any department of the unit", RequestState { flow: &view, department: None, ..base }, &dept_other, 0, Some(Step::Consent)),
        ];
        for (name, req, who, now, expected) in cases {
            assert_eq!(awaits(&policy, &req, who, now), expected, "{name}");
        }
    }
}
