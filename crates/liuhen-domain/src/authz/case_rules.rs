//! Who sees and manages a case (issue 4): the case team (`[cases] team`, shipped: officers
//! and camera operators) and the unit's managers (`[cases] unit_managers`, shipped: the
//! records keeper) manage it; the case-handling department (`[cases] department`) sees its
//! own; the roles the access policy names in `[cases] unit_wide` (shipped: keepers,
//! supervisors, the legal office and the leaders) see every case of their unit; the three
//! administrators see no case. Every list is the policy's (issue 11).

use super::{Action, Decision, DenyReason, Principal};
use crate::access::Policy;
use crate::org::Role;

/// What a case-level action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseScope<'a> {
    pub agency: Option<&'a str>,
    pub department: Option<&'a str>,
    /// Account ids of the case team's members.
    pub team_ids: &'a [String],
}

fn has_any(p: &Principal, roles: &[Role]) -> bool {
    roles.iter().any(|r| p.has(*r))
}

/// Which cases a principal may see in lists; agrees with [`decide`] for `ViewCase`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseVisibility {
    /// Every case of this unit (the policy's `[cases] unit_wide` roles).
    pub unit: Option<String>,
    /// Cases of this unit handled by this department: (unit, department).
    pub department: Option<(String, String)>,
    /// Cases whose team includes this account (id).
    pub team_member: Option<String>,
}

impl CaseVisibility {
    pub fn nothing(&self) -> bool {
        self.unit.is_none() && self.department.is_none() && self.team_member.is_none()
    }
}

/// The roles that oversee every case of their unit are the policy's (`[cases] unit_wide`).
pub fn case_visibility(policy: &Policy, p: &Principal) -> CaseVisibility {
    let unit = p.unit.clone().filter(|u| !u.is_empty());
    CaseVisibility {
        unit: policy
            .unit_case_viewers
            .iter()
            .any(|r| p.has(*r))
            .then(|| unit.clone())
            .flatten(),
        department: has_any(p, &policy.case_department_roles)
            .then(|| unit.zip(p.department.clone().filter(|d| !d.is_empty())))
            .flatten(),
        team_member: has_any(p, &policy.case_team_roles)
            .then(|| p.user_id.clone())
            .filter(|n| !n.is_empty()),
    }
}

fn views_case(policy: &Policy, p: &Principal, c: CaseScope<'_>) -> bool {
    let v = case_visibility(policy, p);
    let unit_ok = v.unit.is_some() && v.unit.as_deref() == c.agency;
    let dept_ok = v
        .department
        .as_ref()
        .is_some_and(|(u, d)| Some(u.as_str()) == c.agency && Some(d.as_str()) == c.department);
    let team_ok = v
        .team_member
        .as_ref()
        .is_some_and(|n| c.team_ids.iter().any(|t| t == n));
    unit_ok || dept_ok || team_ok
}

fn manages_case(policy: &Policy, p: &Principal, c: CaseScope<'_>) -> bool {
    let keeper = has_any(p, &policy.unit_case_managers)
        && p.unit.as_deref().is_some_and(|u| !u.is_empty())
        && p.unit.as_deref() == c.agency;
    let member = has_any(p, &policy.case_team_roles)
        && !p.user_id.is_empty()
        && c.team_ids.contains(&p.user_id);
    keeper || member
}

/// The decision on a case-level action ([`Action::ViewCase`], [`Action::ManageCase`]).
pub(super) fn decide_case(
    policy: &Policy,
    p: &Principal,
    action: Action,
    c: CaseScope<'_>,
) -> Decision {
    // Whether a role of `p` takes part in the action at all (then: whether the case is in
    // its scope).
    let (role_ok, holds) = match action {
        Action::ViewCase => (
            has_any(p, &policy.unit_case_viewers)
                || has_any(p, &policy.unit_case_managers)
                || has_any(p, &policy.case_team_roles)
                || has_any(p, &policy.case_department_roles),
            views_case(policy, p, c),
        ),
        Action::ManageCase => (
            has_any(p, &policy.unit_case_managers) || has_any(p, &policy.case_team_roles),
            manages_case(policy, p, c),
        ),
        _ => return Decision::Deny(DenyReason::WrongTarget),
    };
    if !role_ok {
        Decision::Deny(DenyReason::RoleNotPermitted)
    } else if holds {
        Decision::Allow
    } else {
        Decision::Deny(DenyReason::OutsideScope)
    }
}
