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
}

impl<S: Send + Sync> FromRequestParts<S> for Tr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = crate::cookies::get(&parts.headers, "lang")
            .map(|v| if v == "en" { Lang::En } else { Lang::Zh })
            .unwrap_or_default();
        Ok(Tr { lang })
    }
}

#[cfg(test)]
mod tests {
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
