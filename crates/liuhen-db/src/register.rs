//! Read models over the audit log: the access register (R4.1), the grants it names, and
//! acknowledgements of misconduct signals. The application projects log entries into these
//! tables incrementally (a cursor per projection); they can always be rebuilt from the log.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::AuditEntry;
use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx};

/// One use of one record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegisterRow {
    pub seq: u64,
    /// Empty when the entry names no record.
    pub record_id: String,
    pub at_ms: i64,
    /// Register kind code (`view`, `copy`, …).
    pub kind: String,
    pub actor: String,
    pub actor_name: String,
    pub actor_unit: Option<String>,
    /// Outside requester type (police, court, lawyer, …) when not staff.
    pub requester_type: Option<String>,
    /// Names of the approvers, joined by `、`.
    pub approved_by: Option<String>,
    pub record_agency: Option<String>,
    pub record_name: Option<String>,
    pub case_name: Option<String>,
    pub party: Option<String>,
    pub device: Option<String>,
    pub purpose: Option<String>,
    pub request_id: Option<String>,
    pub grant_id: Option<String>,
    pub fee_cents: Option<i64>,
    pub receipt_no: Option<String>,
    /// What else the entry says (seconds played, due date, …).
    pub note: Option<String>,
}

/// A grant as the log tells it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GrantRow {
    pub grant_id: String,
    pub request_id: Option<String>,
    pub user_id: Option<String>,
    pub approved_by: Option<String>,
    pub purpose: Option<String>,
    pub records: Vec<String>,
    pub granted_ms: i64,
    pub expires_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
    pub seqs: Vec<u64>,
}

/// One approval step of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRow {
    pub seq: u64,
    pub request_id: String,
    pub step: Option<String>,
    pub decision: Option<String>,
    pub approver: String,
}

/// A use as the signals need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseRow {
    pub seq: u64,
    pub at_ms: i64,
    pub actor: String,
    pub kind: String,
    /// Empty when the entry names no record.
    pub record_id: String,
    pub grant_id: Option<String>,
}

/// The columns of a record the register shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBrief {
    pub id: String,
    pub agency: Option<String>,
    pub original_name: String,
    pub case_name: Option<String>,
    pub party: Option<String>,
    pub device: Option<String>,
}

/// What the register is searched by; all parts optional and combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterFilter {
    pub from_ms: Option<i64>,
    /// Exclusive.
    pub to_ms: Option<i64>,
    pub kinds: Vec<String>,
    /// A user id, or part of a display name.
    pub person: Option<String>,
    /// A record id, exactly.
    pub record: Option<String>,
    /// Part of a case name.
    pub case: Option<String>,
    /// Part of any text column.
    pub text: Option<String>,
    /// Only records of this unit (a records keeper's scope).
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertAck {
    pub alert_key: String,
    pub kind: String,
    pub actor: String,
    pub acked_by: String,
    pub acked_ms: i64,
    pub note: String,
    pub entry_seq: u64,
}

/// A copy's fee paid (`fee.paid`), completing the register rows of its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeReceipt {
    pub request_id: String,
    pub receipt_no: String,
    pub fee_cents: Option<i64>,
}

/// What one projection step writes.
#[derive(Debug, Clone, Default)]
pub struct ProjectionBatch {
    pub rows: Vec<RegisterRow>,
    /// Grants created or changed, in log order (later ones replace earlier ones).
    pub grants: Vec<GrantRow>,
    pub approvals: Vec<ApprovalRow>,
    /// Fees paid after a copy was registered: the copy rows of the request get the receipt.
    pub receipts: Vec<FeeReceipt>,
    /// The last log entry read.
    pub last_seq: u64,
}

const ROW_COLUMNS: &str = "seq, record_id, at_ms, kind, actor, actor_name, actor_unit, \
     requester_type, approved_by, record_agency, record_name, case_name, party, device, \
     purpose, request_id, grant_id, fee_cents, receipt_no, note";

