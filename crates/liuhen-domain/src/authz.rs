//! The access policy: one pure function deciding whether a principal may perform an action
//! on a target. Every route and command asks [`decide`] through the application's single
//! authorization point; the list queries use [`record_visibility`], which agrees with it for
//! [`Action::ViewRecord`]. The rules themselves are data ([`crate::access::Policy`]): roles
//! and scopes, case states (R4.9), confidentiality labels (R2.11, R3.11) and grants.

mod case_rules;
mod supervision;

pub use case_rules::{CaseScope, CaseVisibility, case_visibility};
pub use supervision::{RegisterScope, register_scope};

use crate::access::{CaseCond, Policy, Scope};
use crate::org::Role;

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub roles: Vec<Role>,
    /// Name of the user's unit (执法机构), compared with a record's agency.
    pub unit: Option<String>,
    /// Name of the user's department, compared with a case's handling department.
    pub department: Option<String>,
    /// The user's display name (执法人员): for display and form defaults only. Identity —
    /// own records, case teams, label clearance — is the account id (`user_id`): two
    /// accounts may carry the same name (issue 10).
    pub officer_name: String,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// Set or clear confidentiality labels and the conclusive-document mark.
    LabelRecord,
    /// Make an approved copy of a record (R3.9, R3.10).
    MakeCopy,
    /// File a request to view, copy or borrow records.
    FileRequest,
    /// Decide a step of a request (the step's own roles are checked by the approval rules).
    DecideRequest,
    /// Register an outside requester's request and papers (R4.3–R4.5).
    RegisterOutside,
    /// Carry out approved requests: issue and take back loans, record visits and fees.
    HandleRequest,
    /// Revoke a grant.
    RevokeGrant,
    /// See requests, grants and loans (one's own, or those one handles).
    ListRequests,
    /// Set or clear confidentiality labels on a case.
    LabelCase,
    /// See a case, its steps, linked records, compliance and history.
    ViewCase,
    /// Create and change a case: fields, flags, steps, links, explanations.
    ManageCase,
    /// Tick a record's reviewer sheet (R2.3, R2.4).
    ReviewRecord,
    /// Read the access register (查阅登记簿, R4.1) and export it.
    ViewRegister,
    /// See the misconduct signals (R3.13).
    ViewAlerts,
    /// Acknowledge a misconduct signal.
    AcknowledgeAlert,
    /// Delete an original: never allowed (only the disposal procedure removes records).
    DeleteRecord,
    /// Announce and make a random draw (R6.4, R3.12): supervisors and the legal office.
    RunDraw,
    /// Decide a legal review of a major decision (R5; the reviewer's qualification and
    /// distance from the case are checked by the gate in the use case).
    ReviewDecision,
    /// Issue (作出) and serve a decision of a case one manages, once the gate lets it.
    IssueDecision,
    /// Bind a camera or a police number to an account at the offload station (issue 15).
    BindStation,
}

impl Action {
    pub const ALL: [Action; 28] = [
        Self::ViewRecord,
        Self::PlayRecord,
        Self::DownloadOriginal,
        Self::UploadRecord,
        Self::EditRecord,
        Self::ViewAuditLog,
        Self::ManageUsers,
        Self::ManageSecurity,
        Self::LabelRecord,
        Self::MakeCopy,
        Self::FileRequest,
        Self::DecideRequest,
        Self::RegisterOutside,
        Self::HandleRequest,
        Self::RevokeGrant,
        Self::ListRequests,
        Self::LabelCase,
        Self::ViewCase,
        Self::ManageCase,
        Self::ReviewRecord,
        Self::ViewRegister,
        Self::ViewAlerts,
        Self::AcknowledgeAlert,
        Self::DeleteRecord,
        Self::RunDraw,
        Self::ReviewDecision,
        Self::IssueDecision,
        Self::BindStation,
    ];

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
            Self::LabelRecord => "record.label",
            Self::MakeCopy => "copy.make",
            Self::FileRequest => "access.request",
            Self::DecideRequest => "access.decide",
            Self::RegisterOutside => "access.outside",
            Self::HandleRequest => "access.handle",
            Self::RevokeGrant => "access.revoke",
            Self::ListRequests => "access.list",
            Self::LabelCase => "case.label",
            Self::ViewCase => "case.view",
            Self::ManageCase => "case.manage",
            Self::ReviewRecord => "record.review",
            Self::ViewRegister => "register.view",
            Self::ViewAlerts => "alerts.view",
            Self::AcknowledgeAlert => "alerts.acknowledge",
            Self::DeleteRecord => "record.delete",
            Self::RunDraw => "draw.run",
            Self::ReviewDecision => "decision.review",
            Self::IssueDecision => "decision.issue",
            Self::BindStation => "station.bind",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Self::ALL.into_iter().find(|a| a.code() == s)
    }

    /// Not about one record nor one case.
    pub fn is_system(self) -> bool {
        !self.is_case()
            && !matches!(
                self,
                Self::ViewRecord
                    | Self::PlayRecord
                    | Self::DownloadOriginal
                    | Self::EditRecord
                    | Self::LabelRecord
                    | Self::MakeCopy
                    | Self::ReviewRecord
            )
    }

    /// About one case ([`Target::Case`]).
    pub fn is_case(self) -> bool {
        matches!(self, Self::ViewCase | Self::ManageCase)
    }
}

