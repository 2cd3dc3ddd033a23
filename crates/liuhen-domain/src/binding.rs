//! Grants and confidentiality labels decide who sees what, so their rows are bound to the
//! log entries that made them, as record rows are to their snapshots (issue 17, R6.1,
//! R3.13): a grant row must say what its `access.granted` entry (and any `access.revoked`)
//! said; a record's or case's labels must be what its `access.label_changed` entries leave
//! set. A row edited in the database breaks the binding; the authorization point then
//! refuses and the refusal raises an alert. Pure: the caller reads rows and entries.

use std::collections::BTreeSet;

/// A grant as a row states it, or as its log entries state it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantState {
    pub grantee: String,
    /// Record ids, any order.
    pub records: Vec<String>,
    /// Action codes (`record.view`, `record.play`, `record.download`), any order.
    pub actions: Vec<String>,
    pub expires_ms: i64,
    pub revoked: bool,
}

/// Why a binding does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindingBroken {
    #[error("没有记载该授权的审计日志条目 / no log entry made this grant")]
    GrantNotLogged,
    #[error("授权的“{0}”与审计日志不符 / the grant's {0} differs from its log entry")]
    GrantDiffers(&'static str),
    #[error(
        "密级标识与审计日志不符（表中：{rows:?}，日志：{logged:?}） / labels differ from the log"
    )]
    LabelsDiffer {
        rows: Vec<String>,
        logged: Vec<String>,
    },
}

fn sorted(v: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = v.iter().map(String::as_str).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether a grant row says what its log entries say.
pub fn check_grant(row: &GrantState, logged: Option<&GrantState>) -> Result<(), BindingBroken> {
    let Some(l) = logged else {
        return Err(BindingBroken::GrantNotLogged);
    };
    let differs = if row.grantee != l.grantee {
        Some("grantee")
    } else if sorted(&row.records) != sorted(&l.records) {
        Some("records")
    } else if sorted(&row.actions) != sorted(&l.actions) {
        Some("actions")
    } else if row.expires_ms != l.expires_ms {
        Some("expires")
    } else if row.revoked != l.revoked {
        Some("revoked")
    } else {
        None
    };
    differs.map_or(Ok(()), |f| Err(BindingBroken::GrantDiffers(f)))
}

/// The labels the log leaves set: its `(label, set)` changes replayed in order.
pub fn labels_from_log<'a>(changes: impl IntoIterator<Item = (&'a str, bool)>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (label, set) in changes {
        if set {
            out.insert(label.to_owned());
        } else {
            out.remove(label);
        }
    }
    out
}

/// Whether the label rows of one record or case are what the log leaves set.
pub fn check_labels(rows: &[String], logged: &BTreeSet<String>) -> Result<(), BindingBroken> {
    let rows: BTreeSet<String> = rows.iter().cloned().collect();
    if &rows == logged {
        Ok(())
    } else {
        Err(BindingBroken::LabelsDiffer {
            rows: rows.into_iter().collect(),
            logged: logged.iter().cloned().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(expires_ms: i64, revoked: bool) -> GrantState {
        GrantState {
            grantee: "u1".into(),
            records: vec!["r2".into(), "r1".into()],
            actions: vec!["record.view".into(), "record.play".into()],
            expires_ms,
            revoked,
        }
    }

    /// A grant's expiry edited in the database changed who sees what with no trace.
    #[test]
    fn grant_row_edited_in_the_database_breaks_its_binding() {
        let logged = grant(1_000, false);
        let mut same = grant(1_000, false);
        same.records.reverse();
        same.actions.reverse();
        assert_eq!(check_grant(&same, Some(&logged)), Ok(()));
        let cases: [(GrantState, BindingBroken); 5] = [
            (grant(9_000, false), BindingBroken::GrantDiffers("expires")),
            (grant(1_000, true), BindingBroken::GrantDiffers("revoked")),
            (
                GrantState {
                    grantee: "u2".into(),
                    ..grant(1_000, false)
                },
                BindingBroken::GrantDiffers("grantee"),
            ),
            (
                GrantState {
                    records: vec!["r1".into(), "r2".into(), "r3".into()],
                    ..grant(1_000, false)
                },
                BindingBroken::GrantDiffers("records"),
            ),
            (
                GrantState {
                    actions: vec!["record.view".into(), "record.download".into()],
                    ..grant(1_000, false)
                },
                BindingBroken::GrantDiffers("actions"),
            ),
        ];
        for (row, want) in cases {
            assert_eq!(check_grant(&row, Some(&logged)), Err(want));
        }
        assert_eq!(check_grant(&same, None), Err(BindingBroken::GrantNotLogged));
    }

    /// A label deleted (or added) in the database changed who sees what with no trace.
    #[test]
    fn label_rows_edited_in_the_database_break_their_binding() {
        let logged = labels_from_log([
            ("trade_secret", true),
            ("personal_info", true),
            ("trade_secret", false),
            ("state_secret", true),
        ]);
        assert_eq!(
            logged,
            ["personal_info", "state_secret"]
                .map(String::from)
                .into_iter()
                .collect()
        );
        let rows = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            check_labels(&rows(&["state_secret", "personal_info"]), &logged),
            Ok(())
        );
        assert!(check_labels(&rows(&["personal_info"]), &logged).is_err());
        assert!(check_labels(&rows(&["personal_info", "state_secret", "x"]), &logged).is_err());
        assert_eq!(check_labels(&[], &labels_from_log([])), Ok(()));
    }
}