enum Arg {
    Text(String),
    Int(i64),
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

fn bind<'q>(mut q: AnyQuery<'q>, args: &[Arg]) -> AnyQuery<'q> {
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(s.clone()),
            Arg::Int(i) => q.bind(*i),
        };
    }
    q
}

fn like(s: &str) -> String {
    let mut out = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Appends a condition whose `?` marks take `values` as the next `$n` placeholders.
fn add(sql: &str, values: Vec<Arg>, args: &mut Vec<Arg>, parts: &mut Vec<String>) {
    let mut out = String::new();
    let mut values = values.into_iter();
    for c in sql.chars() {
        if c == '?' {
            args.push(values.next().expect("one value per mark"));
            out.push_str(&format!("${}", args.len()));
        } else {
            out.push(c);
        }
    }
    parts.push(out);
}

fn where_clause(f: &RegisterFilter) -> (String, Vec<Arg>) {
    let mut parts = Vec::new();
    let mut args = Vec::new();
    if let Some(v) = f.from_ms {
        add("at_ms >= ?", vec![Arg::Int(v)], &mut args, &mut parts);
    }
    if let Some(v) = f.to_ms {
        add("at_ms < ?", vec![Arg::Int(v)], &mut args, &mut parts);
    }
    if !f.kinds.is_empty() {
        let marks = vec!["?"; f.kinds.len()].join(", ");
        let values = f.kinds.iter().map(|k| Arg::Text(k.clone())).collect();
        add(&format!("kind IN ({marks})"), values, &mut args, &mut parts);
    }
    if let Some(v) = &f.person {
        add(
            "(actor = ? OR actor_name LIKE ? ESCAPE '\\')",
            vec![Arg::Text(v.clone()), Arg::Text(like(v))],
            &mut args,
            &mut parts,
        );
    }
    if let Some(v) = &f.record {
        add(
            "record_id = ?",
            vec![Arg::Text(v.clone())],
            &mut args,
            &mut parts,
        );
    }
    if let Some(v) = &f.case {
        add(
            "case_name LIKE ? ESCAPE '\\'",
            vec![Arg::Text(like(v))],
            &mut args,
            &mut parts,
        );
    }
    if let Some(v) = &f.text {
        let cols = [
            "actor_name",
            "actor_unit",
            "approved_by",
            "record_name",
            "case_name",
            "party",
            "device",
            "purpose",
            "receipt_no",
            "request_id",
            "record_id",
        ];
        let sql = cols
            .iter()
            .map(|c| format!("{c} LIKE ? ESCAPE '\\'"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let values = cols.iter().map(|_| Arg::Text(like(v))).collect();
        add(&format!("({sql})"), values, &mut args, &mut parts);
    }
    if let Some(v) = &f.unit {
        add(
            "record_agency = ?",
            vec![Arg::Text(v.clone())],
            &mut args,
            &mut parts,
        );
    }
    let clause = if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    };
    (clause, args)
}

fn decode_row(row: &AnyRow) -> Result<RegisterRow, sqlx::Error> {
    Ok(RegisterRow {
        seq: row.try_get::<i64, _>("seq")? as u64,
        record_id: row.try_get("record_id")?,
        at_ms: row.try_get("at_ms")?,
        kind: row.try_get("kind")?,
        actor: row.try_get("actor")?,
        actor_name: row.try_get("actor_name")?,
        actor_unit: row.try_get("actor_unit")?,
        requester_type: row.try_get("requester_type")?,
        approved_by: row.try_get("approved_by")?,
        record_agency: row.try_get("record_agency")?,
        record_name: row.try_get("record_name")?,
        case_name: row.try_get("case_name")?,
        party: row.try_get("party")?,
        device: row.try_get("device")?,
        purpose: row.try_get("purpose")?,
        request_id: row.try_get("request_id")?,
        grant_id: row.try_get("grant_id")?,
        fee_cents: row.try_get("fee_cents")?,
        receipt_no: row.try_get("receipt_no")?,
        note: row.try_get("note")?,
    })
}

fn decode_grant(row: &AnyRow) -> Result<GrantRow, sqlx::Error> {
    let records: String = row.try_get("records")?;
    let seqs: String = row.try_get("seqs")?;
    Ok(GrantRow {
        grant_id: row.try_get("grant_id")?,
        request_id: row.try_get("request_id")?,
        user_id: row.try_get("user_id")?,
        approved_by: row.try_get("approved_by")?,
        purpose: row.try_get("purpose")?,
        records: serde_json::from_str(&records).unwrap_or_default(),
        granted_ms: row.try_get("granted_ms")?,
        expires_ms: row.try_get("expires_ms")?,
        revoked_ms: row.try_get("revoked_ms")?,
        seqs: seqs.split(',').filter_map(|s| s.parse().ok()).collect(),
    })
}

impl Db {
    /// The last log entry a projection has read, if any.
    pub async fn projection_cursor(&self, name: &str) -> Result<Option<u64>, DbError> {
        let row = sqlx::query("SELECT last_seq FROM projection_cursors WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await
            .ctx("reading a projection cursor")?;
        row.map(|r| r.try_get::<i64, _>("last_seq").map(|v| v as u64))
            .transpose()
            .ctx("reading a projection cursor")
    }

    /// Entries with `after < seq < below` whose action is one of `actions`, oldest first.
    pub async fn entries_with_actions(
        &self,
        after: Option<u64>,
        below: u64,
        actions: &[&str],
        limit: u32,
    ) -> Result<Vec<AuditEntry>, DbError> {
        let marks: Vec<String> = (0..actions.len()).map(|i| format!("${}", i + 4)).collect();
        // Walk the log in seq order from the cursor. SQLite would otherwise pick the
        // (action, at_ms) index and sort every matching entry of the whole log on each call
        // (`+` keeps it off that index).
        let column = match self.backend() {
            crate::Backend::Sqlite => "+action",
            crate::Backend::Postgres => "action",
        };
        let sql = format!(
            "SELECT seq, at_ms, actor, action, subject, body, leaf_hash FROM audit_entries \
             WHERE seq > $1 AND seq < $2 AND {column} IN ({}) ORDER BY seq LIMIT $3",
            marks.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after.map(|s| s as i64).unwrap_or(-1))
            .bind(below as i64)
            .bind(i64::from(limit));
        for a in actions {
            q = q.bind(*a);
        }
        let rows = q
            .fetch_all(self.pool())
            .await
            .ctx("reading entries by action")?;
        rows.iter()
            .map(crate::audit::decode)
            .collect::<Result<_, _>>()
            .ctx("decoding audit entries")
    }

    /// Entries of one action in `[from_ms, to_ms)`, oldest first (index on action, time).
    pub async fn entries_of_action_between(
        &self,
        action: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<AuditEntry>, DbError> {
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor, action, subject, body, leaf_hash FROM audit_entries \
             WHERE action = $1 AND at_ms >= $2 AND at_ms < $3 ORDER BY seq",
        )
        .bind(action)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.pool())
        .await
        .ctx("reading entries of an action")?;
        rows.iter()
            .map(crate::audit::decode)
            .collect::<Result<_, _>>()
            .ctx("decoding audit entries")
    }

    /// Entries by sequence number (missing ones are skipped).
    pub async fn entries_by_seq(&self, seqs: &[u64]) -> Result<Vec<AuditEntry>, DbError> {
        let mut out = Vec::with_capacity(seqs.len());
        for chunk in seqs.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT seq, at_ms, actor, action, subject, body, leaf_hash FROM audit_entries \
                 WHERE seq IN ({}) ORDER BY seq",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for s in chunk {
                q = q.bind(*s as i64);
            }
            let rows = q.fetch_all(self.pool()).await.ctx("reading entries")?;
            for row in &rows {
                out.push(crate::audit::decode(row).ctx("decoding audit entries")?);
            }
        }
        Ok(out)
    }

    pub async fn register_grant(&self, id: &str) -> Result<Option<GrantRow>, DbError> {
        let row = sqlx::query("SELECT * FROM register_grants WHERE grant_id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .ctx("reading a grant")?;
        row.as_ref()
            .map(decode_grant)
            .transpose()
            .ctx("decoding a grant")
    }

    /// Grants given before `to_ms` and not revoked before `from_ms`.
    pub async fn register_grants_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<GrantRow>, DbError> {
        let rows = sqlx::query(
            "SELECT * FROM register_grants WHERE granted_ms < $1 \
             AND (revoked_ms IS NULL OR revoked_ms >= $2) ORDER BY granted_ms",
        )
        .bind(to_ms)
        .bind(from_ms)
        .fetch_all(self.pool())
        .await
        .ctx("reading grants")?;
        rows.iter()
            .map(decode_grant)
            .collect::<Result<_, _>>()
            .ctx("decoding grants")
    }

    /// Approvals of a request, in log order.
    pub async fn request_approvals(&self, request: &str) -> Result<Vec<ApprovalRow>, DbError> {
        let rows = sqlx::query(
            "SELECT seq, request_id, step, decision, approver FROM register_approvals \
             WHERE request_id = $1 ORDER BY seq",
        )
        .bind(request)
        .fetch_all(self.pool())
        .await
        .ctx("reading approvals")?;
        rows.iter()
            .map(|r| {
                Ok(ApprovalRow {
                    seq: r.try_get::<i64, _>("seq")? as u64,
                    request_id: r.try_get("request_id")?,
                    step: r.try_get("step")?,
                    decision: r.try_get("decision")?,
                    approver: r.try_get("approver")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .ctx("decoding approvals")
    }

    /// One page of the register, newest first, and the number of matching rows.
    pub async fn register_search(
        &self,
        filter: &RegisterFilter,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<RegisterRow>, u64), DbError> {
        let (clause, args) = where_clause(filter);
        let n = args.len();
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM register_rows{clause} \
             ORDER BY at_ms DESC, seq DESC, record_id LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let rows = bind(sqlx::query(sqlx::AssertSqlSafe(sql)), &args)
            .bind(i64::from(limit))
            .bind(offset.min(i64::MAX as u64) as i64)
            .fetch_all(self.pool())
            .await
            .ctx("searching the register")?;
        let rows = rows
            .iter()
            .map(decode_row)
            .collect::<Result<Vec<_>, _>>()
            .ctx("decoding register rows")?;
        let count_sql = format!("SELECT COUNT(*) AS n FROM register_rows{clause}");
        let row = bind(sqlx::query(sqlx::AssertSqlSafe(count_sql)), &args)
            .fetch_one(self.pool())
            .await
            .ctx("counting register rows")?;
        let total: i64 = row.try_get("n").ctx("counting register rows")?;
        Ok((rows, total as u64))
    }

    /// Uses in `[from_ms, to_ms)` for the signals, oldest first: (seq, at_ms, actor, kind,
    /// record id, grant id), one per entry (its first record).
    pub async fn register_uses_between(
        &self,
        from_ms: i64,
        to_ms: i64,
        limit: u32,
    ) -> Result<Vec<UseRow>, DbError> {
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor, kind, record_id, grant_id FROM register_rows \
             WHERE at_ms >= $1 AND at_ms < $2 ORDER BY seq, record_id LIMIT $3",
        )
        .bind(from_ms)
        .bind(to_ms)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .ctx("reading uses")?;
        let mut out: Vec<UseRow> = Vec::with_capacity(rows.len());
        for r in &rows {
            let seq = r.try_get::<i64, _>("seq").ctx("reading uses")? as u64;
            if out.last().is_some_and(|u| u.seq == seq) {
                continue;
            }
            out.push(UseRow {
                seq,
                at_ms: r.try_get("at_ms").ctx("reading uses")?,
                actor: r.try_get("actor").ctx("reading uses")?,
                kind: r.try_get("kind").ctx("reading uses")?,
                record_id: r.try_get("record_id").ctx("reading uses")?,
                grant_id: r.try_get("grant_id").ctx("reading uses")?,
            });
        }
        Ok(out)
    }

    /// What the register shows of records, by id (unknown ids are left out).
    pub async fn record_briefs(&self, ids: &[String]) -> Result<Vec<RecordBrief>, DbError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, agency, original_name, case_name, party, device FROM records \
                 WHERE id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.as_str());
            }
            let rows = q.fetch_all(self.pool()).await.ctx("reading records")?;
            for r in &rows {
                out.push(RecordBrief {
                    id: r.try_get("id").ctx("reading records")?,
                    agency: r.try_get("agency").ctx("reading records")?,
                    original_name: r.try_get("original_name").ctx("reading records")?,
                    case_name: r.try_get("case_name").ctx("reading records")?,
                    party: r.try_get("party").ctx("reading records")?,
                    device: r.try_get("device").ctx("reading records")?,
                });
            }
        }
        Ok(out)
    }

    /// Acknowledgements of these signal keys.
    pub async fn alert_acks(&self, keys: &[String]) -> Result<Vec<AlertAck>, DbError> {
        let mut out = Vec::new();
        for chunk in keys.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT alert_key, kind, actor, acked_by, acked_ms, note, entry_seq \
                 FROM alert_acks WHERE alert_key IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for k in chunk {
                q = q.bind(k.as_str());
            }
            let rows = q
                .fetch_all(self.pool())
                .await
                .ctx("reading acknowledgements")?;
            for r in &rows {
                out.push(AlertAck {
                    alert_key: r.try_get("alert_key").ctx("reading acknowledgements")?,
                    kind: r.try_get("kind").ctx("reading acknowledgements")?,
                    actor: r.try_get("actor").ctx("reading acknowledgements")?,
                    acked_by: r.try_get("acked_by").ctx("reading acknowledgements")?,
                    acked_ms: r.try_get("acked_ms").ctx("reading acknowledgements")?,
                    note: r.try_get("note").ctx("reading acknowledgements")?,
                    entry_seq: r
                        .try_get::<i64, _>("entry_seq")
                        .ctx("reading acknowledgements")? as u64,
                });
            }
        }
        Ok(out)
    }
}

