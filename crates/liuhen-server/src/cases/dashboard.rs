//! The unit dashboard (`GET /cases/dashboard`): counts, server-rendered SVG bar charts (no
//! script), the lists of findings and late records, and their CSV exports (UTF-8 with BOM
//! so Excel reads Chinese): `findings.csv`, `officers.csv`, `late.csv`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use liuhen_app::dashboard::Dashboard;
use liuhen_domain::rollup::{LateTally, Tally};

use super::tz;
use super::views::level_class;
use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::records::views::{hours, opt_time, text, time};
use crate::{ApiError, AppState};

/// One coloured piece of a bar.
pub struct Seg {
    pub x: u32,
    pub w: u32,
    pub class: &'static str,
}

pub struct Bar {
    pub label: String,
    pub value: String,
    pub y: u32,
    pub text_y: u32,
    pub value_x: u32,
    pub segs: Vec<Seg>,
}

/// A horizontal bar chart drawn as SVG on the server.
pub struct Chart {
    pub title: &'static str,
    pub height: u32,
    pub bars: Vec<Bar>,
}

/// A bar's label, its segments (value and class) and the value shown.
type BarRow = (String, Vec<(u32, &'static str)>, String);

const LABEL_W: u32 = 120;
const BAR_W: u32 = 180;
const ROW_H: u32 = 22;
const MAX_BARS: usize = 12;

impl Chart {
    /// `rows`: label, the segments' values (each with its class), and the value shown.
    fn new(title: &'static str, rows: Vec<BarRow>) -> Self {
        let rows: Vec<_> = rows.into_iter().take(MAX_BARS).collect();
        let max = rows
            .iter()
            .map(|(_, segs, _)| segs.iter().map(|(v, _)| *v).sum::<u32>())
            .max()
            .unwrap_or(0)
            .max(1);
        let bars = rows
            .into_iter()
            .enumerate()
            .map(|(i, (label, segs, value))| {
                let y = i as u32 * ROW_H + 4;
                let mut x = LABEL_W;
                let segs: Vec<Seg> = segs
                    .into_iter()
                    .filter(|(v, _)| *v > 0)
                    .map(|(v, class)| {
                        let w = (v * BAR_W / max).max(2);
                        let s = Seg { x, w, class };
                        x += w;
                        s
                    })
                    .collect();
                Bar {
                    label: label.chars().take(9).collect(),
                    value,
                    y,
                    text_y: y + 13,
                    value_x: x + 6,
                    segs,
                }
            })
            .collect::<Vec<_>>();
        Self {
            title,
            height: (bars.len() as u32).max(1) * ROW_H + 8,
            bars,
        }
    }
}

fn tally_rows(rows: &[(String, Tally)], label: impl Fn(&str) -> String) -> Vec<BarRow> {
    rows.iter()
        .map(|(name, t)| {
            (
                label(name),
                vec![(t.violations, "bar-bad"), (t.warnings, "bar-warn")],
                format!("{}/{}", t.violations, t.warnings),
            )
        })
        .collect()
}

fn late_rows(rows: &[(String, LateTally)]) -> Vec<BarRow> {
    rows.iter()
        .filter(|(_, t)| t.late > 0)
        .map(|(name, t)| {
            (
                name.clone(),
                vec![(t.late, "bar-bad")],
                format!("{}/{}", t.late, t.records),
            )
        })
        .collect()
}

fn step_type_label(id: &str) -> String {
    if id == "free" {
        "自由环节".into()
    } else {
        format!("清单 {id}")
    }
}

pub struct FindingItem {
    pub case_id: String,
    pub case_number: String,
    pub step_id: String,
    pub step_name: String,
    pub officers: String,
    pub class: &'static str,
    pub level: &'static str,
    pub rule: &'static str,
    pub message: String,
}

pub struct LateItem {
    pub id: String,
    pub name: String,
    pub officer: String,
    pub agency: String,
    pub captured: String,
    pub stored: String,
    pub lateness_hours: String,
}

pub struct TallyItem {
    pub name: String,
    pub violations: u32,
    pub warnings: u32,
    pub unexplained: u32,
}

pub struct LateTallyItem {
    pub name: String,
    pub records: u32,
    pub late: u32,
    pub percent: u32,
    pub worst_hours: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "case_dashboard.html")]
pub struct DashboardPage {
    c: Chrome,
    from: String,
    to: String,
    export_suffix: String,
    cases: u64,
    cases_with_violations: usize,
    violations: usize,
    warnings: usize,
    unexplained: usize,
    late_total: u64,
    truncated: bool,
    charts: Vec<Chart>,
    findings: Vec<FindingItem>,
    by_officer: Vec<TallyItem>,
    by_step_type: Vec<TallyItem>,
    late: Vec<LateItem>,
    late_by_officer: Vec<LateTallyItem>,
    late_by_unit: Vec<LateTallyItem>,
}

fn tally_items(rows: &[(String, Tally)], label: impl Fn(&str) -> String) -> Vec<TallyItem> {
    rows.iter()
        .map(|(n, t)| TallyItem {
            name: label(n),
            violations: t.violations,
            warnings: t.warnings,
            unexplained: t.unexplained,
        })
        .collect()
}

fn late_items(rows: &[(String, LateTally)]) -> Vec<LateTallyItem> {
    rows.iter()
        .map(|(n, t)| LateTallyItem {
            name: n.clone(),
            records: t.records,
            late: t.late,
            percent: t.late_percent(),
            worst_hours: if t.late > 0 {
                hours(t.worst_ms)
            } else {
                "—".into()
            },
        })
        .collect()
}

/// The period selector: both dates, or neither (the newest cases, all time).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct PeriodQuery {
    from: String,
    to: String,
}

