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

    /// The message of an error with a stable `code` as shown: messages of the app and
    /// domain layers come rendered in the interface language already ([`Tr::message`]);
    /// words still written in Chinese (a use case not yet moved to message codes) are
    /// replaced, for English readers, by the catalog's English of the code
    /// (`error.<code>`, if it has one without parameters).
    pub fn shown(&self, code: &str, message: String) -> String {
        let chinese = message
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        if self.lang == Lang::Zh || !chinese {
            return message;
        }
        CATALOG
            .get(&format!("error.{code}"))
            .map(|(_, en)| en)
            .filter(|en| !en.contains('{'))
            .map_or(message, Clone::clone)
    }
}

tokio::task_local! {
    /// The language of the request being handled ([`scope`]).
    static CURRENT: Lang;
}

/// Middleware: the rest of the request runs with its language known to [`Tr::current`],
/// so errors answered as JSON are worded in it too.
pub async fn scope(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let lang = Tr::from_headers(req.headers()).lang;
    CURRENT.scope(lang, next.run(req)).await
}

impl Tr {
    /// The language of the request being handled (Chinese outside a request).
    pub fn current() -> Self {
        Tr {
            lang: CURRENT.try_with(|l| *l).unwrap_or_default(),
        }
    }

    /// The command line's language: English when `LANG` starts with `en`, else Chinese.
    pub fn for_cli() -> Self {
        let en = std::env::var("LANG").is_ok_and(|l| l.starts_with("en"));
        Tr {
            lang: if en { Lang::En } else { Lang::Zh },
        }
    }

