//! Misconduct signals for supervisors (R3.13): computed on demand from the log (refusals by
//! the index on action and time, uses from the register's projection, grants), with the
//! pure rules of `liuhen_domain::signals`. Acknowledgements are stored and logged. And the
//! one answer to "delete this original": no (R3.13, R4.7), logged as a refusal.

use std::collections::HashMap;

use jiff::civil::Date;
use liuhen_db::NewEntry;
pub use liuhen_db::{AlertAck, AuditEntry, EntryBody};
use liuhen_domain::authz::{Action, Principal, RecordScope, Target};
use liuhen_domain::signals::{
    self, Grant, Input, IntegrityEvent, Refusal, Signal, SignalKind, Use,
};
use liuhen_domain::{AuditAction, RecordId};

use crate::{AppError, Custody};

/// Most register rows one computation reads (a longer period is refused as too large).
const MAX_USES: u32 = 500_000;
const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Default)]
pub struct AlertQuery {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub kind: Option<SignalKind>,
    /// Show acknowledged signals too.
    pub all: bool,
    /// 1-based page of [`ALERTS_PER_PAGE`] alerts.
    pub page: u32,
}

pub const ALERTS_PER_PAGE: usize = 50;
/// Evidence entries shown per alert (all are counted).
pub const EVIDENCE_SHOWN: usize = 50;

#[derive(Debug, Clone)]
pub struct AlertView {
    pub key: String,
    pub signal: Signal,
    pub actor_name: String,
    pub ack: Option<AlertAck>,
    pub acked_by_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AlertList {
    pub alerts: Vec<AlertView>,
    /// Alerts in the period (after the filter), over all pages.
    pub total: usize,
    pub page: u32,
    pub pages: u32,
    /// Entries behind the listed signals (evidence and context), by sequence number.
    pub entries: HashMap<u64, AuditEntry>,
    pub from: Date,
    pub to: Date,
}

impl Custody {
    /// Signals in a period (default: the configured lookback up to today), newest first.
    pub async fn alerts(&self, by: &Principal, q: &AlertQuery) -> Result<AlertList, AppError> {
        self.authorize(by, Action::ViewAlerts, Target::System, None)
            .await?;
        let offset = self.bureau_offset();
        let today = offset.to_datetime(self.now()).date();
        let settings = &self.config.supervision.signals;
        let to = q.to.unwrap_or(today);
        let from = match q.from {
            Some(f) => f,
            None => to
                .checked_sub(jiff::Span::new().days(i64::from(settings.lookback_days)))
                .unwrap_or(to),
        };
        if from > to {
            return Err(AppError::Invalid("起始日期不能晚于结束日期".into()));
        }
        let start = |d: Date| {
            offset
                .to_timestamp(d.to_datetime(jiff::civil::time(0, 0, 0, 0)))
                .map(|t| t.as_millisecond())
                .map_err(|_| AppError::Invalid("日期超出范围".into()))
        };
        let from_ms = start(from)?;
        let to_ms = start(to.tomorrow().unwrap_or(to))?;
        self.raise_overdue_reviews(self.now()).await?;
        let mut t = settings.thresholds(offset.seconds());
        self.config.decisions.share_calendar(&mut t);
        let mut found = self.signals_between(&t, from_ms, to_ms).await?;
        if let Some(k) = q.kind {
            found.retain(|s| s.kind == k);
        }
        let keys: Vec<String> = found.iter().map(Signal::key).collect();
        let acks: HashMap<String, AlertAck> = self
            .db
            .alert_acks(&keys)
            .await?
            .into_iter()
            .map(|a| (a.alert_key.clone(), a))
            .collect();
        if !q.all {
            found.retain(|s| !acks.contains_key(&s.key()));
        }
        let total = found.len();
        let pages = total.div_ceil(ALERTS_PER_PAGE).max(1) as u32;
        let page = q.page.clamp(1, pages);
        let shown = found
            .into_iter()
            .skip((page as usize - 1) * ALERTS_PER_PAGE)
            .take(ALERTS_PER_PAGE);
        let mut names = HashMap::new();
        let mut alerts = Vec::new();
        for s in shown {
            let key = s.key();
            let ack = acks.get(&key).cloned();
            let actor_name = self.display_name(&mut names, &s.actor).await?;
            let acked_by_name = match &ack {
                Some(a) => Some(self.display_name(&mut names, &a.acked_by).await?),
                None => None,
            };
            alerts.push(AlertView {
                key,
                signal: s,
                actor_name,
                ack,
                acked_by_name,
            });
        }
        let seqs: Vec<u64> = alerts
            .iter()
            .flat_map(|a| {
                a.signal
                    .evidence
                    .iter()
                    .take(EVIDENCE_SHOWN)
                    .chain(&a.signal.context)
            })
            .copied()
            .collect();
        let mut entries = self
            .db
            .entries_by_seq(&seqs)
            .await?
            .into_iter()
            .map(|e| (e.seq, e))
            .collect();
        self.redact_entries(by, &mut entries).await?;
        self.log_event(NewEntry {
            actor: by.user_id.clone(),
            action: AuditAction::AlertsViewed,
            subject: Some("alerts".into()),
            details: serde_json::json!({
                "from": from.to_string(),
                "to": to.to_string(),
                "kind": q.kind.map(SignalKind::code),
                "all": q.all,
                "page": page,
                "listed": alerts.len(),
                "total": total,
            }),
        })
        .await?;
        Ok(AlertList {
            alerts,
            total,
            page,
            pages,
            entries,
            from,
            to,
        })
    }

