//! The record page's retention card: how long the record is kept, and why (which case,
//! which class), from `Custody::record_retention`.

use liuhen_app::retention::RecordRetention;
use liuhen_domain::case::RetentionClass;
use liuhen_domain::retention::Basis;

use crate::i18n::Tr;

pub struct CaseLine {
    pub id: String,
    pub number: String,
    pub name: String,
    pub class: &'static str,
}

pub struct RetentionView {
    pub permanent: bool,
    /// What the basis is ("随案件", "自入库之日起", …).
    pub basis: &'static str,
    /// Years of an own minimum or a hold; empty when a case is the basis.
    pub years: String,
    /// The case the basis names, with its class.
    pub case: Option<CaseLine>,
    /// The basis case is not archived yet (its period has not started).
    pub open: bool,
    /// Every case the record is linked to.
    pub cases: Vec<CaseLine>,
}

fn class_label(class: RetentionClass, t: Tr) -> &'static str {
    t.s(&format!("retention.class.{}", class.code()))
}

impl RetentionView {
    pub fn new(r: &RecordRetention, t: Tr) -> Self {
        let line = |c: &liuhen_app::retention::CaseRetention| CaseLine {
            id: c.id.clone(),
            number: c.number.clone(),
            name: c.name.clone(),
            class: class_label(c.class, t),
        };
        let (years, open) = match &r.target.basis {
            Basis::RecordDate { years } | Basis::Custody { years } | Basis::Hold { years } => {
                (years.to_string(), false)
            }
            Basis::Case { open, .. } => (String::new(), *open),
        };
        RetentionView {
            // Kept permanently while the lock is within the renewal margin of its horizon
            // (the horizon moves with the clock: a strict comparison flips a second later).
            permanent: r.target.permanent
                && !liuhen_domain::retention::must_extend(r.retain_until, &r.target),
            basis: t.s(&format!("retention.basis.{}", r.target.basis.code())),
            years,
            case: r.basis_case().map(line),
            open,
            cases: r.cases.iter().map(line).collect(),
        }
    }
}
