//! The access policy: one pure function deciding whether a principal may perform an action
//! on a target. Every route and command asks [`decide`] through the application's single
//! authorization point; the list queries use [`record_visibility`], which agrees with it.
//!
//! This is the interim policy of the web-server issue: an officer sees his own records, a
//! unit's records keeper his unit's; the three administrators see no record content. The
//! full policy (case teams, approvals, grants, confidentiality) plugs in here later.

use crate::org::Role;

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub roles: Vec<Role>,
    /// Name of the user's unit (执法机构), compared with a record's agency.
    pub unit: Option<String>,
    /// The name under which recordings are classified as this user's (执法人员).
    pub officer_name: String,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See that a record exists and its metadata.
    ViewRecord,
    /// Stream or show a record in place (no download).
    PlayRecord,
    /// Take the original file away.
    DownloadOriginal,
    /// Add recordings (upload or offload).
    UploadRecord,
    /// Change a record's classification.
    EditRecord,
    /// Read the whole audit log.
    ViewAuditLog,
    /// Create, change and disable accounts; units and departments.
    ManageUsers,
    /// Unlock accounts, reset second factors, security settings.
    ManageSecurity,
    /// Read the access register (查阅登记簿, R4.1) and export it.
    ViewRegister,
    /// See the misconduct signals (R3.13).
    ViewAlerts,
    /// Acknowledge a misconduct signal.
    AcknowledgeAlert,
    /// Delete an original: never allowed (only the disposal procedure removes records).
    DeleteRecord,
}

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Self::ViewRecord => "record.view",
            Self::PlayRecord => "record.play",
            Self::DownloadOriginal => "record.download",
            Self::UploadRecord => "record.upload",
            Self::EditRecord => "record.edit",
            Self::ViewAuditLog => "audit.view",
            Self::ManageUsers => "users.manage",
            Self::ManageSecurity => "security.manage",
            Self::ViewRegister => "register.view",
            Self::ViewAlerts => "alerts.view",
            Self::AcknowledgeAlert => "alerts.acknowledge",
            Self::DeleteRecord => "record.delete",
        }
    }
}

/// What a record-level action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordScope<'a> {
    pub agency: Option<&'a str>,
    pub officer: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// Actions that are not about one record.
    System,
    Record(RecordScope<'a>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(DenyReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    /// The role set never allows this action.
    RoleNotPermitted,
    /// The role allows it, but not on this record (another officer's or another unit's).
    OutsideScope,
    /// The action needs a record but none was given, or the reverse.
    WrongTarget,
}

impl DenyReason {
    pub fn code(self) -> &'static str {
        match self {
            Self::RoleNotPermitted => "role_not_permitted",
            Self::OutsideScope => "outside_scope",
            Self::WrongTarget => "wrong_target",
        }
    }

    pub fn message_zh(self) -> &'static str {
        match self {
            Self::RoleNotPermitted => "您的角色无权执行此操作",
            Self::OutsideScope => "该记录不在您的查阅范围内",
            Self::WrongTarget => "请求的对象不正确",
        }
    }
}

/// Which records a principal may see in lists; agrees with [`decide`] for `ViewRecord`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordVisibility {
    /// Records whose agency equals this unit.
    pub unit: Option<String>,
    /// Records whose officer equals this name.
    pub officer: Option<String>,
}

impl RecordVisibility {
    pub fn nothing(&self) -> bool {
        self.unit.is_none() && self.officer.is_none()
    }
}

pub fn record_visibility(p: &Principal) -> RecordVisibility {
    RecordVisibility {
        unit: p.has(Role::RecordsKeeper).then(|| p.unit.clone()).flatten(),
        officer: (p.has(Role::Officer) || p.has(Role::CameraOperator))
            .then(|| p.officer_name.clone()),
    }
}

fn sees(p: &Principal, r: RecordScope<'_>) -> bool {
    let v = record_visibility(p);
    let unit_ok = v.unit.is_some() && v.unit.as_deref() == r.agency;
    let own_ok = v.officer.is_some() && v.officer.as_deref() == r.officer;
    unit_ok || own_ok
}

pub fn decide(p: &Principal, action: Action, target: Target<'_>) -> Decision {
    use Action::*;
    if let Some(d) = decide_supervision(p, action, target) {
        return d;
    }
    let role_allows = match action {
        ViewRecord | PlayRecord => {
            p.has(Role::Officer) || p.has(Role::CameraOperator) || p.has(Role::RecordsKeeper)
        }
        DownloadOriginal | EditRecord => p.has(Role::RecordsKeeper),
        UploadRecord => {
            p.has(Role::Officer) || p.has(Role::CameraOperator) || p.has(Role::RecordsKeeper)
        }
        ViewAuditLog => p.has(Role::AuditAdmin),
        ManageUsers => p.has(Role::SystemAdmin),
        ManageSecurity => p.has(Role::SecurityAdmin),
        ViewRegister | ViewAlerts | AcknowledgeAlert | DeleteRecord => false,
    };
    if !role_allows {
        return Decision::Deny(DenyReason::RoleNotPermitted);
    }
    match (action, target) {
        (ViewRecord | PlayRecord, Target::Record(r)) => {
            if sees(p, r) {
                Decision::Allow
            } else {
                Decision::Deny(DenyReason::OutsideScope)
            }
        }
        (DownloadOriginal | EditRecord, Target::Record(r)) => {
            let unit = p.unit.as_deref();
            if unit.is_some() && unit == r.agency {
                Decision::Allow
            } else {
                Decision::Deny(DenyReason::OutsideScope)
            }
        }
        (UploadRecord | ViewAuditLog | ManageUsers | ManageSecurity, Target::System) => {
            Decision::Allow
        }
        _ => Decision::Deny(DenyReason::WrongTarget),
    }
}

