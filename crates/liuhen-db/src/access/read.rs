//! Reading access rows.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    ApprovalRow, COPY_COLUMNS, CopyRow, GRANT_COLUMNS, GrantRow, LOAN_COLUMNS, LoanRow, PaperRow,
    REQUEST_COLUMNS, RecordCase, RequestQuery, RequestRow, VisitRow, decode_copy, decode_grant,
    decode_loan, decode_request,
};
use crate::error::QueryContext;
use crate::{Db, DbError};

impl Db {
    pub async fn request(&self, id: &str) -> Result<Option<RequestRow>, DbError> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM access_requests WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .ctx("reading a request")?;
        let Some(row) = row else { return Ok(None) };
        let mut r = decode_request(&row)?;
        r.records = self.request_records(id).await?;
        Ok(Some(r))
    }

    async fn request_records(&self, id: &str) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(
            "SELECT record_id FROM access_request_records WHERE request_id = $1 ORDER BY record_id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await
        .ctx("reading a request's records")?;
        rows.iter()
            .map(|r| r.try_get("record_id").ctx("decoding a request's records"))
            .collect()
    }

    /// Requests, newest first.
    pub async fn requests(&self, q: &RequestQuery) -> Result<Vec<RequestRow>, DbError> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM access_requests \
             WHERE ($1 = '' OR filed_by = $1) AND ($2 = '' OR status = $2) AND ($3 = '' OR kind = $3) \
             AND ($5 = '' OR agency = $5) ORDER BY filed_ms DESC, id DESC LIMIT $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(q.filed_by.clone().unwrap_or_default())
            .bind(q.status.clone().unwrap_or_default())
            .bind(q.kind.clone().unwrap_or_default())
            .bind(i64::from(q.limit.max(1)))
            .bind(q.agency.clone().unwrap_or_default())
            .fetch_all(self.pool())
            .await
            .ctx("listing requests")?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut r = decode_request(row)?;
            r.records = self.request_records(&r.id).await?;
            out.push(r);
        }
        Ok(out)
    }

    /// Pending requests naming `record_id` (issue 18: their deciders see the record). Read
    /// from the few pending requests (index on status) by the records' primary key.
    pub async fn pending_requests_naming(
        &self,
        record_id: &str,
    ) -> Result<Vec<RequestRow>, DbError> {
        let cols: Vec<String> = REQUEST_COLUMNS
            .split(',')
            .map(|c| format!("r.{}", c.trim()))
            .collect();
        let sql = format!(
            "SELECT {} FROM access_requests r WHERE r.status = 'pending' AND EXISTS \
             (SELECT 1 FROM access_request_records x WHERE x.request_id = r.id \
              AND x.record_id = $1) ORDER BY r.filed_ms, r.id LIMIT 50",
            cols.join(", ")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(record_id)
            .fetch_all(self.pool())
            .await
            .ctx("listing pending requests of a record")?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut r = decode_request(row)?;
            r.records = self.request_records(&r.id).await?;
            out.push(r);
        }
        Ok(out)
    }

    /// A unit's approvals inbox, selected in SQL (issue 17: the newest requests of all units
    /// no longer crowd out a unit's pending ones): requests of `agency` still pending whose
    /// flow contains one of `steps` (the steps the reader may decide; the caller checks
    /// which step is next), and, when `approved_for_keeper`, approved requests other than
    /// views (they wait for the keeper). Pending first, newest first.
    pub async fn inbox_requests(
        &self,
        agency: &str,
        steps: &[&str],
        approved_for_keeper: bool,
        limit: u32,
    ) -> Result<Vec<RequestRow>, DbError> {
        let mut step_conds: Vec<String> = Vec::new();
        for i in 0..steps.len() {
            step_conds.push(format!("(',' || flow || ',') LIKE ${}", i + 4));
        }
        let pending = if step_conds.is_empty() {
            "1 = 0".to_owned()
        } else {
            step_conds.join(" OR ")
        };
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM access_requests WHERE agency = $1 AND \
             ((status = 'pending' AND ({pending})) \
              OR ($2 = 1 AND status = 'approved' AND kind <> 'view')) \
             ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END, filed_ms DESC, id DESC \
             LIMIT $3"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(agency)
            .bind(i64::from(approved_for_keeper))
            .bind(i64::from(limit.max(1)));
        for s in steps {
            q = q.bind(format!("%,{s},%"));
        }
        let rows = q
            .fetch_all(self.pool())
            .await
            .ctx("listing a unit's inbox")?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut r = decode_request(row)?;
            r.records = self.request_records(&r.id).await?;
            out.push(r);
        }
        Ok(out)
    }

    pub async fn approvals(&self, request_id: &str) -> Result<Vec<ApprovalRow>, DbError> {
        let rows = sqlx::query(
            "SELECT request_id, step, decision, approver_id, approver_name, basis, comment, \
             decided_ms FROM access_approvals WHERE request_id = $1 ORDER BY decided_ms, step",
        )
        .bind(request_id)
        .fetch_all(self.pool())
        .await
        .ctx("reading approvals")?;
        let c = "decoding an approval";
        rows.iter()
            .map(|row| {
                Ok(ApprovalRow {
                    request_id: row.try_get("request_id").ctx(c)?,
                    step: row.try_get("step").ctx(c)?,
                    decision: row.try_get("decision").ctx(c)?,
                    approver_id: row.try_get("approver_id").ctx(c)?,
                    approver_name: row.try_get("approver_name").ctx(c)?,
                    basis: row.try_get("basis").ctx(c)?,
                    comment: row.try_get("comment").ctx(c)?,
                    decided_ms: row.try_get("decided_ms").ctx(c)?,
                })
            })
            .collect()
    }

    pub async fn papers(&self, request_id: &str) -> Result<Vec<PaperRow>, DbError> {
        let rows = sqlx::query(
            "SELECT request_id, paper, sha256, file_name, media_type, size_bytes, attached_ms, \
             attached_by FROM access_papers WHERE request_id = $1 ORDER BY paper",
        )
        .bind(request_id)
        .fetch_all(self.pool())
        .await
        .ctx("reading papers")?;
        let c = "decoding a paper";
        rows.iter()
            .map(|row| {
                Ok(PaperRow {
                    request_id: row.try_get("request_id").ctx(c)?,
                    paper: row.try_get("paper").ctx(c)?,
                    sha256: row.try_get("sha256").ctx(c)?,
                    file_name: row.try_get("file_name").ctx(c)?,
                    media_type: row.try_get("media_type").ctx(c)?,
                    size_bytes: row.try_get("size_bytes").ctx(c)?,
                    attached_ms: row.try_get("attached_ms").ctx(c)?,
                    attached_by: row.try_get("attached_by").ctx(c)?,
                })
            })
            .collect()
    }

    async fn fill_grants(&self, rows: Vec<AnyRow>) -> Result<Vec<GrantRow>, DbError> {
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut g = decode_grant(row)?;
            let recs = sqlx::query(
                "SELECT record_id FROM access_grant_records WHERE grant_id = $1 ORDER BY record_id",
            )
            .bind(g.id.as_str())
            .fetch_all(self.pool())
            .await
            .ctx("reading a grant's records")?;
            g.records = recs
                .iter()
                .map(|r| r.try_get("record_id").ctx("decoding a grant's records"))
                .collect::<Result<_, _>>()?;
            out.push(g);
        }
        Ok(out)
    }

    pub async fn grant(&self, id: &str) -> Result<Option<GrantRow>, DbError> {
        let sql = format!("SELECT {GRANT_COLUMNS} FROM access_grants WHERE id = $1");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(self.pool())
            .await
            .ctx("reading a grant")?;
        Ok(self.fill_grants(rows).await?.pop())
    }

    /// Grants, newest first: of one grantee, of one request, or all.
    pub async fn grants(
        &self,
        grantee: Option<&str>,
        request_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<GrantRow>, DbError> {
        let sql = format!(
            "SELECT {GRANT_COLUMNS} FROM access_grants WHERE ($1 = '' OR grantee_id = $1) \
             AND ($2 = '' OR request_id = $2) ORDER BY created_ms DESC, id DESC LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(grantee.unwrap_or_default())
            .bind(request_id.unwrap_or_default())
            .bind(i64::from(limit.max(1)))
            .fetch_all(self.pool())
            .await
            .ctx("listing grants")?;
        self.fill_grants(rows).await
    }

    /// The grants of `grantee` naming `record_id`, in any state.
    pub async fn grants_for(
        &self,
        grantee: &str,
        record_id: &str,
    ) -> Result<Vec<GrantRow>, DbError> {
        let cols = GRANT_COLUMNS
            .split(", ")
            .map(|c| format!("g.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols} FROM access_grants g JOIN access_grant_records gr ON gr.grant_id = g.id \
             WHERE g.grantee_id = $1 AND gr.record_id = $2 ORDER BY g.created_ms DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(grantee)
            .bind(record_id)
            .fetch_all(self.pool())
            .await
            .ctx("reading grants of a record")?;
        rows.iter().map(decode_grant).collect()
    }

    pub async fn copies(&self, request_id: &str) -> Result<Vec<CopyRow>, DbError> {
        let sql = format!(
            "SELECT {COPY_COLUMNS} FROM access_copies WHERE request_id = $1 ORDER BY created_ms, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(request_id)
            .fetch_all(self.pool())
            .await
            .ctx("reading copies")?;
        rows.iter().map(decode_copy).collect()
    }

    pub async fn loan(&self, request_id: &str) -> Result<Option<LoanRow>, DbError> {
        let sql = format!("SELECT {LOAN_COLUMNS} FROM access_loans WHERE request_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(request_id)
            .fetch_optional(self.pool())
            .await
            .ctx("reading a loan")?;
        row.as_ref().map(decode_loan).transpose()
    }

    /// Loans not yet returned, the earliest due first.
    /// Loans of `agency`'s requests not returned yet, soonest due first.
    pub async fn open_loans(&self, agency: &str, limit: u32) -> Result<Vec<LoanRow>, DbError> {
        let sql = format!(
            "SELECT {LOAN_COLUMNS} FROM access_loans WHERE returned_ms IS NULL \
             AND request_id IN (SELECT id FROM access_requests WHERE agency = $1) \
             ORDER BY due_ms, request_id LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(agency)
            .bind(i64::from(limit.max(1)))
            .fetch_all(self.pool())
            .await
            .ctx("listing open loans")?;
        rows.iter().map(decode_loan).collect()
    }

    /// The human numbers (文号) of those of requests `ids` that have one.
    pub async fn request_numbers(
        &self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, String>, DbError> {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, number FROM access_requests WHERE number IS NOT NULL AND id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.as_str());
            }
            for row in q
                .fetch_all(self.pool())
                .await
                .ctx("reading request numbers")?
            {
                let c = "decoding a request number";
                out.insert(row.try_get("id").ctx(c)?, row.try_get("number").ctx(c)?);
            }
        }
        Ok(out)
    }

    pub async fn visits(&self, request_id: &str) -> Result<Vec<VisitRow>, DbError> {
        let rows = sqlx::query(
            "SELECT id, request_id, visited_ms, recorded_by, note FROM access_visits \
             WHERE request_id = $1 ORDER BY visited_ms",
        )
        .bind(request_id)
        .fetch_all(self.pool())
        .await
        .ctx("reading visits")?;
        let c = "decoding a visit";
        rows.iter()
            .map(|row| {
                Ok(VisitRow {
                    id: row.try_get("id").ctx(c)?,
                    request_id: row.try_get("request_id").ctx(c)?,
                    visited_ms: row.try_get("visited_ms").ctx(c)?,
                    recorded_by: row.try_get("recorded_by").ctx(c)?,
                    note: row.try_get("note").ctx(c)?,
                })
            })
            .collect()
    }

    /// The cases a record belongs to (through its steps), with their teams.
    pub async fn record_cases(&self, record_id: &str) -> Result<Vec<RecordCase>, DbError> {
        let rows = sqlx::query(
            "SELECT DISTINCT c.id, c.department, c.status FROM step_records sr \
             JOIN steps s ON s.id = sr.step_id JOIN cases c ON c.id = s.case_id \
             WHERE sr.record_id = $1 ORDER BY c.id",
        )
        .bind(record_id)
        .fetch_all(self.pool())
        .await
        .ctx("reading a record's cases")?;
        let c = "decoding a record's cases";
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("id").ctx(c)?;
            let status: String = row.try_get("status").ctx(c)?;
            let team = sqlx::query(
                "SELECT user_id FROM case_team WHERE case_id = $1 AND user_id IS NOT NULL \
                 ORDER BY position",
            )
            .bind(id.as_str())
            .fetch_all(self.pool())
            .await
            .ctx("reading a case team")?
            .iter()
            .map(|r| r.try_get("user_id").ctx(c))
            .collect::<Result<Vec<String>, _>>()?;
            out.push(RecordCase {
                department: row.try_get("department").ctx(c)?,
                archived: status == "archived",
                id,
                team_ids: team,
            });
        }
        Ok(out)
    }

    /// Labels set on the record itself (`on_case = false`) or on a case.
    pub async fn labels(&self, on_case: bool, id: &str) -> Result<Vec<String>, DbError> {
        let sql = if on_case {
            "SELECT label FROM case_labels WHERE case_id = $1 ORDER BY label"
        } else {
            "SELECT label FROM record_labels WHERE record_id = $1 ORDER BY label"
        };
        let rows = sqlx::query(sql)
            .bind(id)
            .fetch_all(self.pool())
            .await
            .ctx("reading labels")?;
        rows.iter()
            .map(|r| r.try_get("label").ctx("decoding labels"))
            .collect()
    }

    pub async fn is_conclusive(&self, record_id: &str) -> Result<bool, DbError> {
        let row = sqlx::query("SELECT 1 AS one FROM conclusive_records WHERE record_id = $1")
            .bind(record_id)
            .fetch_optional(self.pool())
            .await
            .ctx("reading the conclusive mark")?;
        Ok(row.is_some())
    }
}
