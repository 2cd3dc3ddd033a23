//! Interface strings: Simplified Chinese first, English available. Catalogs live in
//! `i18n/*.toml`, one file per area, each key with both languages:
//! `"nav.records" = { zh = "音像记录", en = "Records" }`.
//! The language comes from the `lang` cookie (set by `GET /lang/{zh|en}`), default Chinese.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// Every catalog file; a new area adds its file here.
const CATALOGS: &[(&str, &str)] = &[
    ("common", include_str!("../i18n/common.toml")),
    ("auth", include_str!("../i18n/auth.toml")),
    ("records", include_str!("../i18n/records.toml")),
    ("upload", include_str!("../i18n/upload.toml")),
    ("api", include_str!("../i18n/api.toml")),
    ("cases", include_str!("../i18n/cases.toml")),
    ("access", include_str!("../i18n/access.toml")),
    ("register", include_str!("../i18n/register.toml")),
    ("decisions", include_str!("../i18n/decisions.toml")),
    ("domain", include_str!("../i18n/domain.toml")),
    ("holds", include_str!("../i18n/holds.toml")),
    ("draws", include_str!("../i18n/draws.toml")),
    ("health", include_str!("../i18n/health.toml")),
    ("identity", include_str!("../i18n/identity.toml")),
    ("supervision", include_str!("../i18n/supervision.toml")),
    ("station", include_str!("../i18n/station.toml")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
    pub fn switch_path(self) -> &'static str {
        match self {
            Lang::Zh => "/lang/zh",
            Lang::En => "/lang/en",
        }
    }
}

type Catalog = HashMap<String, (String, String)>;

static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| load().expect("i18n catalogs are valid (checked by tests)"));

/// Parses all catalogs; an entry without both languages or a duplicate key is an error.
pub fn load() -> Result<Catalog, String> {
    let mut out = Catalog::new();
    for (area, text) in CATALOGS {
        let table: toml::Table = text.parse().map_err(|e| format!("i18n/{area}.toml: {e}"))?;
        for (key, value) in table {
            let get = |lang: &str| {
                value
                    .get(lang)
                    .and_then(|v| v.as_str())
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| format!("i18n/{area}.toml: {key} has no {lang}"))
            };
            let entry = (get("zh")?, get("en")?);
            if out.insert(key.clone(), entry).is_some() {
                return Err(format!("i18n/{area}.toml: {key} is defined twice"));
            }
        }
    }
    Ok(out)
}

/// The translator handed to templates: `{{ t.s("nav.records") }}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn s(&self, key: &str) -> &'static str {
        match CATALOG.get(key) {
            Some((zh, en)) => match self.lang {
                Lang::Zh => zh.as_str(),
                Lang::En => en.as_str(),
            },
            // Visible in the page, and caught by the catalog test.
            None => "⟦missing translation⟧",
        }
    }

    /// A fixed value of the domain in the interface language: its Chinese label, or the
    /// catalog's `<kind>.<code>` in English (`i18n/domain.toml`).
    pub fn label<L: Labelled>(&self, value: L) -> &'static str {
        match self.lang {
            Lang::Zh => value.zh(),
            Lang::En => CATALOG
                .get(&format!("{}.{}", L::KIND, value.code()))
                .map_or(value.zh(), |(_, en)| en.as_str()),
        }
    }

    /// The English message of a refusal or error with a stable `code` (`error.<code>` in
    /// `i18n/domain.toml`); `None` in Chinese, or for codes whose message is specific to
    /// the case at hand (bad input), which are shown as written.
    pub fn error_message(&self, code: &str) -> Option<&'static str> {
        match self.lang {
            Lang::Zh => None,
            Lang::En => CATALOG
                .get(&format!("error.{code}"))
                .map(|(_, en)| en.as_str()),
        }
    }
}

/// A fixed value of the domain with a stable code and a Chinese label.
pub trait Labelled: Copy {
    /// The prefix of its catalog keys.
    const KIND: &'static str;
    fn code(self) -> &'static str;
    fn zh(self) -> &'static str;
}

macro_rules! labelled {
    ($($ty:ty => $kind:literal, $code:ident;)*) => {
        $(impl Labelled for $ty {
            const KIND: &'static str = $kind;
            fn code(self) -> &'static str {
                <$ty>::$code(self)
            }
            fn zh(self) -> &'static str {
                <$ty>::label_zh(self)
            }
        })*
    };
}

