//! Finding, viewing and reclassifying records on behalf of a signed-in user (R3.2, R6.1).
//! Lists are restricted in the query by the user's visibility; one record is shown only
//! after the single authorization point allowed it, and every view is logged.

use jiff::Timestamp;
use jiff::civil::Date;
use liuhen_db::{AuditEntry, NewEntry};
pub use liuhen_db::{COUNT_CAP, MAX_PAGE_SIZE, RecordFilter, RecordSort, SortField};
use liuhen_domain::authz::{Action, Principal, record_visibility};
use liuhen_domain::{AuditAction, MediaKind, Record, RecordId};

use crate::records::ClassificationChange;
use crate::{AppError, Custody};

/// Default number of rows per page.
pub const DEFAULT_PAGE_SIZE: u32 = 20;

/// A search as the user states it: dates are calendar days in the bureau's time zone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchRequest {
    pub agency: Option<String>,
    pub device: Option<String>,
    pub officer: Option<String>,
    pub case_name: Option<String>,
    pub party: Option<String>,
    pub record_date_from: Option<Date>,
    pub record_date_to: Option<Date>,
    pub stored_date_from: Option<Date>,
    pub stored_date_to: Option<Date>,
    pub kind: Option<MediaKind>,
    pub late: Option<bool>,
    pub probe_error: Option<bool>,
    pub text: Option<String>,
    pub sort: RecordSort,
    /// 1-based.
    pub page: u32,
    /// 1..=[`MAX_PAGE_SIZE`]; 0 means the default.
    pub page_size: u32,
}

#[derive(Debug, Clone)]
pub struct SearchResult {
    pub records: Vec<Record>,
    /// Matching records, at most [`COUNT_CAP`].
    pub total: u64,
    /// More than [`COUNT_CAP`] records match; `total` is a lower bound.
    pub total_capped: bool,
    pub page: u32,
    pub page_size: u32,
    /// Number of pages reachable with `total` (at least 1).
    pub pages: u32,
}

/// One entry of a record's audit trail, ready to show.
#[derive(Debug, Clone)]
pub struct TrailEntry {
    pub seq: u64,
    pub at: Timestamp,
    pub actor_id: String,
    /// The actor's display name, when the actor is a known user.
    pub actor_name: Option<String>,
    pub action: Option<AuditAction>,
    pub action_code: String,
    /// The stated reason, for changes that carry one.
    pub reason: Option<String>,
}

/// A record as its page shows it.
#[derive(Debug, Clone)]
pub struct RecordView {
    pub record: Record,
    /// Oldest first; includes the view just logged.
    pub trail: Vec<TrailEntry>,
    /// Whether the viewer may change the classification (records keeper of the unit).
    pub can_edit: bool,
}

/// How a record was looked at, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Web,
    Api,
    /// `liuhen record show`
    Cli,
}

impl Channel {
    fn code(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Api => "api",
            Self::Cli => "cli",
        }
    }
}

impl Custody {
    /// The records `who` may see that match `req`, one page of them.
    pub async fn search_records(
        &self,
        who: &Principal,
        req: &SearchRequest,
    ) -> Result<SearchResult, AppError> {
        let tz = self.tz();
        let day_start = |d: Date| -> Result<i64, AppError> {
            Ok(d.to_zoned_datetime(tz.clone())
                .map_err(|e| AppError::Invalid(format!("日期无效 (invalid date): {e}")))?
                .timestamp()
                .as_millisecond())
        };
        if let (Some(a), Some(b)) = (req.record_date_from, req.record_date_to)
            && a > b
        {
            return Err(AppError::Invalid(
                "记录日期的起始日期不能晚于结束日期".into(),
            ));
        }
        if let (Some(a), Some(b)) = (req.stored_date_from, req.stored_date_to)
            && a > b
        {
            return Err(AppError::Invalid(
                "存储日期的起始日期不能晚于结束日期".into(),
            ));
        }
        let filter = RecordFilter {
            agency: req.agency.clone(),
            device: req.device.clone(),
            officer: req.officer.clone(),
            case_name: req.case_name.clone(),
            party: req.party.clone(),
            record_date_from: req.record_date_from,
            record_date_to: req.record_date_to,
            stored_from_ms: req.stored_date_from.map(day_start).transpose()?,
            stored_before_ms: req
                .stored_date_to
                .and_then(|d| d.tomorrow().ok())
                .map(day_start)
                .transpose()?,
            kind: req.kind,
            late: req.late,
            probe_error: req.probe_error,
            text: req.text.clone(),
        };
        let page_size = match req.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let page = req.page.max(1);
        let offset = u64::from(page - 1) * u64::from(page_size);
        // Free text: pages reach as far as the count does (COUNT_CAP); deeper pages would
        // sort every match of a common term.
        let has_text = [&req.text, &req.case_name, &req.party]
            .iter()
            .any(|t| t.as_deref().is_some_and(|t| !t.trim().is_empty()));
        if has_text && offset >= COUNT_CAP {
            return Err(AppError::Invalid(format!(
                "按文字搜索时最多显示前 {COUNT_CAP} 条结果，请增加条件（如日期、执法人员）缩小范围"
            )));
        }
        let mut found = self
            .db
            .search_records(
                &record_visibility(&self.policy, who, self.now().as_millisecond()),
                &filter,
                req.sort,
                offset,
                page_size,
            )
            .await?;
        // The visibility read grants and labels straight from their tables: a row whose
        // binding does not verify is refused and alerted, as for a single record.
        let dropped = self
            .drop_broken_rows(
                who,
                &mut found.records,
                &crate::use_log::record_query_details(req),
            )
            .await?;
        found.total = found.total.saturating_sub(dropped as u64);
        self.log_search(
            who,
            AuditAction::RecordsSearched,
            crate::use_log::record_query_details(req),
        )
        .await?;
        let pages = found.total.div_ceil(u64::from(page_size)).max(1);
        Ok(SearchResult {
            records: found.records,
            total: found.total,
            total_capped: found.total_capped,
            page,
            page_size,
            pages: u32::try_from(pages).unwrap_or(u32::MAX),
        })
    }