/// A case a record belongs to, as the policy needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts<'a> {
    pub id: &'a str,
    /// The case-handling department (案件承办处室).
    pub department: &'a str,
    pub archived: bool,
    /// Account ids of the case team's members (names are for display only).
    pub team_ids: &'a [String],
}

/// A grant of the principal that names the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantFacts<'a> {
    pub id: &'a str,
    pub actions: &'a [Action],
    pub expires_ms: i64,
    pub revoked: bool,
}

/// What a record-level action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordScope<'a> {
    pub agency: Option<&'a str>,
    /// Account id of the record's officer; `None` when the officer maps to no account
    /// (the record is nobody's own).
    pub officer_id: Option<&'a str>,
    /// The cases the record belongs to (through its enforcement steps).
    pub cases: &'a [CaseFacts<'a>],
    /// Confidentiality labels of the record and of its cases.
    pub labels: &'a [String],
    /// The principal's grants naming this record (any state).
    pub grants: &'a [GrantFacts<'a>],
    /// Now, for the grants' expiry.
    pub now_ms: i64,
    /// A pending request naming this record whose next step the principal must decide
    /// ([`crate::approval::awaits`]): he may view and play what he decides, while it is
    /// pending (issue 18). Labels still apply, as for a grant.
    pub pending_request: Option<&'a str>,
}

impl<'a> RecordScope<'a> {
    /// A record of no case, unlabelled, without grants.
    pub fn plain(agency: Option<&'a str>, officer_id: Option<&'a str>) -> Self {
        Self {
            agency,
            officer_id,
            cases: &[],
            labels: &[],
            grants: &[],
            now_ms: 0,
            pending_request: None,
        }
    }

    fn in_open_case(&self) -> bool {
        self.cases.iter().any(|c| !c.archived)
    }
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
    /// A confidentiality label the principal is not cleared for.
    Confidential,
    /// The record's case is not archived: only the case team's rules apply (R4.9).
    CaseNotArchived,
    /// The grant that covered this has expired.
    GrantExpired,
    /// The grant that covered this was revoked.
    GrantRevoked,
}

impl DenyReason {
    pub fn code(self) -> &'static str {
        match self {
            Self::RoleNotPermitted => "role_not_permitted",
            Self::OutsideScope => "outside_scope",
            Self::WrongTarget => "wrong_target",
            Self::Confidential => "confidential",
            Self::CaseNotArchived => "case_not_archived",
            Self::GrantExpired => "grant_expired",
            Self::GrantRevoked => "grant_revoked",
        }
    }
}

/// The outcome of [`decide_detail`]: the decision and, when only a grant allowed it, which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict<'a> {
    pub decision: Decision,
    pub via_grant: Option<&'a str>,
    /// When only a pending request that the principal must decide allowed it, which.
    pub via_request: Option<&'a str>,
}

fn scope_holds(p: &Principal, scope: Scope, r: &RecordScope<'_>) -> bool {
    match scope {
        Scope::Own => is_own(p, r),
        Scope::Team => on_team(p, r),
        Scope::Department => {
            let (Some(unit), Some(dept)) = (p.unit.as_deref(), p.department.as_deref()) else {
                return false;
            };
            r.agency == Some(unit) && r.cases.iter().any(|c| c.department == dept)
        }
        Scope::Unit => p.unit.is_some() && r.agency == p.unit.as_deref(),
        Scope::Any => true,
    }
}

/// The record's officer is this account (never compared by name).
fn is_own(p: &Principal, r: &RecordScope<'_>) -> bool {
    !p.user_id.is_empty() && r.officer_id == Some(p.user_id.as_str())
}

/// The account is on the team of one of the record's cases.
fn on_team(p: &Principal, r: &RecordScope<'_>) -> bool {
    !p.user_id.is_empty() && r.cases.iter().any(|c| c.team_ids.contains(&p.user_id))
}

fn cases_hold(cond: CaseCond, r: &RecordScope<'_>) -> bool {
    cond.holds(r.cases.iter().map(|c| c.archived))
}

