//! Decisions on cases, their legal-review rounds and the legal qualifications of accounts
//! (issue 13). Rows are written whole; each write is paired by the caller with an audit
//! entry carrying the row as it became, in the same transaction.

use liuhen_domain::decision::{DecisionKind, DecisionStatus, PartyType, ReviewOutcome};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRow {
    pub id: String,
    pub case_id: String,
    pub kind: DecisionKind,
    pub measure: String,
    pub party_type: PartyType,
    pub party_name: String,
    /// 0 when the measure is not a fine.
    pub fine_fen: i64,
    pub after_hearing: bool,
    pub summary: String,
    pub marked_reason: String,
    pub draft_sha256: String,
    pub draft_name: String,
    pub draft_version: i64,
    pub status: DecisionStatus,
    pub created_by: String,
    pub created_ms: i64,
    pub issued_ms: i64,
    pub served_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundRow {
    pub id: String,
    pub decision_id: String,
    pub round: i64,
    pub submitted_by: String,
    pub submitted_ms: i64,
    pub materials: Vec<String>,
    pub draft_sha256: String,
    /// YYYY-MM-DD.
    pub due_date: String,
    pub extend_reason: String,
    pub outcome: Option<ReviewOutcome>,
    pub opinion: String,
    pub changes: String,
    pub reviewer: String,
    pub reviewer_cert: String,
    pub reviewed_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualificationRow {
    pub user_id: String,
    pub cert_no: String,
    pub set_by: String,
    pub set_ms: i64,
}

const DECISION_COLS: &str = "id, case_id, kind, measure, party_type, party_name, fine_fen, \
    after_hearing, summary, marked_reason, draft_sha256, draft_name, draft_version, status, \
    created_by, created_ms, issued_ms, served_ms";
const ROUND_COLS: &str = "id, decision_id, round, submitted_by, submitted_ms, materials, \
    draft_sha256, due_date, extend_reason, outcome, opinion, changes, reviewer, reviewer_cert, \
    reviewed_ms";

fn corrupt(what: &str, detail: String) -> DbError {
    DbError::Corrupt {
        what: what.to_owned(),
        detail,
    }
}

fn decision_of(r: &AnyRow) -> Result<DecisionRow, DbError> {
    let c = "decoding a decision";
    let id: String = r.try_get("id").ctx(c)?;
    let what = format!("decision {id}");
    let kind: String = r.try_get("kind").ctx(c)?;
    let party: String = r.try_get("party_type").ctx(c)?;
    let status: String = r.try_get("status").ctx(c)?;
    let hearing: i64 = r.try_get("after_hearing").ctx(c)?;
    Ok(DecisionRow {
        case_id: r.try_get("case_id").ctx(c)?,
        kind: kind
            .parse()
            .map_err(|e| corrupt(&what, format!("kind {e}")))?,
        measure: r.try_get("measure").ctx(c)?,
        party_type: party
            .parse()
            .map_err(|e| corrupt(&what, format!("party {e}")))?,
        party_name: r.try_get("party_name").ctx(c)?,
        fine_fen: r.try_get("fine_fen").ctx(c)?,
        after_hearing: hearing != 0,
        summary: r.try_get("summary").ctx(c)?,
        marked_reason: r.try_get("marked_reason").ctx(c)?,
        draft_sha256: r.try_get("draft_sha256").ctx(c)?,
        draft_name: r.try_get("draft_name").ctx(c)?,
        draft_version: r.try_get("draft_version").ctx(c)?,
        status: status
            .parse()
            .map_err(|e| corrupt(&what, format!("status {e}")))?,
        created_by: r.try_get("created_by").ctx(c)?,
        created_ms: r.try_get("created_ms").ctx(c)?,
        issued_ms: r.try_get("issued_ms").ctx(c)?,
        served_ms: r.try_get("served_ms").ctx(c)?,
        id,
    })
}

fn round_of(r: &AnyRow) -> Result<RoundRow, DbError> {
    let c = "decoding a review round";
    let id: String = r.try_get("id").ctx(c)?;
    let outcome: String = r.try_get("outcome").ctx(c)?;
    let materials: String = r.try_get("materials").ctx(c)?;
    Ok(RoundRow {
        decision_id: r.try_get("decision_id").ctx(c)?,
        round: r.try_get("round").ctx(c)?,
        submitted_by: r.try_get("submitted_by").ctx(c)?,
        submitted_ms: r.try_get("submitted_ms").ctx(c)?,
        materials: materials
            .split(',')
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .collect(),
        draft_sha256: r.try_get("draft_sha256").ctx(c)?,
        due_date: r.try_get("due_date").ctx(c)?,
        extend_reason: r.try_get("extend_reason").ctx(c)?,
        outcome: if outcome.is_empty() {
            None
        } else {
            Some(
                outcome
                    .parse()
                    .map_err(|e| corrupt(&format!("review {id}"), format!("outcome {e}")))?,
            )
        },
        opinion: r.try_get("opinion").ctx(c)?,
        changes: r.try_get("changes").ctx(c)?,
        reviewer: r.try_get("reviewer").ctx(c)?,
        reviewer_cert: r.try_get("reviewer_cert").ctx(c)?,
        reviewed_ms: r.try_get("reviewed_ms").ctx(c)?,
        id,
    })
}

impl Tx {
    /// Inserts or replaces a decision's row (updated in place: review rounds refer to it).
    pub async fn put_decision(&mut self, d: &DecisionRow) -> Result<(), DbError> {
        let set: Vec<String> = DECISION_COLS
            .split(", ")
            .enumerate()
            .skip(1)
            .map(|(i, c)| format!("{} = ${}", c.trim(), i + 1))
            .collect();
        let update = format!("UPDATE decisions SET {} WHERE id = $1", set.join(", "));
        let insert = format!(
            "INSERT INTO decisions ({DECISION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14, $15, $16, $17, $18)"
        );
        for (sql, last) in [(update, false), (insert, true)] {
            let done = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(d.id.as_str())
                .bind(d.case_id.as_str())
                .bind(d.kind.code())
                .bind(d.measure.as_str())
                .bind(d.party_type.code())
                .bind(d.party_name.as_str())
                .bind(d.fine_fen)
                .bind(i64::from(d.after_hearing))
                .bind(d.summary.as_str())
                .bind(d.marked_reason.as_str())
                .bind(d.draft_sha256.as_str())
                .bind(d.draft_name.as_str())
                .bind(d.draft_version)
                .bind(d.status.code())
                .bind(d.created_by.as_str())
                .bind(d.created_ms)
                .bind(d.issued_ms)
                .bind(d.served_ms)
                .execute(self.conn())
                .await
                .in_tx(&self.health, "storing a decision")?;
            if last || done.rows_affected() > 0 {
                break;
            }
        }
        Ok(())
    }

    /// Inserts or replaces a review round's row (after its decision's).
    pub async fn put_round(&mut self, r: &RoundRow) -> Result<(), DbError> {
        let set: Vec<String> = ROUND_COLS
            .split(", ")
            .enumerate()
            .skip(1)
            .map(|(i, c)| format!("{} = ${}", c.trim(), i + 1))
            .collect();
        let update = format!(
            "UPDATE decision_reviews SET {} WHERE id = $1",
            set.join(", ")
        );
        let insert = format!(
            "INSERT INTO decision_reviews ({ROUND_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13, $14, $15)"
        );
        for (sql, last) in [(update, false), (insert, true)] {
            let done = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(r.id.as_str())
                .bind(r.decision_id.as_str())
                .bind(r.round)
                .bind(r.submitted_by.as_str())
                .bind(r.submitted_ms)
                .bind(r.materials.join(","))
                .bind(r.draft_sha256.as_str())
                .bind(r.due_date.as_str())
                .bind(r.extend_reason.as_str())
                .bind(r.outcome.map(ReviewOutcome::code).unwrap_or_default())
                .bind(r.opinion.as_str())
                .bind(r.changes.as_str())
                .bind(r.reviewer.as_str())
                .bind(r.reviewer_cert.as_str())
                .bind(r.reviewed_ms)
                .execute(self.conn())
                .await
                .in_tx(&self.health, "storing a review round")?;
            if last || done.rows_affected() > 0 {
                break;
            }
        }
        Ok(())
    }

    /// Claims the overdue alert of a review round's time limit: true the first time only
    /// (the caller then writes the `decision.review_overdue` entry in this transaction).
    pub async fn claim_overdue_alert(
        &mut self,
        round_id: &str,
        due_date: &str,
        raised_ms: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "INSERT INTO decision_review_alerts (round_id, due_date, raised_ms) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(round_id)
        .bind(due_date)
        .bind(raised_ms)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "claiming an overdue-review alert")?;
        Ok(done.rows_affected() == 1)
    }

    /// Records (or, with an empty number, clears) an account's legal qualification.
    pub async fn put_qualification(&mut self, q: &QualificationRow) -> Result<(), DbError> {
        sqlx::query("DELETE FROM legal_qualifications WHERE user_id = $1")
            .bind(q.user_id.as_str())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "replacing a legal qualification")?;
        if q.cert_no.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO legal_qualifications (user_id, cert_no, set_by, set_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(q.user_id.as_str())
        .bind(q.cert_no.as_str())
        .bind(q.set_by.as_str())
        .bind(q.set_ms)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "storing a legal qualification")?;
        Ok(())
    }
}

