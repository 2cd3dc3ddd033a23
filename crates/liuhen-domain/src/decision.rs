//! Enforcement decisions on cases (决定) and their legal review (法制审核, R5, 附件5):
//! plain types, the catalog as data ([`catalog`]), the working-day calendar
//! ([`calendar`]) and the gate ([`gate`]): pure rules that say whether a decision may be
//! submitted, reviewed, issued or served.

pub mod calendar;
pub mod catalog;
pub mod gate;

use std::str::FromStr;

macro_rules! coded {
    ($name:ident { $($v:ident = $code:literal, $zh:literal;)* }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($v),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$v),*];

            pub fn code(self) -> &'static str {
                match self { $(Self::$v => $code),* }
            }

            pub fn label_zh(self) -> &'static str {
                match self { $(Self::$v => $zh),* }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|x| x.code() == s).ok_or_else(|| s.to_owned())
            }
        }
    };
}

coded!(DecisionKind {
    Penalty = "penalty", "行政处罚";
    Licensing = "licensing", "行政许可";
    Coercion = "coercion", "行政强制";
    Payment = "payment", "行政给付";
});

coded!(PartyType {
    Individual = "individual", "个人";
    Organisation = "organisation", "单位";
});

coded!(DecisionStatus {
    Draft = "draft", "草拟";
    UnderReview = "under_review", "法制审核中";
    Reviewed = "reviewed", "已通过审核";
    Disapproved = "disapproved", "审核不同意";
    Issued = "issued", "已作出";
    Served = "served", "已送达";
});

coded!(ReviewOutcome {
    Approve = "approve", "同意";
    ApproveWithChanges = "approve_with_changes", "修改后同意";
    Return = "return", "退回补充材料";
    Disapprove = "disapprove", "不同意";
});

impl ReviewOutcome {
    /// Whether the review passed (the decision may be issued with the reviewed draft).
    pub fn passes(self) -> bool {
        matches!(self, Self::Approve | Self::ApproveWithChanges)
    }
}

/// What the catalog's predicates look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecisionFacts<'a> {
    pub kind: DecisionKind,
    pub measure: &'a str,
    pub party: PartyType,
    /// The fine in fen (分), for a fine.
    pub fine_fen: Option<i64>,
    pub after_hearing: bool,
    /// A user marked the decision for review ("other … by law") with a reason.
    pub marked: bool,
}

/// A fine typed as yuan ("200000", "19999.99") into fen; `None` for anything else.
pub fn parse_yuan(s: &str) -> Option<i64> {
    let s = s.trim().replace([',', '，'], "");
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yuan: i64 = whole.parse().ok()?;
    let fen: i64 = format!("{frac:0<2}").parse().ok()?;
    yuan.checked_mul(100)?.checked_add(fen)
}

/// Fen as yuan for people: "200,000.00".
pub fn format_yuan(fen: i64) -> String {
    let yuan = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in yuan.chars().enumerate() {
        if i > 0 && (yuan.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{:02}", fen % 100)
}