    /// The text of `error.<code>` in the interface language, if the catalog has it.
    pub fn error_text(&self, code: &str) -> Option<&'static str> {
        CATALOG
            .get(&format!("error.{code}"))
            .map(|(zh, en)| match self.lang {
                Lang::Zh => zh.as_str(),
                Lang::En => en.as_str(),
            })
    }

    /// A message of the app or domain layer in the interface language: `error.<code>`
    /// with its `{name}` placeholders filled, labels shown by their `<kind>.<code>` entry.
    /// Without an entry (caught by the catalog test) the code and arguments are shown.
    pub fn message(&self, m: &liuhen_domain::Message) -> String {
        use liuhen_domain::Arg;
        let Some(mut out) = self.error_text(m.code).map(str::to_owned) else {
            return m.to_string();
        };
        for (name, value) in &m.args {
            let value = match value {
                Arg::Text(t) => t.clone(),
                Arg::Label { kind, code } => self.s_or(&format!("{kind}.{code}"), code),
                Arg::List(items) => items.join(self.s("list.separator")),
            };
            out = out.replace(&format!("{{{name}}}"), &value);
        }
        out
    }

    /// The catalog's text of `key`, or `fallback` where it has none.
    fn s_or(&self, key: &str, fallback: &str) -> String {
        match CATALOG.get(key) {
            Some((zh, en)) => match self.lang {
                Lang::Zh => zh.clone(),
                Lang::En => en.clone(),
            },
            None => fallback.to_owned(),
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
    liuhen_domain::checklist::Obligation => "obligation", code;
    liuhen_domain::compliance::Level => "level", code;
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
    use liuhen_domain::case::{CaseCategory, CaseStatus, RecordingMode};
    use liuhen_domain::checklist::Obligation;
    use liuhen_domain::compliance::Level;
    use liuhen_domain::review::ReviewVerdict;
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
        check(&[Obligation::Mandatory, Obligation::MandatoryWhenDisputed]);
        check(&[Level::Ok, Level::Warning, Level::Violation]);
        check(&ReviewVerdict::ALL);
        check(&AuditAction::ALL);
        check(liuhen_domain::decision::DecisionKind::ALL);
        check(liuhen_domain::decision::PartyType::ALL);
        check(liuhen_domain::decision::DecisionStatus::ALL);
        check(liuhen_domain::decision::ReviewOutcome::ALL);
    }

    #[test]
    fn every_refusal_has_both_messages() {
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
            assert!(
                catalog.contains_key(&format!("error.{}", r.code())),
                "i18n/domain.toml lacks error.{}",
                r.code()
            );
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

    /// Every `.rs` file under `dir`, with its text.
    fn sources(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                // Codes of the crate's own unit tests need no words.
                let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
                out.push((path, text.to_owned()));
            }
        }
    }

    /// The placeholders `{name}` of a catalog text.
    fn placeholders(text: &str) -> std::collections::BTreeSet<&str> {
        text.split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(name, _)| name))
            .collect()
    }

    /// Every message code the app and domain layers use (`Message::new("…")`, the code
    /// of an `AppError::Forbidden`) has its `error.<code>` in both languages, and both
    /// languages of every `error.*` entry have the same placeholders.
    #[test]
    fn every_message_code_of_app_and_domain_has_both_languages() {
        let catalog = super::load().unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        sources(&root.join("liuhen-app/src"), &mut files);
        sources(&root.join("liuhen-domain/src"), &mut files);
        let mut codes = Vec::new();
        for (path, text) in &files {
            for piece in text.split("Message::new(\"").skip(1) {
                codes.push((path, piece.split('"').next().unwrap().to_owned()));
            }
            for piece in text.split("Forbidden {").skip(1) {
                let body = piece.split('}').next().unwrap();
                if let Some(code) = body.split("code: \"").nth(1) {
                    codes.push((path, code.split('"').next().unwrap().to_owned()));
                }
            }
        }
        assert!(codes.len() > 10, "the scan finds the codes in use");
        // Codes the domain's refusals name themselves (`message()`).
        let here = std::path::PathBuf::from(file!());
        let domain = liuhen_domain::disposal_list::DisposalRefusal::ALL.map(|r| r.code());
        use liuhen_domain::access::Step;
        use liuhen_domain::approval::ApprovalError as A;
        use liuhen_domain::hold::HoldRefusal as H;
        let approval = [
            A::NotPending(liuhen_domain::approval::RequestStatus::Done),
            A::SelfApproval,
            A::SameApprover,
            A::NotInFlow(Step::Consent),
            A::AlreadyDecided(Step::Consent),
            A::WrongStep {
                expected: Step::Consent,
            },
            A::RoleNotPermitted(Step::Consent),
            A::OutsideScope,
            A::BasisMismatch,
            A::Expired,
            A::PapersMissing(Vec::new()),
        ];
        let holds = [
            H::UnknownGround(String::new()),
            H::ReasonRequired,
            H::MayNotPlace,
            H::MayNotApproveLift,
            H::AlreadyLifted,
        ];
        for code in domain
            .into_iter()
            .chain(approval.iter().map(|a| a.code()))
            .chain(holds.iter().map(|h| h.code()))
            .chain([liuhen_domain::decision::calendar::CALENDAR_NOT_COVERED])
        {
            codes.push((&here, code.to_owned()));
        }
        for (path, code) in codes {
            assert!(
                catalog.contains_key(&format!("error.{code}")),
                "{}: the catalogs lack error.{code}",
                path.display()
            );
        }
        for (key, (zh, en)) in &catalog {
            if key.starts_with("error.") {
                assert_eq!(
                    placeholders(zh),
                    placeholders(en),
                    "{key}: placeholders differ"
                );
            }
        }
    }

    #[test]
    fn messages_are_rendered_in_the_interface_language() {
        use liuhen_domain::Message;
        let m = Message::new("other_unit");
        assert_eq!(
            Tr { lang: Lang::Zh }.message(&m),
            "只能在本单位新建记录或案件，不能写入其他单位"
        );
        assert_eq!(
            Tr { lang: Lang::En }.message(&m),
            super::load().unwrap()["error.other_unit"].1
        );
        // A code without an entry shows itself and its arguments, never a blank.
        let unknown = Message::new("no_such_code").arg("n", 3);
        assert_eq!(
            Tr { lang: Lang::En }.message(&unknown),
            "no_such_code(n=\"3\")"
        );
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
