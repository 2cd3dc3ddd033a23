//! Accounts: users with roles (三员分立 enforced), units and departments, the first
//! administrator, and the administrative acts on accounts. Sign-in, sessions, the second
//! factor and API tokens are in [`sessions`]. Every change writes its audit entry in the
//! same transaction.

mod credentials;
mod sessions;
mod throttle;
mod tokens;

use jiff::Timestamp;
use liuhen_db::{NewEntry, NewUserRow, Tx, UserRow};
use liuhen_domain::auth::{Username, check_password};
use liuhen_domain::authz::{Action, Principal, Target};
use liuhen_domain::{AuditAction, Role, RoleSetError, check_roles, requires_second_factor};

pub use credentials::TotpEnrollment;
pub use liuhen_db::{ApiTokenRow, AuditEntry, DepartmentRow, UnitRow};
pub use sessions::{LoginOutcome, LoginRefusal, SessionTokens, SessionUser, login_form_token};
pub use tokens::{BreakGlass, TokenCaller};

use crate::{AppError, Custody};

/// The user name of the system administrator created on first start.
pub const BOOTSTRAP_ADMIN: &str = "sysadmin";

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    /// Name of the unit (执法机构); created if missing.
    pub unit: Option<String>,
    /// Name of a department of that unit; created if missing.
    pub department: Option<String>,
    pub roles: Vec<Role>,
}

/// A user as the rest of the system sees it (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub unit: Option<String>,
    pub department: Option<String>,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub must_change_password: bool,
    pub totp_enabled: bool,
    pub created_ms: i64,
}

impl From<&UserRow> for UserInfo {
    fn from(u: &UserRow) -> Self {
        Self {
            id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            unit: u.unit.clone(),
            department: u.department.clone(),
            roles: u.roles.clone(),
            disabled: u.disabled,
            must_change_password: u.must_change_password,
            totp_enabled: u.totp_enabled,
            created_ms: u.created_ms,
        }
    }
}

impl UserInfo {
    pub fn principal(&self) -> Principal {
        Principal {
            user_id: self.id.clone(),
            roles: self.roles.clone(),
            unit: self.unit.clone(),
            department: self.department.clone(),
            officer_name: self.display_name.clone(),
        }
    }

    /// What the user must do before anything else, if anything.
    pub fn gate(&self) -> Option<Gate> {
        if self.must_change_password {
            Some(Gate::ChangePassword)
        } else if requires_second_factor(&self.roles) && !self.totp_enabled {
            Some(Gate::EnrollSecondFactor)
        } else {
            None
        }
    }
}

/// A step a signed-in user must take before using anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// First sign-in or a password reset: choose a new password.
    ChangePassword,
    /// An administrator without a second factor: enrol one.
    EnrollSecondFactor,
}

impl Gate {
    pub fn code(self) -> &'static str {
        match self {
            Self::ChangePassword => "password_change_required",
            Self::EnrollSecondFactor => "second_factor_required",
        }
    }

    pub fn message_zh(self) -> &'static str {
        match self {
            Self::ChangePassword => "请先修改密码",
            Self::EnrollSecondFactor => "请先绑定动态口令（双因素认证）",
        }
    }
}

/// A user row with its sign-in lock state, for the administrators' pages.
#[derive(Debug, Clone)]
pub struct UserListing {
    pub user: UserInfo,
    pub locked: bool,
}

/// Chinese role names for error messages (the UI takes its labels from its catalogs).
pub fn role_label_zh(r: Role) -> &'static str {
    match r {
        Role::Officer => "执法人员",
        Role::CameraOperator => "摄录人员",
        Role::RecordsKeeper => "音像记录管理员",
        Role::CaseDepartment => "案件承办处室",
        Role::LegalOffice => "政策法规处",
        Role::EnforcementLeader => "主管执法工作领导",
        Role::DeputyHead => "分管领导",
        Role::DepartmentHead => "部门主要负责人",
        Role::Supervisor => "监督人员",
        Role::ArchiveKeeper => "档案管理人员",
        Role::ExternalRequester => "外部申请人",
        Role::SystemAdmin => "系统管理员",
        Role::SecurityAdmin => "安全保密管理员",
        Role::AuditAdmin => "安全审计员",
    }
}

