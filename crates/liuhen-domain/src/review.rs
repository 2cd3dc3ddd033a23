//! The reviewer sheet of a record (R2.3, R2.4): the lines of the configured list (shipped:
//! the 8 focus items of A2.5 and the opening statement of A2.6, `lists/default.toml`), each
//! ticked by a reviewer (supervisor, legal office, records keeper).

use std::fmt;
use std::str::FromStr;

/// One line of the sheet: the code of an entry of the configured list
/// ([`crate::lists::Lists::review_items`], shipped with the 8 focus items of A2.5 and the
/// opening statement of A2.6). Stored as that code, so stored ticks read back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReviewItem(String);

impl ReviewItem {
    /// The line with this code (as stored, or after the list resolved an input).
    pub fn from_code(code: &str) -> Self {
        Self(code.trim().to_owned())
    }

    pub fn code(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReviewItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("未知的审查项 {0:?} / unknown review item")]
pub struct UnknownReviewItem(pub String);

/// The reviewer's finding on one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewVerdict {
    /// 符合
    Met,
    /// 不符合 (a note is required)
    Deficient,
    /// 不适用
    NotApplicable,
}

impl ReviewVerdict {
    pub const ALL: [ReviewVerdict; 3] = [Self::Met, Self::Deficient, Self::NotApplicable];

    pub fn code(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::Deficient => "deficient",
            Self::NotApplicable => "not_applicable",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Met => "符合",
            Self::Deficient => "不符合",
            Self::NotApplicable => "不适用",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("未知的审查结论 {0:?}（应为 met、deficient 或 not_applicable） / unknown review verdict")]
pub struct UnknownReviewVerdict(pub String);

impl FromStr for ReviewVerdict {
    type Err = UnknownReviewVerdict;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.code() == s.trim())
            .ok_or_else(|| UnknownReviewVerdict(s.to_owned()))
    }
}

/// Why a tick is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TickError {
    #[error("审查项“{0}”判定为不符合时必须写明问题 / a deficient item needs a note")]
    DeficientWithoutNote(String),
    #[error("说明过长（最多 500 字） / the note is too long (at most 500 characters)")]
    NoteTooLong,
}

/// Checks one tick of the line labelled `item_zh`: a deficiency must say what is wrong.
pub fn check_tick(item_zh: &str, verdict: ReviewVerdict, note: &str) -> Result<(), TickError> {
    if note.chars().count() > 500 {
        return Err(TickError::NoteTooLong);
    }
    if verdict == ReviewVerdict::Deficient && note.trim().is_empty() {
        return Err(TickError::DeficientWithoutNote(item_zh.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_round_trip_and_ticks_are_checked() {
        for v in ReviewVerdict::ALL {
            assert_eq!(v.code().parse::<ReviewVerdict>(), Ok(v));
        }
        let rows = [
            (ReviewVerdict::Met, "", true),
            (ReviewVerdict::NotApplicable, "", true),
            (ReviewVerdict::Deficient, "  ", false),
            (ReviewVerdict::Deficient, "未出示证件", true),
        ];
        for (v, note, ok) in rows {
            assert_eq!(
                check_tick("出示执法证件", v, note).is_ok(),
                ok,
                "{v:?} {note:?}"
            );
        }
        assert_eq!(
            check_tick("其他", ReviewVerdict::Met, &"字".repeat(501)),
            Err(TickError::NoteTooLong)
        );
    }
}
