//! The unresolved-identities page's use cases (issue 10.1): the same resolutions as
//! `liuhen identity …`, by a signed-in person through the one authorization point — a
//! record's officer by whoever may edit the record (its unit's records keeper), a team
//! member by whoever may manage the case. The list shows each row with whether the
//! person may resolve it; the system administrator (who sets police numbers) sees every
//! row, others only rows of their unit.

use liuhen_db::{UnmappedMember, UnmappedRecord};
use liuhen_domain::authz::{Action, Principal, Target};
use liuhen_domain::{RecordId, Role};

use crate::{AppError, Custody};

/// A row of the page with whether the viewer may resolve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolvable<T> {
    pub row: T,
    pub can_resolve: bool,
}

/// What the page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnresolvedView {
    pub records: Vec<Resolvable<UnmappedRecord>>,
    pub members: Vec<Resolvable<UnmappedMember>>,
}

impl Custody {
    /// Whether `who` may open the page: a records keeper, or whoever manages accounts.
    pub fn may_see_unresolved(&self, who: &Principal) -> bool {
        who.has(Role::RecordsKeeper) || self.allows_system(who, Action::ManageUsers)
    }

    /// The unresolved identities `who` may see, each with whether `who` may resolve it.
    pub async fn unresolved_for(
        &self,
        who: &Principal,
        limit: u32,
    ) -> Result<UnresolvedView, AppError> {
        if !self.may_see_unresolved(who) {
            // Refused, and the refusal logged, by the one authorization point.
            self.authorize(who, Action::ManageUsers, Target::System, Some("identity"))
                .await?;
        }
        let all = self.allows_system(who, Action::ManageUsers);
        let own = |agency: Option<&str>| all || (agency.is_some() && agency == who.unit.as_deref());
        let u = self.unresolved_identities(limit).await?;
        let mut view = UnresolvedView::default();
        for r in u.records {
            if !own(r.agency.as_deref()) {
                continue;
            }
            let can_resolve = match RecordId::parse(&r.record_id) {
                Ok(id) => match self.db.record(&id).await? {
                    Some((record, _)) => {
                        let facts = self.record_facts(who, &record).await?;
                        self.allows(who, Action::EditRecord, &facts)
                    }
                    None => false,
                },
                Err(_) => false,
            };
            view.records.push(Resolvable {
                row: r,
                can_resolve,
            });
        }
        for m in u.members {
            if !own(Some(m.agency.as_str())) {
                continue;
            }
            let case = self.case(&m.case_id).await?;
            let ids = crate::case_work::team_ids(&case);
            let can_resolve = liuhen_domain::authz::decide(
                &self.policy,
                who,
                Action::ManageCase,
                Target::Case(crate::case_work::case_scope(&case, &ids)),
            ) == liuhen_domain::authz::Decision::Allow;
            view.members.push(Resolvable {
                row: m,
                can_resolve,
            });
        }
        Ok(view)
    }

    /// `who` resolves a record's officer to the account `username` (of the record's
    /// unit), if `who` may edit the record; logged under `who` with the reason.
    pub async fn resolve_record_officer_as(
        &self,
        who: &Principal,
        id: &RecordId,
        username: &str,
        reason: &str,
    ) -> Result<(), AppError> {
        let record = self.record(id).await?;
        self.authorize_record(who, Action::EditRecord, &record)
            .await?;
        self.resolve_record_officer(id, username, reason, &who.user_id)
            .await
    }

    /// `who` resolves a case team member to the account `username` (of the case's unit),
    /// if `who` may manage the case; logged under `who` with the reason.
    pub async fn resolve_team_member_as(
        &self,
        who: &Principal,
        case: &str,
        position: i64,
        username: &str,
        reason: &str,
    ) -> Result<(), AppError> {
        let row = self.case(case).await?;
        self.authorize_case(who, Action::ManageCase, &row).await?;
        self.resolve_team_member(&row.id, position, username, reason, &who.user_id)
            .await
    }
}