fn active(g: &GrantFacts<'_>, now_ms: i64) -> bool {
    !g.revoked && g.expires_ms > now_ms
}

/// Whether every label of the record is cleared for `p` (own records and the case team
/// always are: need to know); `granted`: an active grant covers the action.
fn labels_cleared(policy: &Policy, p: &Principal, r: &RecordScope<'_>, granted: bool) -> bool {
    if r.labels.is_empty() || is_own(p, r) || on_team(p, r) {
        return true;
    }
    r.labels.iter().all(|code| match policy.label(code) {
        Some(l) => p.has_any(&l.cleared_roles) || (granted && l.grantable),
        // An unknown label (a policy changed since it was set) hides the record.
        None => false,
    })
}

/// Whether `p` may widen who sees the record — link it to a case, or let a case's team
/// reach it (issue 10.2): its own officer (by account), or whoever may edit it by a rule of
/// their roles (the unit's records keeper). Never through a grant: a grant stays what it
/// was approved as.
pub fn manages_record(policy: &Policy, p: &Principal, r: &RecordScope<'_>) -> bool {
    let without_grants = RecordScope { grants: &[], ..*r };
    is_own(p, r)
        || decide(
            policy,
            p,
            Action::EditRecord,
            Target::Record(without_grants),
        ) == Decision::Allow
}

pub fn decide(policy: &Policy, p: &Principal, action: Action, target: Target<'_>) -> Decision {
    decide_detail(policy, p, action, target).decision
}

pub fn decide_detail<'a>(
    policy: &Policy,
    p: &Principal,
    action: Action,
    target: Target<'a>,
) -> Verdict<'a> {
    let deny = |r| Verdict {
        decision: Decision::Deny(r),
        via_grant: None,
        via_request: None,
    };
    let allow = Verdict {
        decision: Decision::Allow,
        via_grant: None,
        via_request: None,
    };
    if let Some(decision) = supervision::decide_supervision(policy, p, action, target) {
        return Verdict {
            decision,
            via_grant: None,
            via_request: None,
        };
    }
    match (action.is_system(), target) {
        (_, Target::Case(c)) => Verdict {
            decision: case_rules::decide_case(policy, p, action, c),
            via_grant: None,
            via_request: None,
        },
        _ if action.is_case() => deny(DenyReason::WrongTarget),
        (true, Target::System) => {
            let roles = policy.system.get(&action).map(Vec::as_slice).unwrap_or(&[]);
            if p.has_any(roles) {
                allow
            } else {
                deny(DenyReason::RoleNotPermitted)
            }
        }
        (false, Target::Record(r)) => {
            // Whoever must decide a pending request's step sees and plays its records
            // (issue 18), whatever the case's state; labels as for a grant.
            if let Some(req) = r.pending_request
                && matches!(action, Action::ViewRecord | Action::PlayRecord)
            {
                if !labels_cleared(policy, p, &r, true) {
                    return deny(DenyReason::Confidential);
                }
                let plain = RecordScope {
                    pending_request: None,
                    ..r
                };
                let by_rule = decide_detail(policy, p, action, Target::Record(plain));
                return match by_rule.decision {
                    Decision::Allow => by_rule,
                    Decision::Deny(_) => Verdict {
                        decision: Decision::Allow,
                        via_grant: None,
                        via_request: Some(req),
                    },
                };
            }
            let rules: Vec<_> = policy
                .rules
                .iter()
                .filter(|rule| rule.actions.contains(&action) && p.has_any(&rule.roles))
                .collect();
            let grants: Vec<&GrantFacts<'a>> = r
                .grants
                .iter()
                .filter(|g| g.actions.contains(&action))
                .collect();
            if rules.is_empty() && grants.is_empty() {
                return deny(DenyReason::RoleNotPermitted);
            }
            let live = grants.iter().find(|g| active(g, r.now_ms)).copied();
            // A grant opens records of archived cases or of no case only (R4.9).
            let live = live.filter(|_| !r.in_open_case());
            if !labels_cleared(policy, p, &r, live.is_some()) {
                return deny(DenyReason::Confidential);
            }
            let in_scope: Vec<_> = rules
                .iter()
                .filter(|rule| scope_holds(p, rule.scope, &r))
                .collect();
            if in_scope.iter().any(|rule| cases_hold(rule.cases, &r)) {
                return allow;
            }
            if let Some(g) = live {
                return Verdict {
                    decision: Decision::Allow,
                    via_grant: Some(g.id),
                    via_request: None,
                };
            }
            if !in_scope.is_empty() || (!grants.is_empty() && r.in_open_case()) {
                deny(DenyReason::CaseNotArchived)
            } else if grants.iter().any(|g| g.revoked) {
                deny(DenyReason::GrantRevoked)
            } else if !grants.is_empty() {
                deny(DenyReason::GrantExpired)
            } else {
                deny(DenyReason::OutsideScope)
            }
        }
        _ => deny(DenyReason::WrongTarget),
    }
}