    async fn display_name(
        &self,
        cache: &mut HashMap<String, String>,
        id: &str,
    ) -> Result<String, AppError> {
        if let Some(n) = cache.get(id) {
            return Ok(n.clone());
        }
        let name = match self.db.user_by_id(id).await? {
            Some(u) => format!("{}（{}）", u.display_name, u.username),
            None => id.to_owned(),
        };
        cache.insert(id.to_owned(), name.clone());
        Ok(name)
    }

    /// The pure detection over the events of `[from_ms, to_ms)`, read with a lookback of
    /// the longest window so that a burst across the start is seen whole.
    pub async fn signals_between(
        &self,
        t: &signals::Thresholds,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Signal>, AppError> {
        self.sync_register().await?;
        let look = from_ms - t.refusals_window_ms.max(t.bulk_window_ms);
        let refusals: Vec<Refusal> = self
            .db
            .entries_of_action_between(AuditAction::AccessRefused.as_str(), look, to_ms)
            .await?
            .into_iter()
            .map(|e| {
                let d = EntryBody::parse(&e.body)
                    .map(|b| b.details)
                    .unwrap_or_default();
                let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
                Refusal {
                    seq: e.seq,
                    at_ms: e.at_ms,
                    actor: e.actor,
                    action: s("action"),
                    reason: s("reason"),
                }
            })
            .collect();
        let rows = self
            .db
            .register_uses_between(look, to_ms, MAX_USES + 1)
            .await?;
        if rows.len() > MAX_USES as usize {
            return Err(AppError::Invalid(format!(
                "所选期间的使用记录超过 {MAX_USES} 条，请缩短期间"
            )));
        }
        let uses: Vec<Use> = rows
            .into_iter()
            .map(|r| Use {
                seq: r.seq,
                at_ms: r.at_ms,
                actor: r.actor,
                kind: r.kind,
                record: Some(r.record_id).filter(|s| !s.is_empty()),
                grant: r.grant_id,
            })
            .collect();
        let grants: Vec<Grant> = self
            .db
            .register_grants_between(look - 366 * DAY_MS, to_ms)
            .await?
            .into_iter()
            .map(|g| Grant {
                id: g.grant_id,
                user: g.user_id,
                records: g.records,
                granted_ms: g.granted_ms,
                expires_ms: g.expires_ms,
                revoked_ms: g.revoked_ms,
                seqs: g.seqs,
            })
            .collect();
        let mut integrity = Vec::new();
        for action in [AuditAction::FixityFailed, AuditAction::DownloadAborted] {
            for e in self
                .db
                .entries_of_action_between(action.as_str(), from_ms, to_ms)
                .await?
            {
                let d = EntryBody::parse(&e.body)
                    .map(|b| b.details)
                    .unwrap_or_default();
                integrity.push(IntegrityEvent {
                    seq: e.seq,
                    at_ms: e.at_ms,
                    actor: e.actor,
                    outcome: d["outcome"]
                        .as_str()
                        .unwrap_or("download_aborted")
                        .to_owned(),
                });
            }
        }
        let found = signals::detect(
            &Input {
                refusals: &refusals,
                uses: &uses,
                grants: &grants,
                integrity: &integrity,
            },
            t,
        );
        // Signals made only of lookback events belong to the previous period.
        let mut found: Vec<Signal> = found.into_iter().filter(|s| s.last_ms >= from_ms).collect();
        found.extend(self.overdue_review_signals(from_ms, to_ms).await?);
        found.sort_by_key(|s| std::cmp::Reverse((s.last_ms, s.kind)));
        Ok(found)
    }

    /// One signal per overdue-review alert raised in `[from_ms, to_ms)` (the entry is its
    /// evidence; detail: case number, round and time limit).
    async fn overdue_review_signals(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Signal>, AppError> {
        let entries = self
            .db
            .entries_of_action_between(AuditAction::DecisionReviewOverdue.as_str(), from_ms, to_ms)
            .await?;
        Ok(entries
            .into_iter()
            .map(|e| {
                let d = EntryBody::parse(&e.body)
                    .map(|b| b.details)
                    .unwrap_or_default();
                let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
                Signal {
                    kind: SignalKind::ReviewOverdue,
                    actor: e.actor,
                    first_ms: e.at_ms,
                    last_ms: e.at_ms,
                    evidence: vec![e.seq],
                    context: Vec::new(),
                    detail: format!(
                        "{} · {} · {}",
                        s("case_number"),
                        d.get("round").and_then(|v| v.as_i64()).unwrap_or(0),
                        s("due_date")
                    ),
                }
            })
            .collect())
    }

    /// A supervisor acknowledges a signal, with a note of what was found (stored, logged).
    pub async fn acknowledge_alert(
        &self,
        by: &Principal,
        key: &str,
        note: &str,
    ) -> Result<(), AppError> {
        self.authorize(by, Action::AcknowledgeAlert, Target::System, None)
            .await?;
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 500 {
            return Err(AppError::Invalid("请填写核查说明（500 字以内）".into()));
        }
        let bad = || AppError::Invalid("预警标识无效".into());
        let mut parts = key.split(':');
        let (Some(kind), Some(seq)) = (parts.next(), key.rsplit(':').next()) else {
            return Err(bad());
        };
        let kind = SignalKind::parse(kind).ok_or_else(bad)?;
        let seq: u64 = seq.parse().map_err(|_| bad())?;
        let actor = key
            .strip_prefix(kind.code())
            .and_then(|r| r.strip_prefix(':'))
            .and_then(|r| r.strip_suffix(&format!(":{seq}")))
            .ok_or_else(bad)?;
        let first = self.db.entries_by_seq(&[seq]).await?;
        let Some(first) = first.first() else {
            return Err(AppError::NotFound(format!("alert {key}")));
        };
        let about_actor =
            first.actor == actor || first.body.contains(&format!("\"user\":\"{actor}\""));
        if !about_actor {
            return Err(bad());
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if tx.alert_acknowledged(key).await? {
            return Err(AppError::Invalid("该预警已确认".into()));
        }
        let entry = tx
            .append(
                now,
                NewEntry {
                    actor: by.user_id.clone(),
                    action: AuditAction::AlertAcknowledged,
                    subject: Some(format!("alert:{key}")),
                    details: serde_json::json!({
                        "kind": kind.code(),
                        "person": actor,
                        "first_seq": seq,
                        "note": note,
                    }),
                },
            )
            .await?;
        tx.insert_alert_ack(&AlertAck {
            alert_key: key.to_owned(),
            kind: kind.code().to_owned(),
            actor: actor.to_owned(),
            acked_by: by.user_id.clone(),
            acked_ms: now.as_millisecond(),
            note: note.to_owned(),
            entry_seq: entry.seq,
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deleting an original is never allowed: the attempt is refused through the single
    /// authorization point (logged as `access.refused` with action `record.delete`) and
    /// answered with `originals_never_deleted`.
    pub async fn refuse_record_delete(&self, by: &Principal, id: &str) -> AppError {
        let record = match RecordId::parse(id) {
            Ok(rid) => self.db.record(&rid).await.ok().flatten().map(|(r, _)| r),
            Err(_) => None,
        };
        let scope = RecordScope::plain(
            record
                .as_ref()
                .and_then(|r| r.classification.agency.as_deref()),
            record.as_ref().and_then(|r| r.officer_id.as_deref()),
        );
        let subject = format!("record:{id}");
        match self
            .authorize(
                by,
                Action::DeleteRecord,
                Target::Record(scope),
                Some(&subject),
            )
            .await
        {
            Err(AppError::Forbidden { .. }) => AppError::Forbidden {
                code: "originals_never_deleted",
            },
            Err(other) => other,
            // The policy never allows it; should that ever change, still refuse.
            Ok(_) => AppError::Forbidden {
                code: "originals_never_deleted",
            },
        }
    }
}