/// Who reads the register and the misconduct signals (R4.1, R3.13). Records keepers read
/// the register of their own unit's records only (see [`register_scope`]); no one deletes
/// an original.
fn decide_supervision(p: &Principal, action: Action, target: Target<'_>) -> Option<Decision> {
    let role_allows = match action {
        Action::ViewRegister => {
            register_scope(p).is_some() || (p.has(Role::RecordsKeeper) && p.unit.is_none())
        }
        Action::ViewAlerts => p.has(Role::Supervisor) || p.has(Role::AuditAdmin),
        Action::AcknowledgeAlert => p.has(Role::Supervisor),
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
    use Action::*;

    fn who(roles: &[Role], unit: &str, name: &str) -> Principal {
        Principal {
            user_id: "u".into(),
            roles: roles.to_vec(),
            unit: Some(unit.into()),
            officer_name: name.into(),
        }
    }

    #[test]
    fn interim_policy_table() {
        let own = RecordScope {
            agency: Some("高新区应急管理局"),
            officer: Some("张伟"),
        };
        let unit = RecordScope {
            agency: Some("高新区应急管理局"),
            officer: Some("李娜"),
        };
        let other = RecordScope {
            agency: Some("卫东区应急管理局"),
            officer: Some("王芳"),
        };
        let officer = who(&[Role::Officer], "高新区应急管理局", "张伟");
        let keeper = who(&[Role::RecordsKeeper], "高新区应急管理局", "赵敏");
        let sysadmin = who(&[Role::SystemAdmin], "高新区应急管理局", "管理员");
        let auditor = who(&[Role::AuditAdmin], "高新区应急管理局", "审计员");
        let allow = Decision::Allow;
        let scope = Decision::Deny(DenyReason::OutsideScope);
        let role = Decision::Deny(DenyReason::RoleNotPermitted);
        let cases: Vec<(&Principal, Action, Target, Decision)> = vec![
            (&officer, ViewRecord, Target::Record(own), allow),
            (&officer, PlayRecord, Target::Record(own), allow),
            (&officer, ViewRecord, Target::Record(unit), scope),
            (&officer, DownloadOriginal, Target::Record(own), role),
            (&officer, UploadRecord, Target::System, allow),
            (&keeper, ViewRecord, Target::Record(unit), allow),
            (&keeper, PlayRecord, Target::Record(own), allow),
            (&keeper, DownloadOriginal, Target::Record(unit), allow),
            (&keeper, EditRecord, Target::Record(unit), allow),
            (&keeper, ViewRecord, Target::Record(other), scope),
            (&keeper, EditRecord, Target::Record(other), scope),
            (&sysadmin, ViewRecord, Target::Record(own), role),
            (&sysadmin, ManageUsers, Target::System, allow),
            (&sysadmin, ViewAuditLog, Target::System, role),
            (&auditor, ViewAuditLog, Target::System, allow),
            (&auditor, ManageUsers, Target::System, role),
            (&auditor, PlayRecord, Target::Record(own), role),
            (
                &officer,
                ViewRecord,
                Target::System,
                Decision::Deny(DenyReason::WrongTarget),
            ),
        ];
        for (p, action, target, expected) in cases {
            assert_eq!(
                decide(p, action, target),
                expected,
                "{:?} {action:?} {target:?}",
                p.roles
            );
        }
    }

    #[test]
    fn visibility_agrees_with_decide() {
        let both = who(&[Role::Officer, Role::RecordsKeeper], "甲局", "张伟");
        let v = record_visibility(&both);
        assert_eq!(v.unit.as_deref(), Some("甲局"));
        assert_eq!(v.officer.as_deref(), Some("张伟"));
        assert!(record_visibility(&who(&[Role::SystemAdmin], "甲局", "x")).nothing());
    }
}

#[cfg(test)]
mod supervision_tests {
    use super::*;
    use Action::*;

    fn who(roles: &[Role], unit: Option<&str>) -> Principal {
        Principal {
            user_id: "u".into(),
            roles: roles.to_vec(),
            unit: unit.map(str::to_owned),
            officer_name: "某人".into(),
        }
    }

    #[test]
    fn register_and_alerts_table() {
        let allow = Decision::Allow;
        let role = Decision::Deny(DenyReason::RoleNotPermitted);
        let scope = Decision::Deny(DenyReason::OutsideScope);
        let wrong = Decision::Deny(DenyReason::WrongTarget);
        let rec = Target::Record(RecordScope {
            agency: Some("甲局"),
            officer: Some("某人"),
        });
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
                decide(&p, action, target),
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
