//! What every page shares: language, signed-in user, CSRF token, active menu item.

use liuhen_domain::access::Policy;
use liuhen_domain::authz::{Action, Decision, Principal, Target, case_visibility, decide};

use crate::auth::CurrentUser;
use crate::i18n::Tr;

/// The menu items a user may open, as the access policy says (a bureau's own policy moves
/// the menu with it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Menu {
    pub upload: bool,
    pub manage_users: bool,
    pub view_audit: bool,
    pub manage_security: bool,
    pub view_cases: bool,
    pub access: bool,
    pub view_register: bool,
    pub view_alerts: bool,
    pub run_draws: bool,
    /// The legal office's review inbox (R5).
    pub legal_review: bool,
}

impl Menu {
    pub fn of(policy: &Policy, p: &Principal) -> Self {
        let may = |a: Action| decide(policy, p, a, Target::System) == Decision::Allow;
        Self {
            upload: may(Action::UploadRecord),
            manage_users: may(Action::ManageUsers),
            view_audit: may(Action::ViewAuditLog),
            manage_security: may(Action::ManageSecurity),
            view_cases: !case_visibility(policy, p).nothing(),
            access: may(Action::ListRequests),
            view_register: may(Action::ViewRegister),
            view_alerts: may(Action::ViewAlerts),
            run_draws: may(Action::RunDraw),
            legal_review: may(Action::ReviewDecision),
        }
    }
}

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
    pub can_run_draws: bool,
    pub can_legal_review: bool,
}

impl Chrome {
    pub fn new(t: Tr, user: Option<&CurrentUser>, active: &'static str) -> Self {
        let menu = user.map(|u| u.menu).unwrap_or_default();
        Self {
            t,
            user_name: user.map(|u| u.display_name.clone()),
            roles: user
                .map(|u| u.principal.roles.iter().map(|r| r.code()).collect())
                .unwrap_or_default(),
            csrf: user.map(|u| u.csrf_token.clone()).unwrap_or_default(),
            active,
            can_upload: menu.upload,
            can_manage_users: menu.manage_users,
            can_view_audit: menu.view_audit,
            can_manage_security: menu.manage_security,
            can_view_cases: menu.view_cases,
            can_access: menu.access,
            can_view_register: menu.view_register,
            can_view_alerts: menu.view_alerts,
            can_run_draws: menu.run_draws,
            can_legal_review: menu.legal_review,
        }
    }

    /// Sees the page of unresolved identities (records keepers, account managers).
    pub fn can_resolve_identities(&self) -> bool {
        self.can_manage_users || self.roles.contains(&"records_keeper")
    }

    /// The display name of a role code in the current language.
    pub fn role_label(&self, code: &str) -> &'static str {
        self.t.s(&format!("role.{code}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liuhen_domain::Role;

    fn menu(role: Role) -> Menu {
        let p = Principal {
            user_id: "u".into(),
            roles: vec![role],
            unit: Some("甲局".into()),
            department: None,
            officer_name: "某人".into(),
        };
        Menu::of(&Policy::default_shipped(), &p)
    }

    #[test]
    fn the_shipped_policy_opens_each_role_its_menu() {
        let officer = menu(Role::Officer);
        assert!(officer.upload && officer.access && officer.view_cases);
        assert!(!officer.view_register && !officer.view_alerts && !officer.view_audit);
        let keeper = menu(Role::RecordsKeeper);
        assert!(keeper.upload && keeper.view_register && !keeper.view_alerts);
        let supervisor = menu(Role::Supervisor);
        assert!(supervisor.view_register && supervisor.view_alerts && !supervisor.upload);
        let auditor = menu(Role::AuditAdmin);
        assert!(auditor.view_audit && auditor.view_alerts && !auditor.access);
        assert!(menu(Role::SystemAdmin).manage_users);
        assert!(menu(Role::SecurityAdmin).manage_security);
        assert_eq!(menu(Role::ExternalRequester), Menu::default());
    }
}

/// A value and its label, for selects and checkboxes: every options list of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opt {
    pub code: &'static str,
    pub label: &'static str,
}

/// The options of a fixed list of the domain, labelled in the interface language.
pub fn options<L: crate::i18n::Labelled>(values: &[L], t: Tr) -> Vec<Opt> {
    values
        .iter()
        .map(|v| Opt {
            code: v.code(),
            label: t.label(*v),
        })
        .collect()
}

/// The link to page `page` of a list at `path` searched by the query string `qs`
/// (without `page`; empty for none): every pager's links.
pub fn page_href(path: &str, qs: &str, page: u32) -> String {
    if qs.is_empty() {
        format!("{path}?page={page}")
    } else {
        format!("{path}?{qs}&page={page}")
    }
}