    /// Shows one record to `who`: authorizes (a refusal is logged by the authorization
    /// point), logs the view in its own transaction, returns the record and its trail.
    pub async fn view_record(
        &self,
        who: &Principal,
        id: &RecordId,
        channel: Channel,
    ) -> Result<RecordView, AppError> {
        let record = self.record(id).await?;
        let subject = format!("record:{id}");
        let allowed = self
            .authorize_record(who, Action::ViewRecord, &record)
            .await?;
        let mut details = serde_json::json!({ "via": channel.code() });
        allowed.annotate(&mut details);
        let mut tx = self.db.begin().await?;
        tx.append(
            self.now(),
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::RecordViewed,
                subject: Some(subject),
                details,
            },
        )
        .await?;
        tx.commit().await?;
        let trail = self.trail(id).await?;
        let facts = self.record_facts(who, &record).await?;
        let can_edit = self.allows(who, Action::EditRecord, &facts);
        Ok(RecordView {
            record,
            trail,
            can_edit,
        })
    }

    /// Authorizes taking the original away (keepers of the unit; borrowers under a loan)
    /// and logs `record.downloaded` (with the grant and its purpose when one allowed it).
    pub async fn download_original(
        &self,
        who: &Principal,
        id: &RecordId,
    ) -> Result<Record, AppError> {
        let record = self.record(id).await?;
        let allowed = self
            .authorize_record(who, Action::DownloadOriginal, &record)
            .await?;
        let mut details = serde_json::json!({
            "sha256": record.sha256.to_hex(),
            "size_bytes": record.size_bytes,
        });
        allowed.annotate(&mut details);
        self.log_event(NewEntry {
            actor: who.user_id.clone(),
            action: AuditAction::RecordDownloaded,
            subject: Some(format!("record:{id}")),
            details,
        })
        .await?;
        Ok(record)
    }

    /// Changes a record's classification for `who` (records keeper of the record's unit),
    /// with a required reason; refusals are logged by the authorization point. The record
    /// stays in `who`'s unit: moving it to another is refused (issue 10.3).
    pub async fn reclassify(
        &self,
        who: &Principal,
        id: &RecordId,
        change: &ClassificationChange,
        reason: &str,
    ) -> Result<Record, AppError> {
        let record = self.record(id).await?;
        self.authorize_record(who, Action::EditRecord, &record)
            .await?;
        if let Some(agency) = change.agency.as_deref().map(str::trim)
            && Some(agency) != record.classification.agency.as_deref()
            && (agency.is_empty() || self.own_unit(who, Some(agency)).is_err())
        {
            return Err(AppError::Forbidden { code: "other_unit" });
        }
        self.change_classification(id, change, reason, &who.user_id)
            .await
    }

    async fn trail(&self, id: &RecordId) -> Result<Vec<TrailEntry>, AppError> {
        let entries: Vec<AuditEntry> = self.record_history(id).await?;
        let actors: Vec<String> = entries.iter().map(|e| e.actor.clone()).collect();
        let names = self.db.display_names(&actors).await?;
        Ok(entries
            .into_iter()
            .map(|e| {
                let reason = liuhen_db::EntryBody::parse(&e.body)
                    .ok()
                    .and_then(|b| b.details.get("reason")?.as_str().map(str::to_owned));
                TrailEntry {
                    seq: e.seq,
                    at: Timestamp::from_millisecond(e.at_ms).unwrap_or_default(),
                    actor_name: names.get(&e.actor).cloned(),
                    actor_id: e.actor,
                    action: AuditAction::parse(&e.action),
                    action_code: e.action,
                    reason,
                }
            })
            .collect())
    }
}