fn role_error(e: RoleSetError) -> AppError {
    AppError::Invalid(match e {
        RoleSetError::Empty => "请至少选择一个角色".into(),
        RoleSetError::Conflict(a, b) => format!(
            "三员分立：“{}”不能与“{}”兼任。系统管理员、安全保密管理员、安全审计员须分别由不同账号担任，且不得兼任业务角色",
            role_label_zh(a),
            role_label_zh(b)
        ),
    })
}

/// A random one-time password that meets the policy (e.g. `Kp7x-9mQa-Rt3w`).
pub fn generate_password() -> Result<String, AppError> {
    sessions::random_password()
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn entry(
    actor: &str,
    action: AuditAction,
    subject: String,
    details: serde_json::Value,
) -> NewEntry {
    NewEntry {
        actor: actor.to_owned(),
        action,
        subject: Some(subject),
        details,
    }
}

fn clean(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Custody {
    /// On first start (no user at all) creates the system administrator `sysadmin` with a
    /// random one-time password, which must be changed at first sign-in. Returns the user
    /// name and password to show once, or `None` when users exist already.
    pub async fn bootstrap_admin(&self) -> Result<Option<(String, String)>, AppError> {
        if self.db.user_count().await? > 0 {
            return Ok(None);
        }
        let password = sessions::random_password()?;
        let new = NewUser {
            username: BOOTSTRAP_ADMIN.into(),
            display_name: "系统管理员".into(),
            password: password.clone(),
            unit: None,
            department: None,
            roles: vec![Role::SystemAdmin],
        };
        match self.insert_user("system", new, true).await {
            Ok(_) => Ok(Some((BOOTSTRAP_ADMIN.into(), password))),
            // Another process bootstrapped at the same moment.
            Err(AppError::Invalid(_)) if self.db.user_count().await? > 0 => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates an account on behalf of a system administrator. The password is a one-time
    /// password: the user must change it at first sign-in.
    pub async fn create_user(&self, by: &Principal, new: NewUser) -> Result<String, AppError> {
        self.authorize(by, Action::ManageUsers, Target::System, None)
            .await?;
        self.insert_user(&by.user_id, new, true).await
    }

    /// Creates an account without an authorization check (demo data, tests, the CLI). The
    /// roles and the password policy are still checked, the creation still logged, and the
    /// password need not be changed at first sign-in.
    pub async fn create_user_unchecked(
        &self,
        actor: &str,
        new: NewUser,
    ) -> Result<String, AppError> {
        self.insert_user(actor, new, false).await
    }

    async fn insert_user(
        &self,
        actor: &str,
        new: NewUser,
        must_change: bool,
    ) -> Result<String, AppError> {
        let username =
            Username::parse(&new.username).map_err(|e| AppError::Invalid(e.to_string()))?;
        let display_name = new.display_name.trim().to_owned();
        if display_name.is_empty() || display_name.chars().count() > 64 {
            return Err(AppError::Invalid("姓名不能为空，且不超过64个字符".into()));
        }
        let mut roles = new.roles.clone();
        roles.sort();
        roles.dedup();
        check_roles(&roles).map_err(role_error)?;
        check_password(&new.password, username.as_str())
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let unit = clean(new.unit.as_deref());
        let department = clean(new.department.as_deref());
        if department.is_some() && unit.is_none() {
            return Err(AppError::Invalid("填写部门时必须同时填写所属单位".into()));
        }
        let hash = sessions::hash_password(new.password.clone()).await?;
        let at = self.now();
        let id = new_id();
        let mut tx = self.db.begin().await?;
        if tx.user_by_username(username.as_str()).await?.is_some() {
            return Err(AppError::Invalid(format!("用户名“{username}”已存在")));
        }
        let (unit_id, department_id) =
            org_ids(&mut tx, actor, at, unit.as_deref(), department.as_deref()).await?;
        tx.insert_user(&NewUserRow {
            id: &id,
            username: username.as_str(),
            display_name: &display_name,
            unit_id: unit_id.as_deref(),
            department_id: department_id.as_deref(),
            roles: &roles,
            password_hash: &hash,
            must_change_password: must_change,
            now_ms: at.as_millisecond(),
        })
        .await?;
        tx.append(
            at,
            entry(
                actor,
                AuditAction::UserCreated,
                format!("user:{id}"),
                serde_json::json!({
                    "username": username.as_str(),
                    "display_name": display_name,
                    "unit": unit,
                    "department": department,
                    "roles": roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
                    "must_change_password": must_change,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn user(&self, id: &str) -> Result<UserInfo, AppError> {
        self.db
            .user_by_id(id)
            .await?
            .map(|u| UserInfo::from(&u))
            .ok_or_else(|| AppError::NotFound(format!("user {id}")))
    }

    /// Every account with its lock state (for the administrators' pages; the caller
    /// authorizes).
    pub async fn user_listing(&self) -> Result<Vec<UserListing>, AppError> {
        let now_ms = self.now().as_millisecond();
        let mut out = Vec::new();
        for u in self.db.users().await? {
            let locked = self
                .db
                .login_locked_under(&throttle::pair_prefix(&u.username), now_ms)
                .await?;
            out.push(UserListing {
                user: UserInfo::from(&u),
                locked,
            });
        }
        Ok(out)
    }

    /// Disables or re-enables an account; disabling ends its sessions and revokes its API
    /// tokens at once.
    pub async fn set_user_disabled(
        &self,
        by: &Principal,
        user_id: &str,
        disabled: bool,
    ) -> Result<(), AppError> {
        self.authorize(by, Action::ManageUsers, Target::System, None)
            .await?;
        if disabled && by.user_id == user_id {
            return Err(AppError::Invalid("不能停用自己的账号".into()));
        }
        let at = self.now();
        let mut tx = self.db.begin().await?;
        let user = tx
            .user_by_id(user_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {user_id}")))?;
        if user.disabled == disabled {
            return Ok(());
        }
        tx.set_disabled(user_id, disabled, at.as_millisecond())
            .await?;
        let (ended, tokens_ended) = if disabled {
            (
                tx.delete_sessions_of(user_id).await?,
                tx.revoke_api_tokens_of(user_id, at.as_millisecond())
                    .await?,
            )
        } else {
            (0, 0)
        };
        tx.append(
            at,
            entry(
                &by.user_id,
                AuditAction::UserChanged,
                format!("user:{user_id}"),
                serde_json::json!({
                    "username": user.username,
                    "change": if disabled { "disabled" } else { "enabled" },
                    "sessions_ended": ended,
                    "tokens_ended": tokens_ended,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new random one-time password (to be changed at next sign-in) and ends the
    /// user's sessions. Returns the password, to be shown once.
    pub async fn reset_password(&self, by: &Principal, user_id: &str) -> Result<String, AppError> {
        self.authorize(by, Action::ManageUsers, Target::System, None)
            .await?;
        let password = sessions::random_password()?;
        let hash = sessions::hash_password(password.clone()).await?;
        let at = self.now();
        let mut tx = self.db.begin().await?;
        let user = tx
            .user_by_id(user_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {user_id}")))?;
        tx.set_password(user_id, &hash, true, at.as_millisecond())
            .await?;
        let ended = tx.delete_sessions_of(user_id).await?;
        let tokens_ended = tx
            .revoke_api_tokens_of(user_id, at.as_millisecond())
            .await?;
        tx.append(
            at,
            entry(
                &by.user_id,
                AuditAction::PasswordChanged,
                format!("user:{user_id}"),
                serde_json::json!({
                    "username": user.username,
                    "change": "reset",
                    "sessions_ended": ended,
                    "tokens_ended": tokens_ended,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(password)
    }

    /// Lifts a sign-in lock (security administrator).
    pub async fn unlock_user(&self, by: &Principal, username: &str) -> Result<(), AppError> {
        self.authorize(by, Action::ManageSecurity, Target::System, None)
            .await?;
        let at = self.now();
        let mut tx = self.db.begin().await?;
        let user = tx
            .user_by_username(username)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {username}")))?;
        tx.clear_login_failures(&user.username, &throttle::pair_prefix(&user.username))
            .await?;
        tx.append(
            at,
            entry(
                &by.user_id,
                AuditAction::UserChanged,
                format!("user:{}", user.id),
                serde_json::json!({ "username": username, "change": "unlocked" }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a user's second factor (lost phone) and ends the user's sessions; an
    /// administrator must enrol again at next sign-in (security administrator).
    pub async fn reset_totp(&self, by: &Principal, user_id: &str) -> Result<(), AppError> {
        self.authorize(by, Action::ManageSecurity, Target::System, None)
            .await?;
        let at = self.now();
        let mut tx = self.db.begin().await?;
        let user = tx
            .user_by_id(user_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("user {user_id}")))?;
        tx.set_totp(user_id, None, false, None, at.as_millisecond())
            .await?;
        let ended = tx.delete_sessions_of(user_id).await?;
        tx.append(
            at,
            entry(
                &by.user_id,
                AuditAction::SecondFactorChanged,
                format!("user:{user_id}"),
                serde_json::json!({
                    "username": user.username,
                    "change": "reset",
                    "sessions_ended": ended,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a unit (执法机构), or a department of a unit when `department` is given
    /// (the unit is created too if missing).
    pub async fn create_org(
        &self,
        by: &Principal,
        unit: &str,
        department: Option<&str>,
    ) -> Result<(), AppError> {
        self.authorize(by, Action::ManageUsers, Target::System, None)
            .await?;
        let unit = clean(Some(unit)).ok_or_else(|| AppError::Invalid("单位名称不能为空".into()))?;
        let department = clean(department);
        if unit.chars().count() > 100
            || department.as_ref().is_some_and(|d| d.chars().count() > 100)
        {
            return Err(AppError::Invalid("名称不能超过100个字符".into()));
        }
        let at = self.now();
        let mut tx = self.db.begin().await?;
        let had_unit = tx.unit_id(&unit).await?;
        if let Some(uid) = &had_unit {
            match &department {
                None => return Err(AppError::Invalid(format!("单位“{unit}”已存在"))),
                Some(d) if tx.department_id(uid, d).await?.is_some() => {
                    return Err(AppError::Invalid(format!("部门“{d}”已存在")));
                }
                Some(_) => {}
            }
        }
        org_ids(&mut tx, &by.user_id, at, Some(&unit), department.as_deref()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn units(&self) -> Result<Vec<UnitRow>, AppError> {
        Ok(self.db.units().await?)
    }

    pub async fn departments(&self) -> Result<Vec<DepartmentRow>, AppError> {
        Ok(self.db.departments().await?)
    }

    /// A page of the audit log, newest first (audit administrator).
    pub async fn audit_page(
        &self,
        by: &Principal,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, AppError> {
        self.authorize(by, Action::ViewAuditLog, Target::System, None)
            .await?;
        Ok(self
            .db
            .entries_newest_first(before, limit.clamp(1, 500))
            .await?)
    }
}

/// Ids of a unit and department by name, creating (and logging) whichever is missing.
async fn org_ids(
    tx: &mut Tx,
    actor: &str,
    at: Timestamp,
    unit: Option<&str>,
    department: Option<&str>,
) -> Result<(Option<String>, Option<String>), AppError> {
    let Some(unit) = unit else {
        return Ok((None, None));
    };
    let unit_id = match tx.unit_id(unit).await? {
        Some(id) => id,
        None => {
            let id = new_id();
            tx.insert_unit(&id, unit, at.as_millisecond()).await?;
            tx.append(
                at,
                entry(
                    actor,
                    AuditAction::OrgChanged,
                    format!("unit:{id}"),
                    serde_json::json!({ "change": "unit_created", "unit": unit }),
                ),
            )
            .await?;
            id
        }
    };
    let Some(department) = department else {
        return Ok((Some(unit_id), None));
    };
    let department_id = match tx.department_id(&unit_id, department).await? {
        Some(id) => id,
        None => {
            let id = new_id();
            tx.insert_department(&id, &unit_id, department, at.as_millisecond())
                .await?;
            tx.append(
                at,
                entry(
                    actor,
                    AuditAction::OrgChanged,
                    format!("department:{id}"),
                    serde_json::json!({
                        "change": "department_created",
                        "unit": unit,
                        "department": department,
                    }),
                ),
            )
            .await?;
            id
        }
    };
    Ok((Some(unit_id), Some(department_id)))
}
