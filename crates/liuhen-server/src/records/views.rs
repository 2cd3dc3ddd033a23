//! View models of the record pages: every value already formatted for people (Chinese
//! labels, the bureau's time zone, human sizes); templates only place and escape them.

use crate::i18n::Tr;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use liuhen_app::search::{SearchResult, SortField, TrailEntry};
use liuhen_domain::Record;

use super::params::Params;

/// Shown for an empty field.
pub const DASH: &str = "—";

pub fn time(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

pub fn opt_time(t: Option<Timestamp>, tz: &TimeZone) -> String {
    t.map(|t| time(t, tz)).unwrap_or_else(|| DASH.into())
}

pub fn text(s: &Option<String>) -> String {
    s.as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or(DASH)
        .to_owned()
}

pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

pub fn duration(ms: Option<u64>) -> String {
    match ms {
        None => DASH.into(),
        Some(ms) => {
            let s = ms / 1000;
            format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        }
    }
}

/// Hours with one decimal, e.g. "30.5".
pub fn hours(ms: i64) -> String {
    format!("{:.1}", ms as f64 / 3_600_000.0)
}

/// One row of the results table.
pub struct Row {
    pub id: String,
    pub record_date: String,
    pub kind: &'static str,
    pub case_name: String,
    pub party: String,
    pub officer: String,
    pub agency: String,
    pub device: String,
    pub name: String,
    pub size: String,
    pub stored: String,
    pub late: bool,
    pub probe_error: bool,
}

impl Row {
    pub fn new(r: &Record, tz: &TimeZone, t: Tr) -> Self {
        let c = &r.classification;
        Self {
            id: r.id.to_string(),
            record_date: r
                .record_date
                .map(|d| d.to_string())
                .unwrap_or_else(|| DASH.into()),
            kind: t.label(r.kind),
            case_name: text(&c.case_name),
            party: text(&c.party),
            officer: text(&c.officer),
            agency: text(&c.agency),
            device: text(&c.device),
            name: r.original_name.clone(),
            size: size(r.size_bytes),
            stored: time(r.stored_at, tz),
            late: r.late,
            probe_error: r.media.probe_error.is_some(),
        }
    }
}

/// A sortable column heading.
pub struct SortLink {
    pub label_key: &'static str,
    pub href: String,
    /// "", "▲" or "▼".
    pub arrow: &'static str,
}

pub struct PageLink {
    pub number: u32,
    pub href: String,
    pub current: bool,
}

/// The results area: table, count, pager. Rendered inside the page and alone for htmx.
pub struct Results {
    pub rows: Vec<Row>,
    pub total: u64,
    pub total_capped: bool,
    pub page: u32,
    pub pages: u32,
    pub sort_date: SortLink,
    pub sort_stored: SortLink,
    pub sort_size: SortLink,
    pub sort_name: SortLink,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub page_links: Vec<PageLink>,
}

impl Results {
    pub fn new(found: &SearchResult, params: &Params, tz: &TimeZone, t: Tr) -> Self {
        let sort = params.sort();
        let link = |field: SortField, key: &'static str| {
            let active = sort.field == field;
            // Clicking the active column flips the direction; a new column starts descending.
            let descending = if active { !sort.descending } else { true };
            SortLink {
                label_key: key,
                href: params.href(Some((field, descending)), 1),
                arrow: match (active, sort.descending) {
                    (false, _) => "",
                    (true, true) => "▼",
                    (true, false) => "▲",
                },
            }
        };
        let page = found.page;
        let pages = found.pages;
        let first = page.saturating_sub(3).max(1);
        let last = (first + 6).min(pages);
        Self {
            rows: found.records.iter().map(|r| Row::new(r, tz, t)).collect(),
            total: found.total,
            total_capped: found.total_capped,
            page,
            pages,
            sort_date: link(SortField::RecordDate, "records.col.record_date"),
            sort_stored: link(SortField::StoredAt, "records.col.stored"),
            sort_size: link(SortField::Size, "records.col.size"),
            sort_name: link(SortField::Name, "records.col.name"),
            prev: (page > 1).then(|| params.href(None, page - 1)),
            next: (page < pages).then(|| params.href(None, page + 1)),
            page_links: (first..=last)
                .map(|n| PageLink {
                    number: n,
                    href: params.href(None, n),
                    current: n == page,
                })
                .collect(),
        }
    }
}