impl Db {
    pub async fn decision(&self, id: &str) -> Result<Option<DecisionRow>, DbError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DECISION_COLS} FROM decisions WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .ctx("reading a decision")?;
        row.as_ref().map(decision_of).transpose()
    }

    /// The decisions of a case, oldest first.
    pub async fn decisions_of_case(&self, case_id: &str) -> Result<Vec<DecisionRow>, DbError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DECISION_COLS} FROM decisions WHERE case_id = $1 ORDER BY created_ms, id"
        )))
        .bind(case_id)
        .fetch_all(self.pool())
        .await
        .ctx("reading a case's decisions")?;
        rows.iter().map(decision_of).collect()
    }

    /// Every decision (for `verify`), by id.
    pub async fn all_decisions(&self) -> Result<Vec<DecisionRow>, DbError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DECISION_COLS} FROM decisions ORDER BY id"
        )))
        .fetch_all(self.pool())
        .await
        .ctx("reading decisions")?;
        rows.iter().map(decision_of).collect()
    }

    /// The review rounds of a decision, first round first.
    pub async fn rounds(&self, decision_id: &str) -> Result<Vec<RoundRow>, DbError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ROUND_COLS} FROM decision_reviews WHERE decision_id = $1 ORDER BY round"
        )))
        .bind(decision_id)
        .fetch_all(self.pool())
        .await
        .ctx("reading review rounds")?;
        rows.iter().map(round_of).collect()
    }

    /// Rounds waiting for the legal office, earliest time limit first.
    pub async fn pending_rounds(&self) -> Result<Vec<RoundRow>, DbError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ROUND_COLS} FROM decision_reviews WHERE outcome = '' \
             ORDER BY due_date, submitted_ms"
        )))
        .fetch_all(self.pool())
        .await
        .ctx("reading pending reviews")?;
        rows.iter().map(round_of).collect()
    }

    /// The overdue alerts raised: (round id, time limit), for `verify`.
    pub async fn overdue_alerts(&self) -> Result<Vec<(String, String)>, DbError> {
        let rows = sqlx::query(
            "SELECT round_id, due_date FROM decision_review_alerts ORDER BY round_id, due_date",
        )
        .fetch_all(self.pool())
        .await
        .ctx("reading overdue-review alerts")?;
        rows.iter()
            .map(|r| Ok((r.try_get("round_id")?, r.try_get("due_date")?)))
            .collect::<Result<_, sqlx::Error>>()
            .ctx("reading overdue-review alerts")
    }

    /// Every review round (for `verify`), by id.
    pub async fn all_rounds(&self) -> Result<Vec<RoundRow>, DbError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ROUND_COLS} FROM decision_reviews ORDER BY id"
        )))
        .fetch_all(self.pool())
        .await
        .ctx("reading review rounds")?;
        rows.iter().map(round_of).collect()
    }

    pub async fn qualification(&self, user_id: &str) -> Result<Option<QualificationRow>, DbError> {
        let row = sqlx::query(
            "SELECT user_id, cert_no, set_by, set_ms FROM legal_qualifications WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(self.pool())
        .await
        .ctx("reading a legal qualification")?;
        row.as_ref().map(qualification_of).transpose()
    }

    /// Every recorded qualification (for `verify`), by user.
    pub async fn all_qualifications(&self) -> Result<Vec<QualificationRow>, DbError> {
        let rows = sqlx::query(
            "SELECT user_id, cert_no, set_by, set_ms FROM legal_qualifications ORDER BY user_id",
        )
        .fetch_all(self.pool())
        .await
        .ctx("reading legal qualifications")?;
        rows.iter().map(qualification_of).collect()
    }
}

fn qualification_of(r: &AnyRow) -> Result<QualificationRow, DbError> {
    let c = "decoding a legal qualification";
    Ok(QualificationRow {
        user_id: r.try_get("user_id").ctx(c)?,
        cert_no: r.try_get("cert_no").ctx(c)?,
        set_by: r.try_get("set_by").ctx(c)?,
        set_ms: r.try_get("set_ms").ctx(c)?,
    })
}
