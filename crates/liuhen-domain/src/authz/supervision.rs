//! Who reads the access register and the misconduct signals (R4.1, R3.13), and the rule
//! that no one deletes an original.

use super::{Action, Decision, DenyReason, Principal, Target};
use crate::access::Policy;
use crate::org::Role;

/// Who reads the register and the misconduct signals (R4.1, R3.13). Records keepers read
/// the register of their own unit's records only (see [`register_scope`]); no one deletes
/// an original.
pub(super) fn decide_supervision(
    policy: &Policy,
    p: &Principal,
    action: Action,
    target: Target<'_>,
) -> Option<Decision> {
    let role_allows = match action {
        Action::ViewRegister => {
            register_scope(p).is_some() || (p.has(Role::RecordsKeeper) && p.unit.is_none())
        }
        // The policy's lists (`[supervision]`, issue 11).
        Action::ViewAlerts => any(p, &policy.supervision.view_alerts),
        Action::AcknowledgeAlert => any(p, &policy.supervision.acknowledge_alerts),
        Action::RunDraw => any(p, &policy.supervision.run_draws),
        Action::DeleteRecord => false,
        _ => return None,
    };
    Some(if !role_allows {
        Decision::Deny(DenyReason::RoleNotPermitted)
    } else if target != Target::System {
        Decision::Deny(DenyReason::WrongTarget)
    } else if action == Action::ViewRegister && register_scope(p).is_none() {
        Decision::Deny(DenyReason::OutsideScope)
    } else {
        Decision::Allow
    })
}

fn any(p: &Principal, roles: &[Role]) -> bool {
    roles.iter().any(|r| p.has(*r))
}

/// Which rows of the access register a principal reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterScope {
    /// Every row (archive keeper, supervisor, legal office, audit administrator).
    All,
    /// Rows about records of this unit (a unit's records keeper).
    Unit(String),
}

pub fn register_scope(p: &Principal) -> Option<RegisterScope> {
    let all = [
        Role::ArchiveKeeper,
        Role::Supervisor,
        Role::LegalOffice,
        Role::AuditAdmin,
    ];
    if all.iter().any(|r| p.has(*r)) {
        Some(RegisterScope::All)
    } else if p.has(Role::RecordsKeeper) {
        p.unit.clone().map(RegisterScope::Unit)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Policy;
    use crate::authz::{RecordScope, decide};
    use Action::*;

    fn who(roles: &[Role], unit: Option<&str>) -> Principal {
        Principal {
            user_id: "u".into(),
            roles: roles.to_vec(),
            unit: unit.map(str::to_owned),
            department: None,
            officer_name: "某人".into(),
        }
    }

    #[test]
    fn register_and_alerts_table() {
        let allow = Decision::Allow;
        let role = Decision::Deny(DenyReason::RoleNotPermitted);
        let scope = Decision::Deny(DenyReason::OutsideScope);
        let wrong = Decision::Deny(DenyReason::WrongTarget);
        let rec = Target::Record(RecordScope::plain(Some("甲局"), Some("某人")));
        let unit = Some("甲局");
        type Case<'a> = (&'a [Role], Option<&'a str>, Action, Target<'a>, Decision);
        let cases: Vec<Case> = vec![
            (
                &[Role::ArchiveKeeper],
                None,
                ViewRegister,
                Target::System,
                allow,
            ),
            (
                &[Role::RecordsKeeper],
                unit,
                ViewRegister,
                Target::System,
                allow,
            ),
            (
                &[Role::RecordsKeeper],
                None,
                ViewRegister,
                Target::System,
                scope,
            ),
            (
                &[Role::Supervisor],
                None,
                ViewRegister,
                Target::System,
                allow,
            ),
            (
                &[Role::LegalOffice],
                unit,
                ViewRegister,
                Target::System,
                allow,
            ),
            (
                &[Role::AuditAdmin],
                None,
                ViewRegister,
                Target::System,
                allow,
            ),
            (&[Role::Officer], unit, ViewRegister, Target::System, role),
            (
                &[Role::SystemAdmin],
                None,
                ViewRegister,
                Target::System,
                role,
            ),
            (
                &[Role::SecurityAdmin],
                None,
                ViewRegister,
                Target::System,
                role,
            ),
            (
                &[Role::EnforcementLeader],
                unit,
                ViewRegister,
                Target::System,
                role,
            ),
            (
                &[Role::ExternalRequester],
                None,
                ViewRegister,
                Target::System,
                role,
            ),
            (&[Role::Supervisor], None, ViewRegister, rec, wrong),
            (&[Role::Supervisor], None, ViewAlerts, Target::System, allow),
            (&[Role::Supervisor], unit, RunDraw, Target::System, allow),
            (&[Role::LegalOffice], unit, RunDraw, Target::System, allow),
            (&[Role::Officer], unit, RunDraw, Target::System, role),
            (&[Role::AuditAdmin], None, RunDraw, Target::System, role),
            (&[Role::AuditAdmin], None, ViewAlerts, Target::System, allow),
            (
                &[Role::ArchiveKeeper],
                None,
                ViewAlerts,
                Target::System,
                role,
            ),
            (
                &[Role::RecordsKeeper],
                unit,
                ViewAlerts,
                Target::System,
                role,
            ),
            (&[Role::Officer], unit, ViewAlerts, Target::System, role),
            (
                &[Role::Supervisor],
                None,
                AcknowledgeAlert,
                Target::System,
                allow,
            ),
            (
                &[Role::AuditAdmin],
                None,
                AcknowledgeAlert,
                Target::System,
                role,
            ),
            (
                &[Role::LegalOffice],
                None,
                AcknowledgeAlert,
                Target::System,
                role,
            ),
            (&[Role::RecordsKeeper], unit, DeleteRecord, rec, role),
            (&[Role::ArchiveKeeper], unit, DeleteRecord, rec, role),
            (&[Role::SystemAdmin], None, DeleteRecord, rec, role),
            (&[Role::Officer], unit, DeleteRecord, rec, role),
        ];
        for (roles, unit, action, target, expected) in cases {
            let p = who(roles, unit);
            assert_eq!(
                decide(&Policy::default_shipped(), &p, action, target),
                expected,
                "{roles:?} {unit:?} {action:?}"
            );
        }
    }

    #[test]
    fn register_scope_by_role() {
        assert_eq!(
            register_scope(&who(&[Role::RecordsKeeper], Some("甲局"))),
            Some(RegisterScope::Unit("甲局".into()))
        );
        assert_eq!(
            register_scope(&who(&[Role::RecordsKeeper, Role::Supervisor], Some("甲局"))),
            Some(RegisterScope::All)
        );
        assert_eq!(register_scope(&who(&[Role::Officer], Some("甲局"))), None);
    }
}
