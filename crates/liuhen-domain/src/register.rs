//! The access register (查阅登记簿, R4.1) as data: which audit actions are uses of a record
//! and how the register names them. The register itself is a read model over the log.

/// One kind of use the register lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterKind {
    /// Stable code, used in URLs, exports and the API.
    pub code: &'static str,
    /// The audit action whose entries are uses of this kind.
    pub action: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
}

/// Every kind, in the order the register offers them.
pub const REGISTER_KINDS: &[RegisterKind] = &[
    RegisterKind {
        code: "view",
        action: "record.viewed",
        label_zh: "查阅",
        label_en: "View",
    },
    RegisterKind {
        code: "playback",
        action: "record.played",
        label_zh: "播放",
        label_en: "Playback",
    },
    RegisterKind {
        code: "download",
        action: "record.downloaded",
        label_zh: "下载原件",
        label_en: "Download",
    },
    RegisterKind {
        code: "copy",
        action: "copy.made",
        label_zh: "复制",
        label_en: "Copy",
    },
    RegisterKind {
        code: "loan",
        action: "loan.issued",
        label_zh: "借阅",
        label_en: "Loan",
    },
    RegisterKind {
        code: "return",
        action: "loan.returned",
        label_zh: "归还",
        label_en: "Return",
    },
    RegisterKind {
        code: "requisition",
        action: "file.requisitioned",
        label_zh: "调卷",
        label_en: "Requisition",
    },
    RegisterKind {
        code: "case_view",
        action: "case.viewed",
        label_zh: "查阅案卷",
        label_en: "Case file view",
    },
    RegisterKind {
        code: "outside",
        action: "visit.outside",
        label_zh: "外部查阅",
        label_en: "Outside visit",
    },
];

/// Actions that change a grant, tracked so that a use can name whose approval it rests on.
pub const GRANT_ACTIONS: &[&str] = &["access.granted", "access.revoked", "access.approved"];

/// Actions that complete a use already registered: a copy's fee paid (its receipt number).
pub const FEE_ACTIONS: &[&str] = &["fee.paid"];

pub fn kind_of_action(action: &str) -> Option<&'static RegisterKind> {
    REGISTER_KINDS.iter().find(|k| k.action == action)
}

pub fn kind(code: &str) -> Option<&'static RegisterKind> {
    REGISTER_KINDS.iter().find(|k| k.code == code)
}

/// Whether an entry of this action feeds the register (a use or a grant change).
pub fn is_register_source(action: &str) -> bool {
    kind_of_action(action).is_some()
        || GRANT_ACTIONS.contains(&action)
        || FEE_ACTIONS.contains(&action)
}

/// Every action the register projection reads.
pub fn source_actions() -> Vec<&'static str> {
    REGISTER_KINDS
        .iter()
        .map(|k| k.action)
        .chain(GRANT_ACTIONS.iter().copied())
        .chain(FEE_ACTIONS.iter().copied())
        .collect()
}

/// The labels (R2.11, R3.11) among those a record carries (its own and its cases') for
/// which `reader` holds none of the cleared roles, by name. A register or alert reader
/// sees a use of such a record only redacted: no case, party, file, device, purpose. An
/// unknown label (the policy changed since it was set) counts as not cleared. Unlike
/// viewing the record itself, there is no need-to-know exception here: reading the
/// register is supervision, not case work.
pub fn uncleared_labels(
    policy: &crate::access::Policy,
    reader: &crate::authz::Principal,
    labels: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = labels
        .iter()
        .filter_map(|code| match policy.label(code) {
            Some(l) if l.cleared_roles.iter().any(|r| reader.has(*r)) => None,
            Some(l) => Some(l.name.clone()),
            None => Some(code.clone()),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What a redacted row shows instead of the case: `涉密记录（国家秘密）`.
pub fn redacted_marker(uncleared: &[String]) -> String {
    format!("涉密记录（{}）", uncleared.join("、"))
}

/// Fen to yuan for display: `1250` → `"12.50"`.
pub fn yuan(fee_cents: i64) -> String {
    let sign = if fee_cents < 0 { "-" } else { "" };
    let c = fee_cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_actions_both_ways() {
        let cases = [
            ("record.viewed", Some("view")),
            ("record.played", Some("playback")),
            ("record.downloaded", Some("download")),
            ("copy.made", Some("copy")),
            ("loan.issued", Some("loan")),
            ("loan.returned", Some("return")),
            ("visit.outside", Some("outside")),
            ("case.viewed", Some("case_view")),
            ("file.requisitioned", Some("requisition")),
            ("records.searched", None),
            ("access.granted", None),
            ("auth.login", None),
        ];
        for (action, code) in cases {
            assert_eq!(kind_of_action(action).map(|k| k.code), code, "{action}");
        }
        for k in REGISTER_KINDS {
            assert_eq!(kind(k.code), Some(k));
            assert!(is_register_source(k.action));
        }
        assert!(is_register_source("access.revoked"));
        assert!(is_register_source("fee.paid"));
        assert!(!is_register_source("access.refused"));
        assert_eq!(
            source_actions().len(),
            REGISTER_KINDS.len() + GRANT_ACTIONS.len() + FEE_ACTIONS.len()
        );
    }

    #[test]
    fn readers_see_labelled_uses_only_when_cleared_for_every_label() {
        use crate::Role;
        let policy = crate::access::Policy::default_shipped();
        let who = |roles: &[Role]| crate::authz::Principal {
            user_id: "u".into(),
            roles: roles.to_vec(),
            unit: None,
            department: None,
            officer_name: "某人".into(),
        };
        let l = |codes: &[&str]| codes.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        let cases: &[(&[Role], &[&str], &[&str])] = &[
            (&[Role::Supervisor], &[], &[]),
            (&[Role::Supervisor], &["personal_info"], &[]),
            (&[Role::Supervisor], &["state_secret"], &["国家秘密"]),
            (
                &[Role::ArchiveKeeper],
                &["trade_secret", "personal_info"],
                &["个人信息", "商业秘密"],
            ),
            (
                &[Role::LegalOffice],
                &["trade_secret", "personal_info"],
                &[],
            ),
            (
                &[Role::LegalOffice],
                &["state_secret", "trade_secret"],
                &["国家秘密"],
            ),
            (&[Role::RecordsKeeper], &["state_secret"], &[]),
            (
                &[Role::RecordsKeeper],
                &["no_such_label"],
                &["no_such_label"],
            ),
        ];
        for (roles, labels, expected) in cases {
            assert_eq!(
                uncleared_labels(&policy, &who(roles), &l(labels)),
                l(expected),
                "{roles:?} {labels:?}"
            );
        }
        assert_eq!(redacted_marker(&l(&["国家秘密"])), "涉密记录（国家秘密）");
    }

    #[test]
    fn fees_in_yuan() {
        for (cents, text) in [(0, "0.00"), (5, "0.05"), (1250, "12.50"), (-300, "-3.00")] {
            assert_eq!(yuan(cents), text);
        }
    }
}