labelled! {
    liuhen_domain::MediaKind => "media_kind", as_str;
    liuhen_domain::case::CaseCategory => "case_category", code;
    liuhen_domain::case::CaseStatus => "case_status", code;
    liuhen_app::cases::CaseFlag => "case_flag", code;
    liuhen_domain::case::RecordingMode => "recording_mode", code;
    liuhen_domain::case::InterruptionReason => "interruption", code;
    liuhen_domain::checklist::Obligation => "obligation", code;
    liuhen_domain::compliance::Level => "level", code;
    liuhen_domain::review::ReviewItem => "review_item", code;
    liuhen_domain::review::ReviewVerdict => "review_verdict", code;
    liuhen_domain::AuditAction => "audit", as_str;
    liuhen_domain::decision::DecisionKind => "decision_kind", code;
    liuhen_domain::decision::PartyType => "party_type", code;
    liuhen_domain::decision::DecisionStatus => "decision_status", code;
    liuhen_domain::decision::ReviewOutcome => "review_outcome", code;
}

impl<S: Send + Sync> FromRequestParts<S> for Tr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Tr::from_headers(&parts.headers))
    }
}

impl Tr {
    /// The language of a request's `lang` cookie (Chinese by default).
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        let lang = crate::cookies::get(headers, "lang")
            .map(|v| if v == "en" { Lang::En } else { Lang::Zh })
            .unwrap_or_default();
        Tr { lang }
    }
}

#[cfg(test)]
mod tests {
    use super::{Labelled, Lang, Tr};
    use liuhen_app::cases::CaseFlag;
    use liuhen_domain::case::{CaseCategory, CaseStatus, InterruptionReason, RecordingMode};
    use liuhen_domain::checklist::Obligation;
    use liuhen_domain::compliance::Level;
    use liuhen_domain::review::{ReviewItem, ReviewVerdict};
    use liuhen_domain::{AuditAction, MediaKind};

    fn check<L: Labelled>(values: &[L]) {
        let catalog = super::load().unwrap();
        for v in values {
            let key = format!("{}.{}", L::KIND, v.code());
            let (zh, en) = catalog
                .get(&key)
                .unwrap_or_else(|| panic!("i18n/domain.toml lacks {key}"));
            assert_eq!(zh, v.zh(), "{key}: the Chinese must be the domain's label");
            assert_eq!(Tr { lang: Lang::En }.label(*v), en);
            assert_eq!(Tr { lang: Lang::Zh }.label(*v), v.zh());
        }
    }

    #[test]
    fn every_domain_value_has_both_labels() {
        check(&MediaKind::ALL);
        check(&CaseCategory::ALL);
        check(&[CaseStatus::Open, CaseStatus::Decided, CaseStatus::Archived]);
        check(&CaseFlag::ALL);
        check(&RecordingMode::ALL);
        check(&InterruptionReason::ALL);
        check(&[Obligation::Mandatory, Obligation::MandatoryWhenDisputed]);
        check(&[Level::Ok, Level::Warning, Level::Violation]);
        check(&ReviewItem::ALL);
        check(&ReviewVerdict::ALL);
        check(&AuditAction::ALL);
        check(liuhen_domain::decision::DecisionKind::ALL);
        check(liuhen_domain::decision::PartyType::ALL);
        check(liuhen_domain::decision::DecisionStatus::ALL);
        check(liuhen_domain::decision::ReviewOutcome::ALL);
    }

    #[test]
    fn every_refusal_has_an_english_message() {
        use liuhen_domain::authz::DenyReason;
        let catalog = super::load().unwrap();
        for r in [
            DenyReason::RoleNotPermitted,
            DenyReason::OutsideScope,
            DenyReason::WrongTarget,
            DenyReason::Confidential,
            DenyReason::CaseNotArchived,
            DenyReason::GrantExpired,
            DenyReason::GrantRevoked,
        ] {
            let (zh, _) = catalog
                .get(&format!("error.{}", r.code()))
                .unwrap_or_else(|| panic!("i18n/domain.toml lacks error.{}", r.code()));
            assert_eq!(zh, r.message_zh());
        }
    }

    #[test]
    fn every_refusal_of_the_decision_gate_has_both_messages() {
        use liuhen_domain::decision::gate::GateRefusal as G;
        let catalog = super::load().unwrap();
        for r in [
            G::NoDraft,
            G::ReviewRequired,
            G::ReviewPending,
            G::ReviewReturned,
            G::Disapproved,
            G::DraftChanged,
            G::WrongStatus,
            G::OwnCase,
            G::NoQualification,
            G::OpinionMissing,
            G::NotInCatalog,
            G::MaterialsMissing,
            G::AlreadyExtended,
            G::ReasonMissing,
        ] {
            let (zh, _) = catalog
                .get(&format!("error.{}", r.code()))
                .unwrap_or_else(|| panic!("i18n/domain.toml lacks error.{}", r.code()));
            assert_eq!(zh, r.message_zh());
        }
    }

    #[test]
    fn catalogs_are_complete_and_templates_use_known_keys() {
        let catalog = super::load().unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("t.s(\"").skip(1) {
                let key = piece.split('"').next().unwrap();
                assert!(
                    catalog.contains_key(key),
                    "{}: unknown key {key}",
                    path.display()
                );
            }
        }
    }
}
