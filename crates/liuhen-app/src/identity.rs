//! Identity by account, not by name (issue 10.1). A record's officer and a case team's
//! members are accounts of the record's (case's) unit; names are for display. A name is
//! mapped to an account only when exactly one account of the unit carries it (as user name
//! or display name); otherwise the row keeps no account — nobody's own — and is listed for
//! a person to resolve ([`Custody::unresolved_identities`], `liuhen identity …`), never
//! guessed. Every mapping is a logged change.

use liuhen_db::{NewEntry, UnmappedMember, UnmappedRecord};
use liuhen_domain::authz::Principal;
use liuhen_domain::{AuditAction, RecordId, Role};
use serde_json::json;

use crate::cases::CaseRow;
use crate::log_snapshot::CaseSnapshot;
use crate::{AppError, Custody};

/// The actor of the one-time mapping after migration 0013.
pub const BACKFILL_ACTOR: &str = "system:identity-0013";

/// What is left for a person to resolve.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unresolved {
    pub records: Vec<UnmappedRecord>,
    pub members: Vec<UnmappedMember>,
}

/// What the one-time mapping did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backfill {
    pub records_mapped: usize,
    pub records_left: usize,
    pub members_mapped: usize,
    pub members_left: usize,
}

fn invalid(msg: String) -> AppError {
    AppError::Invalid(msg)
}

impl Custody {
    /// The one account of the unit `agency` that `officer` names, if exactly one does.
    pub async fn officer_account(
        &self,
        agency: Option<&str>,
        officer: Option<&str>,
    ) -> Result<Option<String>, AppError> {
        let (Some(unit), Some(name)) = (
            agency.map(str::trim).filter(|a| !a.is_empty()),
            officer.map(str::trim).filter(|o| !o.is_empty()),
        ) else {
            return Ok(None);
        };
        let mut ids = self.db.accounts_named(unit, name).await?;
        Ok(if ids.len() == 1 { ids.pop() } else { None })
    }