/// One line of the audit trail on the record page.
pub struct TrailRow {
    pub seq: u64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub refused: bool,
    pub reason: String,
}

impl TrailRow {
    pub fn new(e: &TrailEntry, tz: &TimeZone, t: Tr) -> Self {
        let actor = match &e.actor_name {
            Some(name) => name.clone(),
            None => e.actor_id.clone(),
        };
        Self {
            seq: e.seq,
            at: time(e.at, tz),
            actor,
            action: e
                .action
                .map(|a| t.label(a).to_owned())
                .unwrap_or_else(|| e.action_code.clone()),
            refused: e.action == Some(liuhen_domain::AuditAction::AccessRefused),
            reason: e.reason.clone().unwrap_or_default(),
        }
    }
}

/// Every field of the record page.
pub struct Detail {
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub name: String,
    pub agency: String,
    pub device: String,
    pub officer: String,
    pub case_name: String,
    pub party: String,
    pub camera_operator: String,
    pub record_date: String,
    pub stored: String,
    pub sha256: String,
    pub sm3: String,
    pub size: String,
    pub size_bytes: u64,
    pub late: bool,
    pub lateness_hours: Option<String>,
    pub returned_at: Option<String>,
    pub retain_until: String,
    pub probe_error: Option<String>,
    pub prober: String,
    pub container: String,
    pub video_codec: String,
    pub audio_codec: String,
    pub resolution: String,
    pub duration: String,
    pub capture_start: String,
    pub capture_end: String,
    pub device_info: String,
    /// Raw values for the edit form (empty when unset).
    pub edit_agency: String,
    pub edit_device: String,
    pub edit_officer: String,
    pub edit_case_name: String,
    pub edit_party: String,
    pub edit_camera_operator: String,
}

impl Detail {
    pub fn new(r: &Record, tz: &TimeZone, t: Tr) -> Self {
        let c = &r.classification;
        let m = &r.media;
        let raw = |s: &Option<String>| s.clone().unwrap_or_default();
        let device_info = [&m.device_make, &m.device_model, &m.device_serial]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            id: r.id.to_string(),
            title: c
                .case_name
                .clone()
                .unwrap_or_else(|| r.original_name.clone()),
            kind: t.label(r.kind),
            name: r.original_name.clone(),
            agency: text(&c.agency),
            device: text(&c.device),
            officer: text(&c.officer),
            case_name: text(&c.case_name),
            party: text(&c.party),
            camera_operator: text(&c.camera_operator),
            record_date: r
                .record_date
                .map(|d| d.to_string())
                .unwrap_or_else(|| DASH.into()),
            stored: time(r.stored_at, tz),
            sha256: r.sha256.to_hex(),
            sm3: r.sm3.to_hex(),
            size: size(r.size_bytes),
            size_bytes: r.size_bytes,
            late: r.late,
            lateness_hours: r.lateness_ms.map(hours),
            returned_at: r.returned_at.map(|t| time(t, tz)),
            retain_until: time(r.retain_until, tz),
            probe_error: m.probe_error.clone(),
            prober: m.prober.clone(),
            container: text(&m.container),
            video_codec: text(&m.video_codec),
            audio_codec: text(&m.audio_codec),
            resolution: match (m.width, m.height) {
                (Some(w), Some(h)) => format!("{w} × {h}"),
                _ => DASH.into(),
            },
            duration: duration(m.duration_ms),
            capture_start: opt_time(m.capture_start, tz),
            capture_end: opt_time(m.capture_end, tz),
            device_info: if device_info.is_empty() {
                DASH.into()
            } else {
                device_info
            },
            edit_agency: raw(&c.agency),
            edit_device: raw(&c.device),
            edit_officer: raw(&c.officer),
            edit_case_name: raw(&c.case_name),
            edit_party: raw(&c.party),
            edit_camera_operator: raw(&c.camera_operator),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_and_durations_read_naturally() {
        assert_eq!(super::size(512), "512 B");
        assert_eq!(super::size(1536), "1.5 KB");
        assert_eq!(super::size(3 * 1024 * 1024 * 1024), "3.0 GB");
        assert_eq!(super::duration(Some(3_723_000)), "01:02:03");
        assert_eq!(super::hours(109_800_000), "30.5");
    }
}
