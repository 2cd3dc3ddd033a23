//! Organisation: roles of the actors table (REQUIREMENTS.md) and the separation of the three
//! administrators (三员分立). Role *codes* are fixed here because behaviour hangs on them;
//! their display names are configuration.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// 执法人员
    Officer,
    /// 摄录人员
    CameraOperator,
    /// 单位音像记录管理人员 (records keeper of a unit)
    RecordsKeeper,
    /// 案件承办处室
    CaseDepartment,
    /// 政策法规处 / 法制审核
    LegalOffice,
    /// 主管执法工作领导
    EnforcementLeader,
    /// 分管领导
    DeputyHead,
    /// 部门主要负责人
    DepartmentHead,
    /// 监督人员
    Supervisor,
    /// 档案管理人员
    ArchiveKeeper,
    /// 外部申请人 (police, procuratorate, court, party, lawyer …)
    ExternalRequester,
    /// 系统管理员
    SystemAdmin,
    /// 安全保密管理员
    SecurityAdmin,
    /// 安全审计员
    AuditAdmin,
}

impl Role {
    pub const ALL: [Role; 14] = [
        Self::Officer,
        Self::CameraOperator,
        Self::RecordsKeeper,
        Self::CaseDepartment,
        Self::LegalOffice,
        Self::EnforcementLeader,
        Self::DeputyHead,
        Self::DepartmentHead,
        Self::Supervisor,
        Self::ArchiveKeeper,
        Self::ExternalRequester,
        Self::SystemAdmin,
        Self::SecurityAdmin,
        Self::AuditAdmin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Officer => "officer",
            Self::CameraOperator => "camera_operator",
            Self::RecordsKeeper => "records_keeper",
            Self::CaseDepartment => "case_department",
            Self::LegalOffice => "legal_office",
            Self::EnforcementLeader => "enforcement_leader",
            Self::DeputyHead => "deputy_head",
            Self::DepartmentHead => "department_head",
            Self::Supervisor => "supervisor",
            Self::ArchiveKeeper => "archive_keeper",
            Self::ExternalRequester => "external_requester",
            Self::SystemAdmin => "system_admin",
            Self::SecurityAdmin => "security_admin",
            Self::AuditAdmin => "audit_admin",
        }
    }

    /// One of the three administrators (三员): system, security, audit.
    pub fn is_administrator(self) -> bool {
        matches!(
            self,
            Self::SystemAdmin | Self::SecurityAdmin | Self::AuditAdmin
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleSetError {
    #[error("a user needs at least one role")]
    Empty,
    /// 三员分立: no account holds two of the administrator roles, nor an administrator
    /// role together with a business role.
    #[error("role {0} cannot be combined with role {1} (三员分立)")]
    Conflict(Role, Role),
}

/// Checks a user's set of roles against the separation of the three administrators.
pub fn check_roles(roles: &[Role]) -> Result<(), RoleSetError> {
    if roles.is_empty() {
        return Err(RoleSetError::Empty);
    }
    if let Some(admin) = roles.iter().find(|r| r.is_administrator())
        && let Some(other) = roles.iter().find(|r| *r != admin)
    {
        return Err(RoleSetError::Conflict(*admin, *other));
    }
    Ok(())
}

/// Whether a role set must use a second factor (the three administrators must).
pub fn requires_second_factor(roles: &[Role]) -> bool {
    roles.iter().any(|r| r.is_administrator())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::*;

    #[test]
    fn three_administrators_stay_separate() {
        let cases: &[(&[Role], bool)] = &[
            (&[Officer], true),
            (&[Officer, CameraOperator, RecordsKeeper], true),
            (&[SystemAdmin], true),
            (&[SecurityAdmin], true),
            (&[AuditAdmin], true),
            (&[SystemAdmin, AuditAdmin], false),
            (&[SecurityAdmin, SystemAdmin], false),
            (&[AuditAdmin, Supervisor], false),
            (&[Officer, SystemAdmin], false),
            (&[], false),
        ];
        for (roles, ok) in cases {
            assert_eq!(check_roles(roles).is_ok(), *ok, "{roles:?}");
        }
        assert!(requires_second_factor(&[AuditAdmin]));
        assert!(!requires_second_factor(&[Officer, RecordsKeeper]));
    }

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.code().parse::<Role>(), Ok(r));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
