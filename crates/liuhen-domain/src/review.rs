//! The reviewer sheet of a record (R2.3, R2.4): the 8 focus items of A2.5 and the opening
//! statement of A2.6, each ticked by a reviewer (supervisor, legal office, records keeper).

use std::fmt;
use std::str::FromStr;

/// One line of the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReviewItem {
    /// 执法现场环境
    Environment,
    /// 执法对象及现场有关人员
    People,
    /// 执法人员出示证件、表明身份、告知权利义务
    IdentityAndRights,
    /// 重要涉案物品及主要证据
    KeyEvidence,
    /// 询问、陈述申辩
    Questioning,
    /// 采取的执法措施
    Measures,
    /// 执法文书的制作、送达
    Documents,
    /// 其他应当记录的内容
    Other,
    /// 开始记录时告知时间、地点、执法人员、执法行为和重点，并告知现场人员正在记录 (R2.4)
    OpeningStatement,
}

impl ReviewItem {
    pub const ALL: [ReviewItem; 9] = [
        Self::Environment,
        Self::People,
        Self::IdentityAndRights,
        Self::KeyEvidence,
        Self::Questioning,
        Self::Measures,
        Self::Documents,
        Self::Other,
        Self::OpeningStatement,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Environment => "environment",
            Self::People => "people",
            Self::IdentityAndRights => "identity_rights",
            Self::KeyEvidence => "key_evidence",
            Self::Questioning => "questioning",
            Self::Measures => "measures",
            Self::Documents => "documents",
            Self::Other => "other",
            Self::OpeningStatement => "opening_statement",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Environment => "执法现场环境",
            Self::People => "执法对象及现场有关人员",
            Self::IdentityAndRights => "出示执法证件、表明身份、告知权利义务",
            Self::KeyEvidence => "重要涉案物品及主要证据",
            Self::Questioning => "询问、当事人陈述申辩",
            Self::Measures => "采取的执法措施",
            Self::Documents => "执法文书的制作和送达",
            Self::Other => "其他应当记录的内容",
            Self::OpeningStatement => "开场告知：时间、地点、执法人员、执法行为及正在记录",
        }
    }

    /// The requirement the item rests on.
    pub fn rule(self) -> &'static str {
        match self {
            Self::OpeningStatement => "R2.4",
            _ => "R2.3",
        }
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

impl FromStr for ReviewItem {
    type Err = UnknownReviewItem;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|i| i.code() == s.trim())
            .ok_or_else(|| UnknownReviewItem(s.to_owned()))
    }
}

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
    DeficientWithoutNote(&'static str),
    #[error("说明过长（最多 500 字） / the note is too long (at most 500 characters)")]
    NoteTooLong,
}

/// Checks one tick: a deficiency must say what is wrong.
pub fn check_tick(item: ReviewItem, verdict: ReviewVerdict, note: &str) -> Result<(), TickError> {
    if note.chars().count() > 500 {
        return Err(TickError::NoteTooLong);
    }
    if verdict == ReviewVerdict::Deficient && note.trim().is_empty() {
        return Err(TickError::DeficientWithoutNote(item.label_zh()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_and_verdicts_round_trip_and_ticks_are_checked() {
        assert_eq!(ReviewItem::ALL.len(), 9);
        for i in ReviewItem::ALL {
            assert_eq!(i.code().parse::<ReviewItem>(), Ok(i));
        }
        for v in ReviewVerdict::ALL {
            assert_eq!(v.code().parse::<ReviewVerdict>(), Ok(v));
        }
        assert!("x".parse::<ReviewItem>().is_err());
        let rows = [
            (ReviewVerdict::Met, "", true),
            (ReviewVerdict::NotApplicable, "", true),
            (ReviewVerdict::Deficient, "  ", false),
            (ReviewVerdict::Deficient, "未出示证件", true),
        ];
        for (v, note, ok) in rows {
            assert_eq!(
                check_tick(ReviewItem::IdentityAndRights, v, note).is_ok(),
                ok,
                "{v:?} {note:?}"
            );
        }
        assert_eq!(
            check_tick(ReviewItem::Other, ReviewVerdict::Met, &"字".repeat(501)),
            Err(TickError::NoteTooLong)
        );
        assert_eq!(ReviewItem::OpeningStatement.rule(), "R2.4");
    }
}
