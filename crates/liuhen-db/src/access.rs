//! Rows of access control: requests with records, approvals and papers; grants; copies;
//! loans; outside visits; confidentiality labels and the conclusive-document mark. Codes
//! (kinds, steps, statuses) are stored as text; the application gives them meaning.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{InTx, QueryContext};
use crate::{DbError, Tx};

mod listing;
mod read;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestRow {
    pub id: String,
    pub kind: String,
    pub outside_action: Option<String>,
    pub flow: Vec<String>,
    pub filed_by: String,
    pub requester_name: String,
    pub requester_type: String,
    pub requester_unit: Option<String>,
    pub requester_id_no: Option<String>,
    pub purpose: String,
    pub legal_basis: Option<String>,
    pub agency: String,
    pub case_id: Option<String>,
    pub department: Option<String>,
    pub discs: i64,
    pub pages: i64,
    pub due_ms: Option<i64>,
    pub basis: String,
    pub status: String,
    pub filed_ms: i64,
    pub closed_ms: Option<i64>,
    pub fee_cents: Option<i64>,
    pub receipt_no: Option<String>,
    pub paid_ms: Option<i64>,
    /// Record ids, sorted.
    pub records: Vec<String>,
    /// The human number (文号, issue 18); `None` for requests filed before it existed.
    pub number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRow {
    pub request_id: String,
    pub step: String,
    pub decision: String,
    pub approver_id: String,
    pub approver_name: String,
    pub basis: String,
    pub comment: String,
    pub decided_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperRow {
    pub request_id: String,
    pub paper: String,
    pub sha256: String,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub attached_ms: i64,
    pub attached_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    pub id: String,
    pub request_id: String,
    pub grantee_id: String,
    pub purpose: String,
    pub can_view: bool,
    pub can_play: bool,
    pub can_download: bool,
    pub expires_ms: i64,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
    pub records: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRow {
    pub id: String,
    pub request_id: String,
    pub record_id: String,
    pub original_sha256: String,
    pub statement_sha256: String,
    pub maker_id: String,
    pub maker_name: String,
    pub extractor: String,
    pub extracted_ms: i64,
    pub proves: String,
    pub created_ms: i64,
    /// The human number (文号, migration 0038); none for copies made before numbers.
    pub number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanRow {
    pub request_id: String,
    pub borrower_id: String,
    pub grant_id: String,
    pub issued_ms: i64,
    pub issued_by: String,
    pub due_ms: i64,
    pub returned_ms: Option<i64>,
    pub returned_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRow {
    pub id: String,
    pub request_id: String,
    pub visited_ms: i64,
    pub recorded_by: String,
    pub note: String,
}

/// A case a record belongs to, with what the access policy needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordCase {
    pub id: String,
    pub department: String,
    pub archived: bool,
    /// Account ids of the case team (members without an account are left out).
    pub team_ids: Vec<String>,
}

const REQUEST_COLUMNS: &str = "id, kind, outside_action, flow, filed_by, requester_name, \
     requester_type, requester_unit, requester_id_no, purpose, legal_basis, agency, case_id, \
     department, discs, pages, due_ms, basis, status, filed_ms, closed_ms, fee_cents, \
     receipt_no, paid_ms, number";
const GRANT_COLUMNS: &str = "id, request_id, grantee_id, purpose, can_view, can_play, \
     can_download, expires_ms, created_ms, revoked_ms, revoked_by, revoke_reason";
const COPY_COLUMNS: &str = "id, request_id, record_id, original_sha256, statement_sha256, \
     maker_id, maker_name, extractor, extracted_ms, proves, created_ms, number";
const LOAN_COLUMNS: &str =
    "request_id, borrower_id, grant_id, issued_ms, issued_by, due_ms, returned_ms, returned_by";

fn decode_request(row: &AnyRow) -> Result<RequestRow, DbError> {
    let c = "decoding an access request";
    let flow: String = row.try_get("flow").ctx(c)?;
    Ok(RequestRow {
        id: row.try_get("id").ctx(c)?,
        kind: row.try_get("kind").ctx(c)?,
        outside_action: row.try_get("outside_action").ctx(c)?,
        flow: flow
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        filed_by: row.try_get("filed_by").ctx(c)?,
        requester_name: row.try_get("requester_name").ctx(c)?,
        requester_type: row.try_get("requester_type").ctx(c)?,
        requester_unit: row.try_get("requester_unit").ctx(c)?,
        requester_id_no: row.try_get("requester_id_no").ctx(c)?,
        purpose: row.try_get("purpose").ctx(c)?,
        legal_basis: row.try_get("legal_basis").ctx(c)?,
        agency: row.try_get("agency").ctx(c)?,
        case_id: row.try_get("case_id").ctx(c)?,
        department: row.try_get("department").ctx(c)?,
        discs: row.try_get("discs").ctx(c)?,
        pages: row.try_get("pages").ctx(c)?,
        due_ms: row.try_get("due_ms").ctx(c)?,
        basis: row.try_get("basis").ctx(c)?,
        status: row.try_get("status").ctx(c)?,
        filed_ms: row.try_get("filed_ms").ctx(c)?,
        closed_ms: row.try_get("closed_ms").ctx(c)?,
        fee_cents: row.try_get("fee_cents").ctx(c)?,
        receipt_no: row.try_get("receipt_no").ctx(c)?,
        paid_ms: row.try_get("paid_ms").ctx(c)?,
        records: Vec::new(),
        number: row.try_get("number").ctx(c)?,
    })
}

fn decode_grant(row: &AnyRow) -> Result<GrantRow, DbError> {
    let c = "decoding a grant";
    let flag =
        |name: &str| -> Result<bool, DbError> { Ok(row.try_get::<i64, _>(name).ctx(c)? != 0) };
    Ok(GrantRow {
        id: row.try_get("id").ctx(c)?,
        request_id: row.try_get("request_id").ctx(c)?,
        grantee_id: row.try_get("grantee_id").ctx(c)?,
        purpose: row.try_get("purpose").ctx(c)?,
        can_view: flag("can_view")?,
        can_play: flag("can_play")?,
        can_download: flag("can_download")?,
        expires_ms: row.try_get("expires_ms").ctx(c)?,
        created_ms: row.try_get("created_ms").ctx(c)?,
        revoked_ms: row.try_get("revoked_ms").ctx(c)?,
        revoked_by: row.try_get("revoked_by").ctx(c)?,
        revoke_reason: row.try_get("revoke_reason").ctx(c)?,
        records: Vec::new(),
    })
}

fn decode_copy(row: &AnyRow) -> Result<CopyRow, DbError> {
    let c = "decoding a copy";
    Ok(CopyRow {
        id: row.try_get("id").ctx(c)?,
        request_id: row.try_get("request_id").ctx(c)?,
        record_id: row.try_get("record_id").ctx(c)?,
        original_sha256: row.try_get("original_sha256").ctx(c)?,
        statement_sha256: row.try_get("statement_sha256").ctx(c)?,
        maker_id: row.try_get("maker_id").ctx(c)?,
        maker_name: row.try_get("maker_name").ctx(c)?,
        extractor: row.try_get("extractor").ctx(c)?,
        extracted_ms: row.try_get("extracted_ms").ctx(c)?,
        proves: row.try_get("proves").ctx(c)?,
        created_ms: row.try_get("created_ms").ctx(c)?,
        number: row.try_get("number").ctx(c)?,
    })
}

fn decode_loan(row: &AnyRow) -> Result<LoanRow, DbError> {
    let c = "decoding a loan";
    Ok(LoanRow {
        request_id: row.try_get("request_id").ctx(c)?,
        borrower_id: row.try_get("borrower_id").ctx(c)?,
        grant_id: row.try_get("grant_id").ctx(c)?,
        issued_ms: row.try_get("issued_ms").ctx(c)?,
        issued_by: row.try_get("issued_by").ctx(c)?,
        due_ms: row.try_get("due_ms").ctx(c)?,
        returned_ms: row.try_get("returned_ms").ctx(c)?,
        returned_by: row.try_get("returned_by").ctx(c)?,
    })
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    pub filed_by: Option<String>,
    pub status: Option<String>,
    pub kind: Option<String>,
    /// Requests of this unit only.
    pub agency: Option<String>,
    pub limit: u32,
}

impl Tx {
    pub async fn insert_request(&mut self, r: &RequestRow) -> Result<(), DbError> {
        let sql = format!(
            "INSERT INTO access_requests ({REQUEST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
             $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(r.id.as_str())
            .bind(r.kind.as_str())
            .bind(r.outside_action.clone())
            .bind(r.flow.join(","))
            .bind(r.filed_by.as_str())
            .bind(r.requester_name.as_str())
            .bind(r.requester_type.as_str())
            .bind(r.requester_unit.clone())
            .bind(r.requester_id_no.clone())
            .bind(r.purpose.as_str())
            .bind(r.legal_basis.clone())
            .bind(r.agency.as_str())
            .bind(r.case_id.clone())
            .bind(r.department.clone())
            .bind(r.discs)
            .bind(r.pages)
            .bind(r.due_ms)
            .bind(r.basis.as_str())
            .bind(r.status.as_str())
            .bind(r.filed_ms)
            .bind(r.closed_ms)
            .bind(r.fee_cents)
            .bind(r.receipt_no.clone())
            .bind(r.paid_ms)
            .bind(r.number.clone())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "inserting an access request")?;
        for rec in &r.records {
            sqlx::query(
                "INSERT INTO access_request_records (request_id, record_id) VALUES ($1, $2)",
            )
            .bind(r.id.as_str())
            .bind(rec.as_str())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "inserting a record of a request")?;
        }
        Ok(())
    }

    /// Moves a request from `from` to `to`; `false` when it was not in `from` (a race lost).
    pub async fn set_request_status(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        closed_ms: Option<i64>,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE access_requests SET status = $1, closed_ms = $2 WHERE id = $3 AND status = $4",
        )
        .bind(to)
        .bind(closed_ms)
        .bind(id)
        .bind(from)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "changing a request's status")?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_approval(&mut self, a: &ApprovalRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO access_approvals (request_id, step, decision, approver_id, \
             approver_name, basis, comment, decided_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(a.request_id.as_str())
        .bind(a.step.as_str())
        .bind(a.decision.as_str())
        .bind(a.approver_id.as_str())
        .bind(a.approver_name.as_str())
        .bind(a.basis.as_str())
        .bind(a.comment.as_str())
        .bind(a.decided_ms)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "inserting an approval")?;
        Ok(())
    }

    /// Attaches (or replaces) the scan of one paper.
    pub async fn put_paper(&mut self, p: &PaperRow) -> Result<(), DbError> {
        sqlx::query("DELETE FROM access_papers WHERE request_id = $1 AND paper = $2")
            .bind(p.request_id.as_str())
            .bind(p.paper.as_str())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "replacing a paper")?;
        sqlx::query(
            "INSERT INTO access_papers (request_id, paper, sha256, file_name, media_type, \
             size_bytes, attached_ms, attached_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(p.request_id.as_str())
        .bind(p.paper.as_str())
        .bind(p.sha256.as_str())
        .bind(p.file_name.as_str())
        .bind(p.media_type.as_str())
        .bind(p.size_bytes)
        .bind(p.attached_ms)
        .bind(p.attached_by.as_str())
        .execute(self.conn())
        .await
        .in_tx(&self.health, "attaching a paper")?;
        Ok(())
    }

    pub async fn insert_grant(&mut self, g: &GrantRow) -> Result<(), DbError> {
        let sql = format!(
            "INSERT INTO access_grants ({GRANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             $8, $9, $10, $11, $12)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(g.id.as_str())
            .bind(g.request_id.as_str())
            .bind(g.grantee_id.as_str())
            .bind(g.purpose.as_str())
            .bind(i64::from(g.can_view))
            .bind(i64::from(g.can_play))
            .bind(i64::from(g.can_download))
            .bind(g.expires_ms)
            .bind(g.created_ms)
            .bind(g.revoked_ms)
            .bind(g.revoked_by.clone())
            .bind(g.revoke_reason.clone())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "inserting a grant")?;
        for rec in &g.records {
            sqlx::query("INSERT INTO access_grant_records (grant_id, record_id) VALUES ($1, $2)")
                .bind(g.id.as_str())
                .bind(rec.as_str())
                .execute(self.conn())
                .await
                .in_tx(&self.health, "inserting a record of a grant")?;
        }
        Ok(())
    }

    /// Revokes a grant still in force; `false` when it was already revoked.
    pub async fn revoke_grant(
        &mut self,
        id: &str,
        by: &str,
        reason: &str,
        at_ms: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE access_grants SET revoked_ms = $1, revoked_by = $2, revoke_reason = $3 \
             WHERE id = $4 AND revoked_ms IS NULL",
        )
        .bind(at_ms)
        .bind(by)
        .bind(reason)
        .bind(id)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "revoking a grant")?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_copy(&mut self, c: &CopyRow) -> Result<(), DbError> {
        let sql = format!(
            "INSERT INTO access_copies ({COPY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(c.id.as_str())
            .bind(c.request_id.as_str())
            .bind(c.record_id.as_str())
            .bind(c.original_sha256.as_str())
            .bind(c.statement_sha256.as_str())
            .bind(c.maker_id.as_str())
            .bind(c.maker_name.as_str())
            .bind(c.extractor.as_str())
            .bind(c.extracted_ms)
            .bind(c.proves.as_str())
            .bind(c.created_ms)
            .bind(c.number.as_deref())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "inserting a copy")?;
        Ok(())
    }

    pub async fn set_request_fee(&mut self, id: &str, fee_cents: i64) -> Result<(), DbError> {
        sqlx::query("UPDATE access_requests SET fee_cents = $1 WHERE id = $2")
            .bind(fee_cents)
            .bind(id)
            .execute(self.conn())
            .await
            .in_tx(&self.health, "setting a request's fee")?;
        Ok(())
    }

    /// Records payment once; `false` when already paid.
    pub async fn record_payment(
        &mut self,
        id: &str,
        receipt_no: &str,
        at_ms: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE access_requests SET receipt_no = $1, paid_ms = $2 \
             WHERE id = $3 AND paid_ms IS NULL",
        )
        .bind(receipt_no)
        .bind(at_ms)
        .bind(id)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "recording a payment")?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_loan(&mut self, l: &LoanRow) -> Result<(), DbError> {
        let sql = format!(
            "INSERT INTO access_loans ({LOAN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(l.request_id.as_str())
            .bind(l.borrower_id.as_str())
            .bind(l.grant_id.as_str())
            .bind(l.issued_ms)
            .bind(l.issued_by.as_str())
            .bind(l.due_ms)
            .bind(l.returned_ms)
            .bind(l.returned_by.clone())
            .execute(self.conn())
            .await
            .in_tx(&self.health, "inserting a loan")?;
        Ok(())
    }

    /// Marks a loan returned; `false` when it already was.
    pub async fn return_loan(
        &mut self,
        request_id: &str,
        by: &str,
        at_ms: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE access_loans SET returned_ms = $1, returned_by = $2 \
             WHERE request_id = $3 AND returned_ms IS NULL",
        )
        .bind(at_ms)
        .bind(by)
        .bind(request_id)
        .execute(self.conn())
        .await
        .in_tx(&self.health, "returning a loan")?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_visit(&mut self, v: &VisitRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO access_visits (id, request_id, visited_ms, recorded_by, note) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(v.id.as_str())
        .bind(v.request_id.as_str())
        .bind(v.visited_ms)
        .bind(v.recorded_by.as_str())
        .bind(v.note.as_str())
        .execute(self.conn())
        .await
        .in_tx(&self.health, "inserting a visit")?;
        Ok(())
    }

    /// Sets (`on`) or clears a label on a record (`table` = record) or a case.
    pub async fn set_label(
        &mut self,
        on_case: bool,
        id: &str,
        label: &str,
        set: bool,
        by: &str,
        at_ms: i64,
    ) -> Result<bool, DbError> {
        let (table, col) = if on_case {
            ("case_labels", "case_id")
        } else {
            ("record_labels", "record_id")
        };
        let q = if set {
            let sql = format!(
                "INSERT INTO {table} ({col}, label, set_ms, set_by) SELECT $1, $2, $3, $4 \
                 WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {col} = $1 AND label = $2)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(label)
                .bind(at_ms)
                .bind(by)
        } else {
            let sql = format!("DELETE FROM {table} WHERE {col} = $1 AND label = $2");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(label)
        };
        let done = q
            .execute(self.conn())
            .await
            .in_tx(&self.health, "changing a label")?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_conclusive(
        &mut self,
        record_id: &str,
        set: bool,
        by: &str,
        at_ms: i64,
    ) -> Result<bool, DbError> {
        let q = if set {
            sqlx::query(
                "INSERT INTO conclusive_records (record_id, set_ms, set_by) SELECT $1, $2, $3 \
                 WHERE NOT EXISTS (SELECT 1 FROM conclusive_records WHERE record_id = $1)",
            )
            .bind(record_id)
            .bind(at_ms)
            .bind(by)
        } else {
            sqlx::query("DELETE FROM conclusive_records WHERE record_id = $1").bind(record_id)
        };
        let done = q
            .execute(self.conn())
            .await
            .in_tx(&self.health, "changing the conclusive mark")?;
        Ok(done.rows_affected() == 1)
    }
}
