//! Preservation holds (R3.7): a record or a whole case kept for long-term preservation
//! because a party objects, complains or petitions; a party evades, refuses or obstructs,
//! or insults or assaults officers; officers handled a mass or sudden incident; or another
//! important case. A hold raises the record's minimum retention (`RetentionRules::hold_years`)
//! and blocks disposal until it is lifted with a reason by an approver. The grounds, the
//! case flags that propose each, and who places and who approves lifting are data.

use crate::Role;

/// One ground of a hold, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ground {
    pub code: String,
    pub label: String,
    /// Case flag codes (`disputed`, `major_penalty`, …) that propose a hold on this ground.
    pub case_flags: Vec<String>,
}

/// The hold policy as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldPolicy {
    pub grounds: Vec<Ground>,
    /// Who may place a hold.
    pub place_roles: Vec<Role>,
    /// Who approves (and so may perform) the lifting of a hold.
    pub lift_roles: Vec<Role>,
}

/// Why a hold cannot be placed or lifted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoldRefusal {
    #[error("未知的保全事由 {0:?} / unknown ground")]
    UnknownGround(String),
    #[error("解除保全标记必须填写理由 / a reason is required to lift a hold")]
    ReasonRequired,
    #[error("无权设置保全标记 / not allowed to place a hold")]
    MayNotPlace,
    #[error("解除保全标记须由有权审批的人员批准 / lifting a hold needs an approver's decision")]
    MayNotApproveLift,
    #[error("保全标记已解除 / the hold is already lifted")]
    AlreadyLifted,
}

impl HoldRefusal {
    /// A stable code for the API and the refusal's log entry.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownGround(_) => "hold_unknown_ground",
            Self::ReasonRequired => "hold_reason_required",
            Self::MayNotPlace => "hold_not_allowed",
            Self::MayNotApproveLift => "hold_lift_not_allowed",
            Self::AlreadyLifted => "hold_already_lifted",
        }
    }

    /// The refusal as a message (`error.<code>`).
    pub fn message(&self) -> crate::Message {
        let m = crate::Message::new(self.code());
        match self {
            Self::UnknownGround(g) => m.arg("ground", g),
            _ => m,
        }
    }
}

impl HoldPolicy {
    pub fn ground(&self, code: &str) -> Option<&Ground> {
        self.grounds.iter().find(|g| g.code == code)
    }

    /// Checks a placement by someone with `roles` on `ground`.
    pub fn check_place(&self, roles: &[Role], ground: &str) -> Result<&Ground, HoldRefusal> {
        if !roles.iter().any(|r| self.place_roles.contains(r)) {
            return Err(HoldRefusal::MayNotPlace);
        }
        self.ground(ground)
            .ok_or_else(|| HoldRefusal::UnknownGround(ground.to_owned()))
    }

    /// Checks the lifting of a hold (still in force: `lifted == false`) by an approver
    /// with `roles`, with `reason`.
    pub fn check_lift(
        &self,
        roles: &[Role],
        reason: &str,
        lifted: bool,
    ) -> Result<(), HoldRefusal> {
        if lifted {
            return Err(HoldRefusal::AlreadyLifted);
        }
        if reason.trim().is_empty() {
            return Err(HoldRefusal::ReasonRequired);
        }
        if !roles.iter().any(|r| self.lift_roles.contains(r)) {
            return Err(HoldRefusal::MayNotApproveLift);
        }
        Ok(())
    }

    /// The grounds a case's set flags propose, minus those already held on the case.
    pub fn proposals<'a>(&'a self, set_flags: &[&str], held: &[&str]) -> Vec<&'a Ground> {
        self.grounds
            .iter()
            .filter(|g| g.case_flags.iter().any(|f| set_flags.contains(&f.as_str())))
            .filter(|g| !held.contains(&g.code.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> HoldPolicy {
        let g = |code: &str, flags: &[&str]| Ground {
            code: code.into(),
            label: code.into(),
            case_flags: flags.iter().map(|f| (*f).to_owned()).collect(),
        };
        HoldPolicy {
            grounds: vec![
                g("objection", &["disputed"]),
                g("obstruction", &[]),
                g("important_case", &["major_penalty", "complex"]),
            ],
            place_roles: vec![Role::RecordsKeeper],
            lift_roles: vec![Role::EnforcementLeader],
        }
    }

    #[test]
    fn hold_rules_table() {
        let p = policy();
        use Role::*;
        assert_eq!(
            p.check_place(&[RecordsKeeper], "objection").unwrap().code,
            "objection"
        );
        assert_eq!(
            p.check_place(&[RecordsKeeper], "whim"),
            Err(HoldRefusal::UnknownGround("whim".into()))
        );
        assert_eq!(
            p.check_place(&[Officer], "objection"),
            Err(HoldRefusal::MayNotPlace)
        );
        // (roles, reason, lifted, expected)
        type Lift<'a> = (&'a [Role], &'a str, bool, Result<(), HoldRefusal>);
        let lifts: &[Lift] = &[
            (&[EnforcementLeader], "异议已处理完毕", false, Ok(())),
            (
                &[EnforcementLeader],
                "  ",
                false,
                Err(HoldRefusal::ReasonRequired),
            ),
            (
                &[RecordsKeeper],
                "异议已处理完毕",
                false,
                Err(HoldRefusal::MayNotApproveLift),
            ),
            (
                &[EnforcementLeader],
                "再次解除",
                true,
                Err(HoldRefusal::AlreadyLifted),
            ),
        ];
        for (roles, reason, lifted, want) in lifts {
            assert_eq!(
                &p.check_lift(roles, reason, *lifted),
                want,
                "{roles:?} {reason:?}"
            );
        }
        let codes = |v: Vec<&Ground>| v.iter().map(|g| g.code.clone()).collect::<Vec<_>>();
        assert_eq!(codes(p.proposals(&["disputed"], &[])), ["objection"]);
        assert_eq!(
            codes(p.proposals(&["complex", "disputed"], &[])),
            ["objection", "important_case"]
        );
        assert_eq!(
            codes(p.proposals(&["complex", "disputed"], &["objection"])),
            ["important_case"]
        );
        assert!(p.proposals(&["hearing"], &[]).is_empty());
    }
}
