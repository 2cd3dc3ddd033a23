//! The search form as it arrives in the query string (page and API alike), parsed into the
//! application's request; and links back to the same search with another sort or page.

use liuhen_app::search::{RecordSort, SearchRequest, SortField};
use liuhen_domain::MediaKind;
use serde::Deserialize;

use crate::ApiError;

/// Every field is optional text: an empty form field means "any".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Params {
    /// Free text (案件名称、当事人、执法人员、文件名).
    pub q: String,
    pub agency: String,
    pub device: String,
    pub officer: String,
    pub case_name: String,
    pub party: String,
    pub date_from: String,
    pub date_to: String,
    pub stored_from: String,
    pub stored_to: String,
    /// video | audio | photo | other
    pub kind: String,
    /// "1" late only, "0" on time only.
    pub late: String,
    /// "1" with probe errors only, "0" without.
    pub probe: String,
    /// record_date | stored_at | size | name
    pub sort: String,
    /// asc | desc
    pub dir: String,
    pub page: String,
    pub size: String,
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

fn date(s: &str, what: &str) -> Result<Option<jiff::civil::Date>, ApiError> {
    opt(s)
        .map(|s| {
            s.parse().map_err(|_| {
                ApiError::bad(
                    "bad_date",
                    format!("{what}格式不正确，应为 年-月-日，例如 2026-03-01"),
                )
            })
        })
        .transpose()
}

fn flag(s: &str, what: &'static str) -> Result<Option<bool>, ApiError> {
    match s.trim() {
        "" => Ok(None),
        "1" | "true" => Ok(Some(true)),
        "0" | "false" => Ok(Some(false)),
        _ => Err(ApiError::bad("bad_flag", format!("{what}的取值不正确"))),
    }
}

fn number(s: &str, what: &'static str) -> Result<u32, ApiError> {
    match s.trim() {
        "" => Ok(0),
        n => n
            .parse()
            .map_err(|_| ApiError::bad("bad_number", format!("{what}应为正整数"))),
    }
}

impl Params {
    pub fn sort(&self) -> RecordSort {
        let field = SortField::parse(self.sort.trim()).unwrap_or_default();
        let descending = match self.dir.trim() {
            "asc" => false,
            "desc" => true,
            _ => RecordSort::default().descending,
        };
        RecordSort { field, descending }
    }

    pub fn request(&self) -> Result<SearchRequest, ApiError> {
        if !self.sort.trim().is_empty() && SortField::parse(self.sort.trim()).is_none() {
            return Err(ApiError::bad("bad_sort", "排序字段不正确"));
        }
        let kind = opt(&self.kind)
            .map(|k| {
                k.parse::<MediaKind>()
                    .map_err(|_| ApiError::bad("bad_kind", "记录类型不正确"))
            })
            .transpose()?;
        Ok(SearchRequest {
            agency: opt(&self.agency),
            device: opt(&self.device),
            officer: opt(&self.officer),
            case_name: opt(&self.case_name),
            party: opt(&self.party),
            record_date_from: date(&self.date_from, "记录日期（起）")?,
            record_date_to: date(&self.date_to, "记录日期（止）")?,
            stored_date_from: date(&self.stored_from, "存储日期（起）")?,
            stored_date_to: date(&self.stored_to, "存储日期（止）")?,
            kind,
            late: flag(&self.late, "逾期")?,
            probe_error: flag(&self.probe, "元数据异常")?,
            text: opt(&self.q),
            sort: self.sort(),
            page: number(&self.page, "页码")?.max(1),
            page_size: number(&self.size, "每页条数")?,
        })
    }

    /// `/records?…` with this search, the given sort (or the current one) and page.
    pub fn href(&self, sort: Option<(SortField, bool)>, page: u32) -> String {
        let (field, desc) = sort.unwrap_or_else(|| {
            let s = self.sort();
            (s.field, s.descending)
        });
        let mut pairs: Vec<(&str, String)> = [
            ("q", &self.q),
            ("agency", &self.agency),
            ("device", &self.device),
            ("officer", &self.officer),
            ("case_name", &self.case_name),
            ("party", &self.party),
            ("date_from", &self.date_from),
            ("date_to", &self.date_to),
            ("stored_from", &self.stored_from),
            ("stored_to", &self.stored_to),
            ("kind", &self.kind),
            ("late", &self.late),
            ("probe", &self.probe),
            ("size", &self.size),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_owned()))
        .collect();
        pairs.push(("sort", field.code().to_owned()));
        pairs.push(("dir", if desc { "desc" } else { "asc" }.to_owned()));
        pairs.push(("page", page.to_string()));
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("/records?{}", query.join("&"))
    }
}

/// Percent-encoding for a query value (UTF-8 bytes; unreserved characters kept).
/// The one query encoder of the server's links.
pub(crate) use liuhen_domain::uri::encode;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_search_and_encode_it() {
        let p = Params {
            q: "化工 &x".into(),
            late: "1".into(),
            ..Default::default()
        };
        assert_eq!(
            p.href(Some((SortField::Size, false)), 2),
            "/records?q=%E5%8C%96%E5%B7%A5%20%26x&late=1&sort=size&dir=asc&page=2"
        );
    }

    #[test]
    fn bad_values_are_refused_with_a_message() {
        let bad = |f: fn(&mut Params)| {
            let mut p = Params::default();
            f(&mut p);
            p.request().is_err()
        };
        assert!(bad(|p| p.date_from = "2026-13-01".into()));
        assert!(bad(|p| p.kind = "film".into()));
        assert!(bad(|p| p.late = "maybe".into()));
        assert!(bad(|p| p.sort = "id; drop".into()));
        assert!(bad(|p| p.page = "-1".into()));
        assert!(!bad(|p| p.date_from = " 2026-03-01 ".into()));
        let r = Params::default().request().unwrap();
        assert_eq!((r.page, r.page_size, r.sort), (1, 0, RecordSort::default()));
    }
}