/// Which records a principal may see in lists; agrees with [`decide`] for `ViewRecord`.
/// Each `Some` scope is the widest case condition of the rules giving it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordVisibility {
    /// The principal's account id (own records; case team membership).
    pub me: String,
    pub own: Option<CaseCond>,
    pub team: Option<CaseCond>,
    /// (unit, department) of the principal.
    pub department: Option<(String, String, CaseCond)>,
    pub unit: Option<(String, CaseCond)>,
    pub any: Option<CaseCond>,
    /// Records of the principal's active grants for viewing: (user id, now).
    pub grantee: Option<(String, i64)>,
    /// Labels the principal's roles are cleared for: a record carrying any other label is
    /// hidden unless own, of the principal's case team, or granted with all its other
    /// labels in `grant_opens`.
    pub cleared_labels: Vec<String>,
    /// `cleared_labels` and the grantable labels.
    pub grant_opens: Vec<String>,
}

impl RecordVisibility {
    pub fn nothing(&self) -> bool {
        self.own.is_none()
            && self.team.is_none()
            && self.department.is_none()
            && self.unit.is_none()
            && self.any.is_none()
            && self.grantee.is_none()
    }
}

pub fn record_visibility(policy: &Policy, p: &Principal, now_ms: i64) -> RecordVisibility {
    let mut v = RecordVisibility {
        me: p.user_id.clone(),
        own: None,
        team: None,
        department: None,
        unit: None,
        any: None,
        grantee: Some((p.user_id.clone(), now_ms)),
        cleared_labels: Vec::new(),
        grant_opens: Vec::new(),
    };
    let widen = |slot: Option<CaseCond>, c: CaseCond| Some(slot.map_or(c, |s| s.max(c)));
    for rule in &policy.rules {
        if !rule.actions.contains(&Action::ViewRecord) || !p.has_any(&rule.roles) {
            continue;
        }
        match rule.scope {
            Scope::Own => v.own = widen(v.own, rule.cases),
            Scope::Team => v.team = widen(v.team, rule.cases),
            Scope::Department => {
                if let (Some(u), Some(d)) = (&p.unit, &p.department) {
                    let c = widen(v.department.as_ref().map(|x| x.2), rule.cases);
                    v.department = c.map(|c| (u.clone(), d.clone(), c));
                }
            }
            Scope::Unit => {
                if let Some(u) = &p.unit {
                    let c = widen(v.unit.as_ref().map(|x| x.1), rule.cases);
                    v.unit = c.map(|c| (u.clone(), c));
                }
            }
            Scope::Any => v.any = widen(v.any, rule.cases),
        }
    }
    for l in &policy.labels {
        if p.has_any(&l.cleared_roles) {
            v.cleared_labels.push(l.code.clone());
        }
        if p.has_any(&l.cleared_roles) || l.grantable {
            v.grant_opens.push(l.code.clone());
        }
    }
    v
}

impl RecordVisibility {
    /// Whether a record is in the list; the SQL of the list queries says the same.
    pub fn admits(&self, r: &RecordScope<'_>) -> bool {
        let cases = |c: CaseCond| cases_hold(c, r);
        let own = !self.me.is_empty() && r.officer_id == Some(self.me.as_str());
        let team = !self.me.is_empty() && r.cases.iter().any(|c| c.team_ids.contains(&self.me));
        let granted = self.grantee.as_ref().is_some_and(|(_, now)| {
            !r.in_open_case()
                && r.grants.iter().any(|g| {
                    g.actions.contains(&Action::ViewRecord) && !g.revoked && g.expires_ms > *now
                })
        });
        let by_rule = self.own.is_some_and(|c| own && cases(c))
            || self.team.is_some_and(|c| team && cases(c))
            || self.department.as_ref().is_some_and(|(u, d, c)| {
                r.agency == Some(u.as_str())
                    && r.cases.iter().any(|x| x.department == d)
                    && cases(*c)
            })
            || self
                .unit
                .as_ref()
                .is_some_and(|(u, c)| r.agency == Some(u.as_str()) && cases(*c))
            || self.any.is_some_and(cases);
        let cleared = r.labels.iter().all(|l| self.cleared_labels.contains(l));
        let grant_opens = r.labels.iter().all(|l| self.grant_opens.contains(l));
        (by_rule || granted) && (cleared || own || team || (granted && grant_opens))
    }
}

#[cfg(test)]
mod pending_tests;
#[cfg(test)]
mod supervision_tests;
#[cfg(test)]
mod tests;
