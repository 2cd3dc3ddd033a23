//! The access register (查阅登记簿, R4.1): every view, playback, download, copy, loan and
//! outside visit, read from the log's projection, searchable, exportable to CSV and to a
//! printable PDF. Reading or exporting it is itself logged.

use jiff::civil::Date;
use jiff::tz::Offset;
pub use liuhen_db::RegisterRow;
use liuhen_db::{NewEntry, RegisterFilter};
use liuhen_domain::AuditAction;
use liuhen_domain::authz::{Action, Principal, RegisterScope, Target, register_scope};
use liuhen_domain::register;
use sha2::Digest;

use crate::pdf::{Column, Table};
use crate::{AppError, Custody};

/// What the register is asked for (dates in the bureau's local calendar, inclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterQuery {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub kinds: Vec<String>,
    pub person: Option<String>,
    pub record: Option<String>,
    pub case: Option<String>,
    pub text: Option<String>,
    /// 1-based.
    pub page: u32,
}

#[derive(Debug, Clone)]
pub struct RegisterPage {
    pub rows: Vec<RegisterRow>,
    pub total: u64,
    pub page: u32,
    pub pages: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Pdf,
}

impl ExportFormat {
    pub fn code(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Pdf => "pdf",
        }
    }
}

pub struct Export {
    pub bytes: Vec<u8>,
    pub filename: String,
    pub content_type: &'static str,
    pub rows: usize,
    /// More rows matched than one export holds.
    pub truncated: bool,
}

const MAX_TERM: usize = 100;

impl RegisterQuery {
    fn check(&self) -> Result<(), AppError> {
        if let Some(k) = self.kinds.iter().find(|k| register::kind(k).is_none()) {
            return Err(AppError::Invalid(format!("未知的登记类别：{k}")));
        }
        if let (Some(f), Some(t)) = (self.from, self.to)
            && f > t
        {
            return Err(AppError::Invalid("起始日期不能晚于结束日期".into()));
        }
        for term in [&self.person, &self.record, &self.case, &self.text]
            .into_iter()
            .flatten()
        {
            if term.chars().count() > MAX_TERM {
                return Err(AppError::Invalid(format!(
                    "检索词过长（最多 {MAX_TERM} 个字符）"
                )));
            }
        }
        Ok(())
    }

    /// The period as text: `2026-03-01 至 2026-03-31`, `全部`.
    pub fn period_zh(&self) -> String {
        match (self.from, self.to) {
            (None, None) => "全部".into(),
            (f, t) => format!(
                "{} 至 {}",
                f.map_or("最早".into(), |d| d.to_string()),
                t.map_or("今".into(), |d| d.to_string())
            ),
        }
    }

    fn details(&self) -> serde_json::Value {
        serde_json::json!({
            "from": self.from.map(|d| d.to_string()),
            "to": self.to.map(|d| d.to_string()),
            "kinds": self.kinds,
            "person": self.person,
            "record": self.record,
            "case": self.case,
            "text": self.text,
        })
    }
}

fn day_start_ms(d: Date, offset: Offset) -> Option<i64> {
    let ts = offset
        .to_timestamp(d.to_datetime(jiff::civil::time(0, 0, 0, 0)))
        .ok()?;
    Some(ts.as_millisecond())
}

impl Custody {
    pub(crate) fn bureau_offset(&self) -> Offset {
        self.config
            .utc_offset()
            .map(|tz| tz.to_offset(jiff::Timestamp::UNIX_EPOCH))
            .unwrap_or(Offset::UTC)
    }

    /// Local date and time of a moment in the bureau's offset: `2026-03-02 10:00:05`.
    pub fn local_time(&self, at_ms: i64) -> String {
        match jiff::Timestamp::from_millisecond(at_ms) {
            Ok(t) => self
                .bureau_offset()
                .to_datetime(t)
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string(),
            Err(_) => at_ms.to_string(),
        }
    }