impl PeriodQuery {
    fn period(&self) -> Result<Option<liuhen_app::dashboard::Period>, ApiError> {
        let from = crate::register::date(&self.from, "起始日期")?;
        let to = crate::register::date(&self.to, "结束日期")?;
        match (from, to) {
            (Some(f), Some(t)) => Ok(Some((f, t))),
            (None, None) => Ok(None),
            _ => Err(ApiError::bad("bad_date", "请同时填写起始日期和结束日期")),
        }
    }

    /// `?from=…&to=…` for the export links, or empty.
    fn suffix(&self) -> String {
        if self.from.trim().is_empty() {
            String::new()
        } else {
            format!("?from={}&to={}", self.from.trim(), self.to.trim())
        }
    }
}

/// The dashboard of `user`; `view`: shown on the page, so the view is logged (R6.1; an
/// export logs `cases.exported` instead).
async fn load(
    s: &AppState,
    t: Tr,
    user: &Result<CurrentUser, ApiError>,
    view: bool,
    q: &PeriodQuery,
) -> Result<(CurrentUser, Dashboard), PageError> {
    let user = match user {
        Ok(u) => u.clone(),
        Err(_) => return Err(PageError::new(ApiError::Unauthenticated, t)),
    };
    let period = q.period().map_err(|e| PageError::new(e, t))?;
    let d = if view {
        s.custody.view_dashboard(&user.principal, period).await
    } else {
        s.custody.dashboard_in(&user.principal, period).await
    }
    .map_err(|e| PageError::new(e, t))?;
    Ok((user, d))
}

pub async fn page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Query(q): Query<PeriodQuery>,
) -> Result<DashboardPage, PageError> {
    let (user, d) = load(&s, t, &user, true, &q).await?;
    let tz = tz(&s);
    let charts = vec![
        Chart::new(
            "dash.chart.officers",
            tally_rows(&d.by_officer, str::to_owned),
        ),
        Chart::new(
            "dash.chart.step_types",
            tally_rows(&d.by_step_type, step_type_label),
        ),
        Chart::new("dash.chart.late_officers", late_rows(&d.late_by_officer)),
        Chart::new("dash.chart.late_units", late_rows(&d.late_by_unit)),
    ];
    Ok(DashboardPage {
        c: Chrome::new(t, Some(&user), "cases"),
        from: q.from.trim().to_owned(),
        to: q.to.trim().to_owned(),
        export_suffix: q.suffix(),
        cases: d.cases,
        cases_with_violations: d.cases_with_violations,
        violations: d
            .findings
            .iter()
            .filter(|f| f.level == liuhen_domain::compliance::Level::Violation)
            .count(),
        warnings: d
            .findings
            .iter()
            .filter(|f| f.level == liuhen_domain::compliance::Level::Warning)
            .count(),
        unexplained: d
            .findings
            .iter()
            .filter(|f| f.unexplained_interruption())
            .count(),
        late_total: d.late_total,
        truncated: d.truncated,
        charts,
        findings: d
            .findings
            .iter()
            .map(|f| FindingItem {
                case_id: f.case_id.clone(),
                case_number: f.case_number.clone(),
                step_id: f.step_id.clone(),
                step_name: f.step_name.clone(),
                officers: f.officers.join("、"),
                class: level_class(f.level),
                level: t.label(f.level),
                rule: f.rule,
                message: f.message_zh.clone(),
            })
            .collect(),
        by_officer: tally_items(&d.by_officer, str::to_owned),
        by_step_type: tally_items(&d.by_step_type, step_type_label),
        late: d
            .late_records
            .iter()
            .map(|r| LateItem {
                id: r.id.to_string(),
                name: r.original_name.clone(),
                officer: text(&r.classification.officer),
                agency: text(&r.classification.agency),
                captured: opt_time(r.media.capture_end.or(r.media.capture_start), &tz),
                stored: time(r.stored_at, &tz),
                lateness_hours: r.lateness_ms.map(hours).unwrap_or_else(|| "—".into()),
            })
            .collect(),
        late_by_officer: late_items(&d.late_by_officer),
        late_by_unit: late_items(&d.late_by_unit),
    })
}