impl Tx {
    /// Writes one projection step and moves the cursor forward (never back). Replaying a
    /// step is harmless: rows already present are kept, grants are rewritten the same.
    pub async fn apply_projection(
        &mut self,
        name: &str,
        batch: &ProjectionBatch,
    ) -> Result<(), DbError> {
        // Several rows per statement: 20 values each, well under both backends' limits.
        for chunk in batch.rows.chunks(50) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let marks: Vec<String> = (1..=20).map(|c| format!("${}", i * 20 + c)).collect();
                    format!("({})", marks.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO register_rows ({ROW_COLUMNS}) VALUES {} \
                 ON CONFLICT (seq, record_id) DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.seq as i64)
                    .bind(r.record_id.clone())
                    .bind(r.at_ms)
                    .bind(r.kind.clone())
                    .bind(r.actor.clone())
                    .bind(r.actor_name.clone())
                    .bind(r.actor_unit.clone())
                    .bind(r.requester_type.clone())
                    .bind(r.approved_by.clone())
                    .bind(r.record_agency.clone())
                    .bind(r.record_name.clone())
                    .bind(r.case_name.clone())
                    .bind(r.party.clone())
                    .bind(r.device.clone())
                    .bind(r.purpose.clone())
                    .bind(r.request_id.clone())
                    .bind(r.grant_id.clone())
                    .bind(r.fee_cents)
                    .bind(r.receipt_no.clone())
                    .bind(r.note.clone());
            }
            q.execute(self.conn())
                .await
                .in_tx(&self.health, "writing register rows")?;
        }
        for g in &batch.grants {
            sqlx::query("DELETE FROM register_grants WHERE grant_id = $1")
                .bind(g.grant_id.as_str())
                .execute(self.conn())
                .await
                .in_tx(&self.health, "writing a grant")?;
            let seqs: Vec<String> = g.seqs.iter().map(u64::to_string).collect();
            sqlx::query(
                "INSERT INTO register_grants (grant_id, request_id, user_id, approved_by, \
                 purpose, records, granted_ms, expires_ms, revoked_ms, seqs) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(g.grant_id.as_str())
            .bind(g.request_id.as_deref())
            .bind(g.user_id.as_deref())
            .bind(g.approved_by.as_deref())
            .bind(g.purpose.as_deref())
            .bind(serde_json::to_string(&g.records).unwrap_or_else(|_| "[]".into()))
            .bind(g.granted_ms)
            .bind(g.expires_ms)
            .bind(g.revoked_ms)
            .bind(seqs.join(","))
            .execute(self.conn())
            .await
            .in_tx(&self.health, "writing a grant")?;
        }
        // After the rows: a fee paid in the same step as its copy still finds it.
        for f in &batch.receipts {
            sqlx::query(
                "UPDATE register_rows SET receipt_no = $1, fee_cents = COALESCE($2, fee_cents) \
                 WHERE request_id = $3 AND kind = 'copy'",
            )
            .bind(f.receipt_no.as_str())
            .bind(f.fee_cents)
            .bind(f.request_id.as_str())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "writing a receipt")?;
        }
        for a in &batch.approvals {
            sqlx::query(
                "INSERT INTO register_approvals (seq, request_id, step, decision, approver) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING",
            )
            .bind(a.seq as i64)
            .bind(a.request_id.as_str())
            .bind(a.step.as_deref())
            .bind(a.decision.as_deref())
            .bind(a.approver.as_str())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "writing an approval")?;
        }
        sqlx::query(
            "INSERT INTO projection_cursors (name, last_seq) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET last_seq = excluded.last_seq \
             WHERE projection_cursors.last_seq < excluded.last_seq",
        )
        .bind(name)
        .bind(batch.last_seq as i64)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "moving a projection cursor")?;
        Ok(())
    }

    /// Records a supervisor's acknowledgement; `false` if the signal was already acknowledged.
    pub async fn insert_alert_ack(&mut self, ack: &AlertAck) -> Result<bool, DbError> {
        let done = sqlx::query(
            "INSERT INTO alert_acks (alert_key, kind, actor, acked_by, acked_ms, note, entry_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (alert_key) DO NOTHING",
        )
        .bind(ack.alert_key.as_str())
        .bind(ack.kind.as_str())
        .bind(ack.actor.as_str())
        .bind(ack.acked_by.as_str())
        .bind(ack.acked_ms)
        .bind(ack.note.as_str())
        .bind(ack.entry_seq as i64)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "recording an acknowledgement")?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn alert_acknowledged(&mut self, key: &str) -> Result<bool, DbError> {
        let row = sqlx::query("SELECT 1 AS one FROM alert_acks WHERE alert_key = $1")
            .bind(key)
            .fetch_optional(self.conn())
            .await
            .in_tx(&self.health, "reading an acknowledgement")?;
        Ok(row.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_numbers_placeholders_in_order() {
        let f = RegisterFilter {
            from_ms: Some(1),
            kinds: vec!["view".into(), "copy".into()],
            person: Some("张".into()),
            text: Some("50%".into()),
            unit: Some("甲局".into()),
            ..Default::default()
        };
        let (sql, args) = where_clause(&f);
        assert_eq!(args.len(), 17);
        assert!(sql.contains("at_ms >= $1"), "{sql}");
        assert!(sql.contains("kind IN ($2, $3)"), "{sql}");
        assert!(sql.contains("(actor = $4 OR actor_name LIKE $5"), "{sql}");
        assert!(sql.contains("(actor_name LIKE $6"), "{sql}");
        assert!(sql.contains("record_id LIKE $16"), "{sql}");
        assert!(sql.contains("record_agency = $17"), "{sql}");
        assert!(matches!(&args[5], Arg::Text(s) if s == "%50\\%%"));
        assert_eq!(where_clause(&RegisterFilter::default()).0, "");
    }
}
