//! Whole-table listings of the access rows, for `verify` (which replays them against their
//! log entries): every request id, grant id and labelled record or case.

use sqlx::Row;

use crate::error::QueryContext;
use crate::{Db, DbError};

impl Db {
    async fn ids(&self, sql: &'static str, what: &'static str) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(sql).fetch_all(self.pool()).await.ctx(what)?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()
            .ctx(what)
    }

    pub async fn all_request_ids(&self) -> Result<Vec<String>, DbError> {
        self.ids(
            "SELECT id FROM access_requests ORDER BY id",
            "listing access requests",
        )
        .await
    }

    /// Request ids named by approval, copy and loan rows (a row whose request is gone).
    pub async fn access_row_request_ids(&self) -> Result<Vec<String>, DbError> {
        self.ids(
            "SELECT request_id FROM access_approvals UNION SELECT request_id FROM access_copies \
             UNION SELECT request_id FROM access_loans UNION SELECT request_id FROM access_grants",
            "listing the requests of access rows",
        )
        .await
    }

    pub async fn all_grant_ids(&self) -> Result<Vec<String>, DbError> {
        self.ids(
            "SELECT id FROM access_grants ORDER BY id",
            "listing access grants",
        )
        .await
    }

    /// Records with a label row.
    pub async fn labelled_records(&self) -> Result<Vec<String>, DbError> {
        self.ids(
            "SELECT DISTINCT record_id FROM record_labels",
            "listing labelled records",
        )
        .await
    }

    /// Cases with a label row.
    pub async fn labelled_cases(&self) -> Result<Vec<String>, DbError> {
        self.ids(
            "SELECT DISTINCT case_id FROM case_labels",
            "listing labelled cases",
        )
        .await
    }
}