    async fn register_filter(
        &self,
        by: &Principal,
        q: &RegisterQuery,
    ) -> Result<RegisterFilter, AppError> {
        self.authorize(by, Action::ViewRegister, Target::System, None)
            .await?;
        q.check()?;
        let offset = self.bureau_offset();
        let unit = match register_scope(by) {
            Some(RegisterScope::All) => None,
            Some(RegisterScope::Unit(u)) => Some(u),
            // authorize refused already; kept for safety.
            None => return Err(AppError::Invalid("无权查看查阅登记簿".into())),
        };
        let clean = |s: &Option<String>| {
            s.as_ref()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        Ok(RegisterFilter {
            from_ms: q.from.and_then(|d| day_start_ms(d, offset)),
            to_ms: q
                .to
                .and_then(|d| d.tomorrow().ok())
                .and_then(|d| day_start_ms(d, offset)),
            kinds: q.kinds.clone(),
            person: clean(&q.person),
            record: clean(&q.record),
            case: clean(&q.case),
            text: clean(&q.text),
            unit,
        })
    }

    /// One page of the register (authorized, logged).
    pub async fn register(
        &self,
        by: &Principal,
        q: &RegisterQuery,
    ) -> Result<RegisterPage, AppError> {
        let filter = self.register_filter(by, q).await?;
        self.sync_register().await?;
        let per_page = self.config.supervision.register_page_size;
        let page = q.page.max(1);
        let offset = u64::from(page - 1) * u64::from(per_page);
        let (mut rows, total) = self.db.register_search(&filter, per_page, offset).await?;
        let hidden_match = filter.case.is_some() || filter.text.is_some();
        let dropped = self
            .redact_register_rows(by, &mut rows, hidden_match)
            .await?;
        let total = total.saturating_sub(dropped as u64);
        let mut details = q.details();
        details["page"] = page.into();
        details["rows"] = rows.len().into();
        self.log_event(NewEntry {
            actor: by.user_id.clone(),
            action: AuditAction::RegisterViewed,
            subject: Some("register".into()),
            details,
        })
        .await?;
        let pages = total.div_ceil(u64::from(per_page)).max(1) as u32;
        Ok(RegisterPage {
            rows,
            total,
            page,
            pages,
            per_page,
        })
    }

    /// The whole register for a query as CSV or PDF (authorized; the export, its size and
    /// its SHA-256 are logged).
    pub async fn export_register(
        &self,
        by: &Principal,
        q: &RegisterQuery,
        format: ExportFormat,
    ) -> Result<Export, AppError> {
        let filter = self.register_filter(by, q).await?;
        self.sync_register().await?;
        let max = self.config.supervision.register_export_max_rows;
        let (mut rows, total) = self.db.register_search(&filter, max, 0).await?;
        let hidden_match = filter.case.is_some() || filter.text.is_some();
        let dropped = self
            .redact_register_rows(by, &mut rows, hidden_match)
            .await?;
        let total = total.saturating_sub(dropped as u64);
        let now = self.now();
        let bytes = match format {
            ExportFormat::Csv => self.register_csv(&rows),
            ExportFormat::Pdf => self
                .register_table(q, &rows, total, now)
                .render_with(&self.pdf_style),
        };
        let stamp = self
            .bureau_offset()
            .to_datetime(now)
            .strftime("%Y%m%d-%H%M%S")
            .to_string();
        let mut details = q.details();
        details["format"] = format.code().into();
        details["rows"] = rows.len().into();
        details["matched"] = total.into();
        details["sha256"] = hex::encode(sha2::Sha256::digest(&bytes)).into();
        self.log_event(NewEntry {
            actor: by.user_id.clone(),
            action: AuditAction::RegisterExported,
            subject: Some("register".into()),
            details,
        })
        .await?;
        Ok(Export {
            filename: format!("register-{stamp}.{}", format.code()),
            content_type: match format {
                ExportFormat::Csv => "text/csv; charset=utf-8",
                ExportFormat::Pdf => "application/pdf",
            },
            rows: rows.len(),
            truncated: total > rows.len() as u64,
            bytes,
        })
    }

    fn register_csv(&self, rows: &[RegisterRow]) -> Vec<u8> {
        let mut out = String::from("\u{FEFF}");
        let header = [
            "日志序号",
            "登记时间",
            "类别",
            "查阅人",
            "查阅人单位",
            "申请人类型",
            "批准人",
            "记录编号",
            "文件名",
            "案件名称",
            "当事人",
            "执法记录仪",
            "事由",
            "申请编号",
            "授权编号",
            "费用（元）",
            "收据号",
            "备注",
        ];
        push_csv(&mut out, header.iter().map(|s| s.to_string()));
        for r in rows {
            let kind = register::kind(&r.kind).map_or(r.kind.as_str(), |k| k.label_zh);
            let o = |v: &Option<String>| v.clone().unwrap_or_default();
            push_csv(
                &mut out,
                [
                    r.seq.to_string(),
                    self.local_time(r.at_ms),
                    kind.to_owned(),
                    r.actor_name.clone(),
                    o(&r.actor_unit),
                    o(&r.requester_type),
                    o(&r.approved_by),
                    r.record_id.clone(),
                    o(&r.record_name),
                    o(&r.case_name),
                    o(&r.party),
                    o(&r.device),
                    o(&r.purpose),
                    o(&r.request_id),
                    o(&r.grant_id),
                    r.fee_cents.map(register::yuan).unwrap_or_default(),
                    o(&r.receipt_no),
                    o(&r.note),
                ]
                .into_iter(),
            );
        }
        out.into_bytes()
    }

    fn register_table(
        &self,
        q: &RegisterQuery,
        rows: &[RegisterRow],
        total: u64,
        now: jiff::Timestamp,
    ) -> Table {
        let col = |h: &str, w: f32| Column {
            header: h.into(),
            weight: w,
        };
        let mut info = vec![
            format!("单位：{}", self.config.bureau.name),
            format!(
                "期间：{}    打印时间：{}",
                q.period_zh(),
                self.local_time(now.as_millisecond())
            ),
        ];
        if total > rows.len() as u64 {
            info.push(format!(
                "共 {total} 条，本表列出最近的 {} 条；请缩小期间或检索条件",
                rows.len()
            ));
        } else {
            info.push(format!("共 {total} 条"));
        }
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        Table {
            title: "行政执法音像记录查阅登记簿".into(),
            info,
            columns: vec![
                col("日志序号", 0.8),
                col("时间", 1.5),
                col("类别", 0.8),
                col("查阅人及单位", 1.8),
                col("批准人", 1.3),
                col("查阅内容（案件/当事人/设备）", 2.8),
                col("事由", 1.8),
                col("费用（元）", 0.8),
                col("收据号", 1.0),
            ],
            rows: rows
                .iter()
                .map(|r| {
                    let kind =
                        register::kind(&r.kind).map_or(r.kind.clone(), |k| k.label_zh.to_owned());
                    let who = match &r.actor_unit {
                        Some(u) => format!("{}\n{u}", r.actor_name),
                        None => r.actor_name.clone(),
                    };
                    let what = [&r.case_name, &r.party, &r.device, &r.record_name]
                        .into_iter()
                        .flatten()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("\n");
                    vec![
                        r.seq.to_string(),
                        self.local_time(r.at_ms),
                        kind,
                        who,
                        o(&r.approved_by),
                        if what.is_empty() {
                            r.record_id.clone()
                        } else {
                            what
                        },
                        o(&r.purpose),
                        r.fee_cents.map(register::yuan).unwrap_or_default(),
                        o(&r.receipt_no),
                    ]
                })
                .collect(),
            empty: "所选期间内无登记".into(),
        }
    }
}

pub(crate) fn push_csv(out: &mut String, fields: impl Iterator<Item = String>) {
    let fields: Vec<String> = fields
        .map(|f| {
            // A leading = + - @ would be a formula in a spreadsheet: keep it text.
            let f = if f.starts_with(['=', '+', '-', '@']) {
                format!("'{f}")
            } else {
                f
            };
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f
            }
        })
        .collect();
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let mut s = String::new();
        push_csv(
            &mut s,
            ["a,b", "say \"hi\"", "=SUM(A1)", "-3.00", "普通"]
                .into_iter()
                .map(String::from),
        );
        assert_eq!(s, "\"a,b\",\"say \"\"hi\"\"\",'=SUM(A1),'-3.00,普通\r\n");
    }

    #[test]
    fn query_checks() {
        let bad_kind = RegisterQuery {
            kinds: vec!["steal".into()],
            ..Default::default()
        };
        assert!(bad_kind.check().is_err());
        let reversed = RegisterQuery {
            from: Some("2026-03-02".parse().unwrap()),
            to: Some("2026-03-01".parse().unwrap()),
            ..Default::default()
        };
        assert!(reversed.check().is_err());
        let long = RegisterQuery {
            text: Some("字".repeat(101)),
            ..Default::default()
        };
        assert!(long.check().is_err());
        assert!(RegisterQuery::default().check().is_ok());
        assert_eq!(RegisterQuery::default().period_zh(), "全部");
    }

    #[test]
    fn local_days_start_at_the_bureau_midnight() {
        let offset = Offset::from_hours(8).unwrap();
        let d: Date = "2026-03-02".parse().unwrap();
        let ms = day_start_ms(d, offset).unwrap();
        let utc: jiff::Timestamp = "2026-03-01T16:00:00Z".parse().unwrap();
        assert_eq!(ms, utc.as_millisecond());
    }
}
