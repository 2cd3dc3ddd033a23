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
    /// Name of the user's department (处室) within the unit, compared with a case's.
    pub department: Option<String>,
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
    /// See a case, its steps, linked records, compliance and history.
    ViewCase,
    /// Create and change a case: fields, flags, steps, links, explanations.
    ManageCase,
    /// Tick a record's reviewer sheet (R2.3, R2.4).
    ReviewRecord,
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
            Self::ViewCase => "case.view",
            Self::ManageCase => "case.manage",
            Self::ReviewRecord => "record.review",
        }
    }
}

/// What a record-level action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordScope<'a> {
    pub agency: Option<&'a str>,
    pub officer: Option<&'a str>,
}

/// What a case-level action is about: the case's unit (执法机构), its case-handling
/// department (办案部门) and its team (办案人员).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseScope<'a> {
    pub agency: Option<&'a str>,
    pub department: Option<&'a str>,
    pub team: &'a [String],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// Actions that are not about one record.
    System,
    Record(RecordScope<'a>),
    Case(CaseScope<'a>),
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

/// Roles that tick a record's reviewer sheet, within their unit.
const REVIEWERS: [Role; 3] = [Role::Supervisor, Role::LegalOffice, Role::RecordsKeeper];

/// Roles that may manage a case: the team's officers and the unit's records keeper.
const CASE_MANAGERS: [Role; 3] = [Role::Officer, Role::CameraOperator, Role::RecordsKeeper];

/// Roles that may see a case (within their scope, see [`case_visibility`]).
const CASE_VIEWERS: [Role; 9] = [
    Role::Officer,
    Role::CameraOperator,
    Role::RecordsKeeper,
    Role::CaseDepartment,
    Role::LegalOffice,
    Role::Supervisor,
    Role::EnforcementLeader,
    Role::DeputyHead,
    Role::DepartmentHead,
];

/// Roles that oversee every case of their unit.
const UNIT_WIDE_CASE_VIEWERS: [Role; 6] = [
    Role::RecordsKeeper,
    Role::LegalOffice,
    Role::Supervisor,
    Role::EnforcementLeader,
    Role::DeputyHead,
    Role::DepartmentHead,
];

/// Which cases a principal may see in lists; agrees with [`decide`] for `ViewCase`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseVisibility {
    /// Every case of this unit (records keeper, legal office, supervisors, leaders).
    pub unit: Option<String>,
    /// Cases of this unit handled by this department: (unit, department).
    pub department: Option<(String, String)>,
    /// Cases whose team includes this officer.
    pub team_member: Option<String>,
}

impl CaseVisibility {
    pub fn nothing(&self) -> bool {
        self.unit.is_none() && self.department.is_none() && self.team_member.is_none()
    }
}

pub fn case_visibility(p: &Principal) -> CaseVisibility {
    let unit = p.unit.clone().filter(|u| !u.is_empty());
    CaseVisibility {
        unit: UNIT_WIDE_CASE_VIEWERS
            .iter()
            .any(|r| p.has(*r))
            .then(|| unit.clone())
            .flatten(),
        department: p
            .has(Role::CaseDepartment)
            .then(|| unit.zip(p.department.clone().filter(|d| !d.is_empty())))
            .flatten(),
        team_member: (p.has(Role::Officer) || p.has(Role::CameraOperator))
            .then(|| p.officer_name.clone())
            .filter(|n| !n.is_empty()),
    }
}

fn views_case(p: &Principal, c: CaseScope<'_>) -> bool {
    let v = case_visibility(p);
    let unit_ok = v.unit.is_some() && v.unit.as_deref() == c.agency;
    let dept_ok = v
        .department
        .as_ref()
        .is_some_and(|(u, d)| Some(u.as_str()) == c.agency && Some(d.as_str()) == c.department);
    let team_ok = v
        .team_member
        .as_ref()
        .is_some_and(|n| c.team.iter().any(|t| t == n));
    unit_ok || dept_ok || team_ok
}

fn manages_case(p: &Principal, c: CaseScope<'_>) -> bool {
    let keeper = p.has(Role::RecordsKeeper)
        && p.unit.as_deref().is_some_and(|u| !u.is_empty())
        && p.unit.as_deref() == c.agency;
    let member = (p.has(Role::Officer) || p.has(Role::CameraOperator))
        && !p.officer_name.is_empty()
        && c.team.contains(&p.officer_name);
    keeper || member
}

pub fn decide(p: &Principal, action: Action, target: Target<'_>) -> Decision {
    use Action::*;
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
        ViewCase => CASE_VIEWERS.iter().any(|r| p.has(*r)),
        ManageCase => CASE_MANAGERS.iter().any(|r| p.has(*r)),
        ReviewRecord => REVIEWERS.iter().any(|r| p.has(*r)),
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
        (DownloadOriginal | EditRecord | ReviewRecord, Target::Record(r)) => {
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
        (ViewCase, Target::Case(c)) if views_case(p, c) => Decision::Allow,
        (ManageCase, Target::Case(c)) if manages_case(p, c) => Decision::Allow,
        (ViewCase | ManageCase, Target::Case(_)) => Decision::Deny(DenyReason::OutsideScope),
        _ => Decision::Deny(DenyReason::WrongTarget),
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
            department: None,
        }
    }

    #[test]
    fn case_policy_table() {
        let team = vec!["张伟".to_owned(), "李娜".to_owned()];
        let case = CaseScope {
            agency: Some("高新区应急管理局"),
            department: Some("执法一科"),
            team: &team,
        };
        let other_unit = CaseScope {
            agency: Some("卫东区应急管理局"),
            department: Some("执法一科"),
            team: &[],
        };
        let member = who(&[Role::Officer], "高新区应急管理局", "张伟");
        let outsider = who(&[Role::Officer], "高新区应急管理局", "王芳");
        let keeper = who(&[Role::RecordsKeeper], "高新区应急管理局", "赵敏");
        let supervisor = who(&[Role::Supervisor], "高新区应急管理局", "督察");
        let legal = who(&[Role::LegalOffice], "高新区应急管理局", "法规");
        let leader = who(&[Role::EnforcementLeader], "高新区应急管理局", "领导");
        let mut dept = who(&[Role::CaseDepartment], "高新区应急管理局", "处室");
        dept.department = Some("执法一科".into());
        let mut other_dept = dept.clone();
        other_dept.department = Some("执法二科".into());
        let sysadmin = who(&[Role::SystemAdmin], "高新区应急管理局", "管理员");
        let auditor = who(&[Role::AuditAdmin], "高新区应急管理局", "审计员");
        let allow = Decision::Allow;
        let scope = Decision::Deny(DenyReason::OutsideScope);
        let role = Decision::Deny(DenyReason::RoleNotPermitted);
        let c = Target::Case(case);
        let o = Target::Case(other_unit);
        let rec = RecordScope {
            agency: Some("高新区应急管理局"),
            officer: Some("张伟"),
        };
        let rec_other = RecordScope {
            agency: Some("卫东区应急管理局"),
            officer: Some("王芳"),
        };
        let rows: Vec<(&Principal, Action, Target, Decision)> = vec![
            (&member, ViewCase, c, allow),
            (&member, ManageCase, c, allow),
            (&outsider, ViewCase, c, scope),
            (&outsider, ManageCase, c, scope),
            (&keeper, ViewCase, c, allow),
            (&keeper, ManageCase, c, allow),
            (&keeper, ManageCase, o, scope),
            (&keeper, ViewCase, o, scope),
            (&supervisor, ViewCase, c, allow),
            (&supervisor, ManageCase, c, role),
            (&supervisor, ViewCase, o, scope),
            (&legal, ViewCase, c, allow),
            (&legal, ManageCase, c, role),
            (&leader, ViewCase, c, allow),
            (&dept, ViewCase, c, allow),
            (&dept, ManageCase, c, role),
            (&other_dept, ViewCase, c, scope),
            (&sysadmin, ViewCase, c, role),
            (&sysadmin, ManageCase, c, role),
            (&auditor, ViewCase, c, role),
            (&supervisor, ReviewRecord, Target::Record(rec), allow),
            (&legal, ReviewRecord, Target::Record(rec), allow),
            (&keeper, ReviewRecord, Target::Record(rec), allow),
            (&member, ReviewRecord, Target::Record(rec), role),
            (&sysadmin, ReviewRecord, Target::Record(rec), role),
            (&supervisor, ReviewRecord, Target::Record(rec_other), scope),
            (
                &member,
                ViewCase,
                Target::System,
                Decision::Deny(DenyReason::WrongTarget),
            ),
            (
                &keeper,
                ViewRecord,
                c,
                Decision::Deny(DenyReason::WrongTarget),
            ),
        ];
        for (p, action, target, expected) in rows {
            assert_eq!(
                decide(p, action, target),
                expected,
                "{:?} {action:?} {target:?}",
                p.roles
            );
        }
    }

    #[test]
    fn case_visibility_agrees_with_decide() {
        let mut dept = who(&[Role::CaseDepartment], "甲局", "处室");
        dept.department = Some("一科".into());
        let v = case_visibility(&dept);
        assert_eq!(v.department, Some(("甲局".into(), "一科".into())));
        assert!(v.unit.is_none() && v.team_member.is_none());
        let officer = case_visibility(&who(&[Role::Officer], "甲局", "张伟"));
        assert_eq!(officer.team_member.as_deref(), Some("张伟"));
        assert!(officer.unit.is_none());
        assert_eq!(
            case_visibility(&who(&[Role::Supervisor], "甲局", "x"))
                .unit
                .as_deref(),
            Some("甲局")
        );
        assert!(case_visibility(&who(&[Role::SecurityAdmin], "甲局", "x")).nothing());
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