    /// The accounts of a case team given by name, in the case's unit. `strict` (a person
    /// names the team): each name must be exactly one account of the unit, or the request
    /// is refused; members already on the team (`before`) keep their account. Otherwise
    /// (the local operator, the demo) a name without one account is kept without one.
    pub(crate) async fn team_accounts(
        &self,
        agency: &str,
        names: &[String],
        before: Option<&CaseRow>,
        strict: bool,
    ) -> Result<Vec<Option<String>>, AppError> {
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            if let Some(b) = before
                && let Some(i) = b.team.iter().position(|n| n == name)
                && b.agency == agency
            {
                out.push(b.team_ids.get(i).cloned().flatten());
                continue;
            }
            let ids = if agency.trim().is_empty() {
                Vec::new()
            } else {
                self.db.accounts_named(agency, name).await?
            };
            match ids.as_slice() {
                [one] => out.push(Some(one.clone())),
                [] if strict => {
                    return Err(invalid(format!(
                        "办案人员“{name}”不是本单位（{agency}）的账户；跨单位协助请提出查阅申请 / \
                         {name} is no account of the case's unit"
                    )));
                }
                _ if strict => {
                    return Err(invalid(format!(
                        "本单位有多个账户名为“{name}”，请填写其用户名 / {name} is ambiguous: \
                         give the user name"
                    )));
                }
                _ => out.push(None),
            }
        }
        Ok(out)
    }

    /// The unit a principal's new case or upload belongs to: the principal's own. A
    /// request naming another unit is refused (issue 10.3).
    pub(crate) fn own_unit(
        &self,
        who: &Principal,
        asked: Option<&str>,
    ) -> Result<String, AppError> {
        let Some(unit) = who.unit.clone().filter(|u| !u.is_empty()) else {
            return Err(AppError::Forbidden { code: "no_unit" });
        };
        match asked.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) if a != unit => Err(AppError::Forbidden { code: "other_unit" }),
            _ => Ok(unit),
        }
    }

    /// Issue 10.3: an upload is of the uploader's unit (naming another unit is refused);
    /// its officer is the uploader unless another officer is named, who must be one
    /// account of the unit — or, for the unit's records keeper, may be an officer without
    /// an account (the record is then nobody's own).
    pub(crate) async fn writer_classification(
        &self,
        who: &Principal,
        mut meta: crate::uploads::UploadMeta,
    ) -> Result<crate::uploads::UploadMeta, AppError> {
        let unit = self.own_unit(who, meta.agency.as_deref())?;
        meta.agency = Some(unit.clone());
        if let Some(police) = meta.police.clone() {
            // A police number names the officer (issue 10.1): its account, of this unit;
            // a number no account of the unit carries only for the unit's records keeper
            // (the record is then nobody's own and listed as unresolved).
            let mut c = liuhen_domain::Classification {
                agency: meta.agency.clone(),
                officer: meta.officer.clone(),
                ..Default::default()
            };
            let id = self.classify_by_police(&mut c, &police).await?;
            if id.is_none() && !who.has(Role::RecordsKeeper) {
                return Err(AppError::Forbidden {
                    code: "officer_not_in_unit",
                });
            }
            meta.officer = c.officer;
            meta.officer_id = id;
            return Ok(meta);
        }
        let named = meta.officer.clone().filter(|o| o != &who.officer_name);
        meta.officer_id = match named {
            None => {
                meta.officer = Some(who.officer_name.clone());
                Some(who.user_id.clone())
            }
            Some(name) => {
                let ids = self.db.accounts_named(&unit, &name).await?;
                match ids.as_slice() {
                    [one] => Some(one.clone()),
                    _ if who.has(Role::RecordsKeeper) && ids.is_empty() => None,
                    [] => {
                        return Err(AppError::Forbidden {
                            code: "officer_not_in_unit",
                        });
                    }
                    _ => {
                        return Err(AppError::Invalid(format!(
                            "本单位有多个账户名为“{name}”，请填写其用户名 / the officer's name                              is ambiguous: give the user name"
                        )));
                    }
                }
            }
        };
        Ok(meta)
    }

    /// Maps, once, the names of rows made before migration 0013 to accounts (exactly one
    /// account of the row's unit), each mapping logged: a record's as a metadata change
    /// carrying its snapshot, a team's as a case edit of `team_ids`. The rest stay listed.
    pub async fn backfill_identities(&self) -> Result<Backfill, AppError> {
        let mut done = Backfill::default();
        for r in self.db.unmapped_records(u32::MAX >> 1).await? {
            match self
                .officer_account(r.agency.as_deref(), Some(&r.officer))
                .await?
            {
                Some(user) => {
                    let id = RecordId::parse(&r.record_id)
                        .map_err(|e| invalid(format!("record {}: {e}", r.record_id)))?;
                    self.set_record_officer(
                        &id,
                        &user,
                        BACKFILL_ACTOR,
                        "按本单位唯一同名账户对应（迁移 0013）",
                    )
                    .await?;
                    done.records_mapped += 1;
                }
                None => done.records_left += 1,
            }
        }
        let members = self.db.unmapped_members(u32::MAX >> 1).await?;
        for m in members {
            match self
                .officer_account(Some(&m.agency), Some(&m.officer))
                .await?
            {
                Some(user) => {
                    self.set_member_account(
                        &m.case_id,
                        m.position,
                        &user,
                        BACKFILL_ACTOR,
                        "按本单位唯一同名账户对应（迁移 0013）",
                    )
                    .await?;
                    done.members_mapped += 1;
                }
                None => done.members_left += 1,
            }
        }
        Ok(done)
    }

    /// Rows whose officer or team member has no account, for a person to resolve.
    pub async fn unresolved_identities(&self, limit: u32) -> Result<Unresolved, AppError> {
        Ok(Unresolved {
            records: self.db.unmapped_records(limit).await?,
            members: self.db.unmapped_members(limit).await?,
        })
    }

    /// A person resolves a record's officer to the account `username`, which must be of
    /// the record's unit; logged with the reason.
    pub async fn resolve_record_officer(
        &self,
        id: &RecordId,
        username: &str,
        reason: &str,
        actor: &str,
    ) -> Result<(), AppError> {
        let record = self.record(id).await?;
        let agency = record.classification.agency.clone().unwrap_or_default();
        let user = self.account_of_unit(username, &agency).await?;
        self.set_record_officer(id, &user, actor, reason).await
    }

    /// A person resolves the team member at `position` (0-based) of a case to the account
    /// `username` of the case's unit; logged with the reason.
    pub async fn resolve_team_member(
        &self,
        case: &str,
        position: i64,
        username: &str,
        reason: &str,
        actor: &str,
    ) -> Result<(), AppError> {
        let case = self.case(case).await?;
        let user = self.account_of_unit(username, &case.agency).await?;
        self.set_member_account(&case.id, position, &user, actor, reason)
            .await
    }

    async fn account_of_unit(&self, username: &str, unit: &str) -> Result<String, AppError> {
        let user = self
            .db
            .user_by_username(username.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("用户 user {username:?}")))?;
        if unit.is_empty() || !self.db.account_in_unit(&user.id, unit).await? {
            return Err(invalid(format!(
                "账户 {username} 不属于本单位（{unit}） / the account is not of the unit"
            )));
        }
        Ok(user.id)
    }

    async fn set_record_officer(
        &self,
        id: &RecordId,
        user: &str,
        actor: &str,
        reason: &str,
    ) -> Result<(), AppError> {
        if reason.trim().is_empty() {
            return Err(invalid("必须填写理由 / a reason is required".into()));
        }
        self.rebind(
            id,
            AuditAction::RecordMetadataChanged,
            actor,
            reason,
            |current| {
                let mut updated = current.clone();
                updated.officer_id = Some(user.to_owned());
                if &updated == current {
                    return Err(invalid("内容未变化 / the change changes nothing".into()));
                }
                Ok(updated)
            },
        )
        .await
        .map(drop)
    }

    async fn set_member_account(
        &self,
        case_id: &str,
        position: i64,
        user: &str,
        actor: &str,
        reason: &str,
    ) -> Result<(), AppError> {
        if reason.trim().is_empty() {
            return Err(invalid("必须填写理由 / a reason is required".into()));
        }
        let mut tx = self.db.begin().await?;
        let before = self.case(case_id).await?;
        let mut after = before.clone();
        let slot = usize::try_from(position)
            .ok()
            .and_then(|i| after.team_ids.get_mut(i))
            .ok_or_else(|| AppError::NotFound(format!("办案人员 team member {position}")))?;
        if slot.as_deref() == Some(user) {
            return Err(invalid("内容未变化 / the change changes nothing".into()));
        }
        *slot = Some(user.to_owned());
        tx.append(
            self.now(),
            NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::CaseEdited,
                subject: Some(format!("case:{case_id}")),
                details: json!({
                    "reason": reason.trim(),
                    "changes": {
                        "team_ids": {
                            "from": CaseSnapshot::of(&before).team_ids,
                            "to": CaseSnapshot::of(&after).team_ids,
                        }
                    },
                }),
            },
        )
        .await?;
        tx.set_member_account(case_id, position, user).await?;
        tx.commit().await?;
        Ok(())
    }
}
