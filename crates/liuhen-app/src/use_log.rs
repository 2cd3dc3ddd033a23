//! Every use is logged (R6.1): case page views, dashboard views, record and case searches
//! (the query, never the results) and exports of case lists and dashboard tables, as record views already
//! are. A case view names the case's linked records, so the access register shows it as a
//! consultation (查阅案卷) of each of them (R4.1).

use liuhen_db::{CaseFilter, CaseRow, NewEntry};
use liuhen_domain::AuditAction;
use liuhen_domain::authz::Principal;
use serde_json::{Map, Value, json};

use crate::search::SearchRequest;
use crate::{AppError, Custody};

/// The query of a record search as the log keeps it: the set fields only.
pub fn record_query_details(req: &SearchRequest) -> Value {
    let mut q = Map::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            q.insert(k.to_owned(), Value::String(v));
        }
    };
    put("agency", req.agency.clone());
    put("device", req.device.clone());
    put("officer", req.officer.clone());
    put("case_name", req.case_name.clone());
    put("party", req.party.clone());
    put("text", req.text.clone());
    put(
        "record_date_from",
        req.record_date_from.map(|d| d.to_string()),
    );
    put("record_date_to", req.record_date_to.map(|d| d.to_string()));
    put(
        "stored_date_from",
        req.stored_date_from.map(|d| d.to_string()),
    );
    put("stored_date_to", req.stored_date_to.map(|d| d.to_string()));
    put("kind", req.kind.map(|k| k.as_str().to_owned()));
    put("late", req.late.map(|b| b.to_string()));
    put("probe_error", req.probe_error.map(|b| b.to_string()));
    json!({ "query": q, "page": req.page.max(1) })
}

/// The query of a case search as the log keeps it: the set fields only.
pub fn case_query_details(f: &CaseFilter) -> Value {
    let mut q = Map::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
            q.insert(k.to_owned(), Value::String(v));
        }
    };
    put("text", f.text.clone());
    put("category", f.category.map(|c| c.code().to_owned()));
    put("status", f.status.map(|s| s.code().to_owned()));
    put("flag", f.flag.map(|c| c.column().to_owned()));
    put("department", f.department.clone());
    put("officer", f.officer.clone());
    json!({ "query": q })
}

impl Custody {
    /// Logs that `who` opened `case`'s page, naming its linked records.
    pub(crate) async fn log_case_view(
        &self,
        who: &Principal,
        case: &CaseRow,
        records: Vec<String>,
    ) -> Result<(), AppError> {
        self.log_event(NewEntry {
            actor: who.user_id.clone(),
            action: AuditAction::CaseViewed,
            subject: Some(format!("case:{}", case.id)),
            details: json!({ "case": case.id, "records": records }),
        })
        .await?;
        Ok(())
    }

    /// Logs a search of records or cases (`action`), with its query in `details`.
    pub(crate) async fn log_search(
        &self,
        who: &Principal,
        action: AuditAction,
        details: Value,
    ) -> Result<(), AppError> {
        self.log_event(NewEntry {
            actor: who.user_id.clone(),
            action,
            subject: None,
            details,
        })
        .await?;
        Ok(())
    }

    /// Logs an export of a case list or a dashboard table: what (`file`), its format, its
    /// query and (when known) how many rows it held.
    pub async fn log_cases_export(
        &self,
        who: &Principal,
        file: &str,
        format: &str,
        mut details: Value,
        rows: Option<usize>,
    ) -> Result<(), AppError> {
        details["file"] = file.into();
        details["format"] = format.into();
        if let Some(n) = rows {
            details["rows"] = n.into();
        }
        self.log_event(NewEntry {
            actor: who.user_id.clone(),
            action: AuditAction::CasesExported,
            subject: None,
            details,
        })
        .await?;
        Ok(())
    }

    /// The dashboard of `who`, its view logged (`dashboard.viewed`, R6.1): how many cases
    /// and findings it showed and how many late records, not the rows themselves.
    pub async fn view_dashboard(
        &self,
        who: &Principal,
        period: Option<crate::dashboard::Period>,
    ) -> Result<crate::dashboard::Dashboard, AppError> {
        let d = self.dashboard_in(who, period).await?;
        self.log_event(NewEntry {
            actor: who.user_id.clone(),
            action: AuditAction::DashboardViewed,
            subject: None,
            details: json!({
                "cases": d.cases,
                "truncated": d.truncated,
                "findings": d.findings.len(),
                "late_records": d.late_total,
                "period": period.map(|(from, to)| [from.to_string(), to.to_string()]),
            }),
        })
        .await?;
        Ok(d)
    }
}