pub async fn export(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(file): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let (u, d) = load(&s, t, &user, false, &q).await?;
    let tz = tz(&s);
    let body = match file.as_str() {
        "findings.csv" => liuhen_app::csv::document(
            &[
                "案件编号",
                "案件名称",
                "执法环节",
                "清单条目",
                "执法人员",
                "结论",
                "依据",
                "说明",
            ],
            d.findings
                .iter()
                .map(|f| {
                    vec![
                        f.case_number.clone(),
                        f.case_name.clone(),
                        f.step_name.clone(),
                        f.step_type.clone().unwrap_or_else(|| "自由环节".into()),
                        f.officers.join("、"),
                        f.level.label_zh().into(),
                        f.rule.into(),
                        f.message_zh.clone(),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
        "officers.csv" => {
            let late = |name: &str| {
                d.late_by_officer
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, t)| *t)
                    .unwrap_or_default()
            };
            let mut names: Vec<String> = d.by_officer.iter().map(|(n, _)| n.clone()).collect();
            for (n, _) in &d.late_by_officer {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
            liuhen_app::csv::document(
                &[
                    "执法人员",
                    "违规",
                    "提示",
                    "未说明的中断",
                    "记录数",
                    "逾期入库",
                    "逾期比例(%)",
                ],
                names
                    .iter()
                    .map(|n| {
                        let f = d
                            .by_officer
                            .iter()
                            .find(|(m, _)| m == n)
                            .map(|(_, t)| *t)
                            .unwrap_or_default();
                        let l = late(n);
                        vec![
                            n.clone(),
                            f.violations.to_string(),
                            f.warnings.to_string(),
                            f.unexplained.to_string(),
                            l.records.to_string(),
                            l.late.to_string(),
                            l.late_percent().to_string(),
                        ]
                    })
                    .collect::<Vec<_>>(),
            )
        }
        "late.csv" => liuhen_app::csv::document(
            &[
                "记录编号",
                "文件名",
                "执法人员",
                "执法机构",
                "案件名称",
                "当事人",
                "拍摄结束",
                "入库时间",
                "逾期(小时)",
            ],
            d.late_records
                .iter()
                .map(|r| {
                    vec![
                        r.id.to_string(),
                        r.original_name.clone(),
                        text(&r.classification.officer),
                        text(&r.classification.agency),
                        text(&r.classification.case_name),
                        text(&r.classification.party),
                        opt_time(r.media.capture_end.or(r.media.capture_start), &tz),
                        time(r.stored_at, &tz),
                        r.lateness_ms.map(hours).unwrap_or_default(),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
        _ => {
            return Err(PageError::new(
                ApiError::NotFound(format!("export {file}")),
                t,
            ));
        }
    };
    // R6.1: the export is a use.
    s.custody
        .log_cases_export(&u.principal, &file, "csv", serde_json::json!({}), None)
        .await
        .map_err(|e| PageError::new(ApiError::from(e), t))?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"liuhen-{file}\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_longest() {
        let c = Chart::new(
            "t",
            vec![
                (
                    "甲".into(),
                    vec![(4, "bar-bad"), (0, "bar-warn")],
                    "4".into(),
                ),
                (
                    "乙".into(),
                    vec![(1, "bar-bad"), (1, "bar-warn")],
                    "2".into(),
                ),
            ],
        );
        assert_eq!(c.bars[0].segs.len(), 1);
        assert_eq!(c.bars[0].segs[0].w, BAR_W);
        assert_eq!(c.bars[1].segs[1].x, LABEL_W + BAR_W / 4);
        assert_eq!(c.height, 2 * ROW_H + 8);
    }
}
