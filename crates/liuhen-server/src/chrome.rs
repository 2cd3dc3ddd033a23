//! What every page shares: language, signed-in user, CSRF token, active menu item.

use crate::auth::CurrentUser;
use crate::i18n::Tr;

pub struct Chrome {
    pub t: Tr,
    pub user_name: Option<String>,
    pub roles: Vec<&'static str>,
    pub csrf: String,
    /// Which menu item is highlighted: "home", "records", "upload", "admin", "audit".
    pub active: &'static str,
    pub can_upload: bool,
    pub can_manage_users: bool,
    pub can_view_audit: bool,
    pub can_manage_security: bool,
    /// Sees cases (any role that may view a case within its scope).
    pub can_view_cases: bool,
    /// Access requests, approvals, grants (issue 5).
    pub can_access: bool,
    pub can_view_register: bool,
    pub can_view_alerts: bool,
}

impl Chrome {
    pub fn new(t: Tr, user: Option<&CurrentUser>, active: &'static str) -> Self {
        use liuhen_domain::Role;
        let has = |r: Role| user.is_some_and(|u| u.principal.has(r));
        Self {
            t,
            user_name: user.map(|u| u.display_name.clone()),
            roles: user
                .map(|u| u.principal.roles.iter().map(|r| r.code()).collect())
                .unwrap_or_default(),
            csrf: user.map(|u| u.csrf_token.clone()).unwrap_or_default(),
            active,
            can_upload: has(Role::Officer) || has(Role::CameraOperator) || has(Role::RecordsKeeper),
            can_manage_users: has(Role::SystemAdmin),
            can_view_audit: has(Role::AuditAdmin),
            can_manage_security: has(Role::SecurityAdmin),
            can_view_cases: user
                .is_some_and(|u| !liuhen_domain::authz::case_visibility(&u.principal).nothing()),
            can_access: user.is_some_and(|u| {
                u.principal
                    .roles
                    .iter()
                    .any(|r| !r.is_administrator() && *r != Role::ExternalRequester)
            }),
            can_view_register: user
                .is_some_and(|u| liuhen_domain::authz::register_scope(&u.principal).is_some()),
            can_view_alerts: has(Role::Supervisor) || has(Role::AuditAdmin),
        }
    }

    /// The display name of a role code in the current language.
    pub fn role_label(&self, code: &str) -> &'static str {
        self.t.s(&format!("role.{code}"))
    }
}
