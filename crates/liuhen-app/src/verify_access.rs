//! `verify`, access part: the access tables replayed against the log entries that wrote
//! them, as case rows are. Requests (what is asked, bound by its basis digest, and the
//! `access.request_filed` entry), approvals (`access.approved`: step, decision, approver,
//! comment, time), grants and labels (the one binding check of `binding`), copies
//! (`copy.made`), loans (`loan.issued`, `loan.returned`). A row without its entry is
//! `*_unlogged`, a row that differs `*_edited`, an entry without its row `*_missing`.

use std::collections::{BTreeSet, HashMap, HashSet};

use liuhen_db::{AuditEntry, EntryBody, RequestRow};
use liuhen_domain::AuditAction;
use serde_json::Value;

use crate::verify::VerifyReport;
use crate::{AppError, Custody};

fn details(e: &AuditEntry) -> Value {
    EntryBody::parse(&e.body)
        .map(|b| b.details)
        .unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Fields of a request row that differ from its `access.request_filed` entry.
fn request_diff(r: &RequestRow, e: &AuditEntry) -> Vec<&'static str> {
    let d = details(e);
    let mut records = strings(&d["records"]);
    records.sort();
    let mut out = Vec::new();
    let mut check = |ok: bool, name| {
        if !ok {
            out.push(name);
        }
    };
    check(d["kind"].as_str() == Some(r.kind.as_str()), "kind");
    check(records == r.records, "records");
    check(d["purpose"].as_str() == Some(r.purpose.as_str()), "purpose");
    check(d["case"].as_str() == r.case_id.as_deref(), "case");
    check(
        d["requester"]["user"].as_str() == Some(r.filed_by.as_str()),
        "filed_by",
    );
    check(e.actor == r.filed_by, "filed_by");
    check(
        d["requester"]["name"].as_str() == Some(r.requester_name.as_str()),
        "requester_name",
    );
    check(strings(&d["flow"]) == r.flow, "flow");
    check(d["discs"].as_i64() == Some(r.discs), "discs");
    check(d["pages"].as_i64() == Some(r.pages), "pages");
    check(d["due_ms"].as_i64() == r.due_ms, "due_ms");
    check(e.at_ms == r.filed_ms, "filed_ms");
    out.dedup();
    out
}

impl Custody {
    pub(crate) async fn check_access_rows(
        &self,
        report: &mut VerifyReport,
    ) -> Result<(), AppError> {
        let mut ids: BTreeSet<String> = self.db.all_request_ids().await?.into_iter().collect();
        ids.extend(self.db.access_row_request_ids().await?);
        let db = &self.db;
        let all = |a: AuditAction| db.entries_of_action_between(a.as_str(), i64::MIN, i64::MAX);
        let mut copies_logged: HashMap<String, AuditEntry> = HashMap::new();
        for e in all(AuditAction::CopyMade).await? {
            if let Some(c) = details(&e)["copy"].as_str() {
                copies_logged.insert(c.to_owned(), e);
            }
        }
        for id in &ids {
            self.check_request(id, &mut copies_logged, report).await?;
        }
        for (copy, e) in copies_logged {
            report.push_problem(
                "copy_missing",
                format!("copy:{copy}"),
                format!("复制记录 {copy}（日志 #{}）不在复制表中（被删除）", e.seq),
            );
        }
        // Grants: each row against its entries; each granted entry against a row.
        let rows: HashSet<String> = self.db.all_grant_ids().await?.into_iter().collect();
        for id in &rows {
            let Some(g) = self.db.grant(id).await? else {
                continue;
            };
            if let Err(b) = self.grant_binding(&g).await? {
                report.push_problem(
                    "grant_edited",
                    format!("grant:{id}"),
                    format!("授权 {id}（申请 {}）：{b}", g.request_id),
                );
            }
        }
        for e in all(AuditAction::AccessGranted).await? {
            if let Some(g) = details(&e)["grant"].as_str()
                && !rows.contains(g)
            {
                report.push_problem(
                    "grant_missing",
                    format!("grant:{g}"),
                    format!("授权 {g}（日志 #{}）不在授权表中（被删除）", e.seq),
                );
            }
        }
        // Labels: every record and case with a label row or a label entry.
        let mut targets: BTreeSet<(bool, String)> = BTreeSet::new();
        targets.extend(
            self.db
                .labelled_records()
                .await?
                .into_iter()
                .map(|r| (false, r)),
        );
        targets.extend(
            self.db
                .labelled_cases()
                .await?
                .into_iter()
                .map(|c| (true, c)),
        );
        for e in all(AuditAction::LabelChanged).await? {
            match e.subject.as_deref().and_then(|s| s.split_once(':')) {
                Some(("record", id)) => targets.insert((false, id.to_owned())),
                Some(("case", id)) => targets.insert((true, id.to_owned())),
                _ => false,
            };
        }
        for (on_case, id) in targets {
            if let Err(b) = self.labels_binding(on_case, &id).await? {
                let kind = if on_case { "case" } else { "record" };
                report.push_problem(
                    "labels_edited",
                    format!("labels:{kind}:{id}"),
                    b.to_string(),
                );
            }
        }
        Ok(())
    }

    async fn check_request(
        &self,
        id: &str,
        copies_logged: &mut HashMap<String, AuditEntry>,
        report: &mut VerifyReport,
    ) -> Result<(), AppError> {
        let subject = format!("request:{id}");
        let entries = self
            .db
            .entries_for_actions(
                &subject,
                &[
                    AuditAction::AccessRequestFiled.as_str(),
                    AuditAction::AccessApproved.as_str(),
                    AuditAction::LoanIssued.as_str(),
                    AuditAction::LoanReturned.as_str(),
                ],
            )
            .await?;
        let of = |a: AuditAction| entries.iter().filter(move |e| e.action == a.as_str());
        let Some(row) = self.db.request(id).await? else {
            report.push_problem(
                "request_missing",
                &subject,
                format!("申请 {id} 不在申请表中，但其审批、授权、复制或借出记录仍在（被删除）"),
            );
            return Ok(());
        };
        match of(AuditAction::AccessRequestFiled).next() {
            None => report.push_problem(
                "request_unlogged",
                &subject,
                format!("申请 {id} 没有记载它的审计日志条目（在 liuhen 之外插入）"),
            ),
            Some(e) => {
                let mut diff = request_diff(&row, e);
                if row.basis != crate::access::basis_of(&row) {
                    diff.push("basis");
                }
                if !diff.is_empty() {
                    report.push_problem(
                        "request_edited",
                        &subject,
                        format!("申请 {id} 与日志 #{} 不符：{}", e.seq, diff.join("、")),
                    );
                }
            }
        }
        // Approvals: one row per step, each the entry of that step.
        let mut logged: HashMap<String, &AuditEntry> = HashMap::new();
        for e in of(AuditAction::AccessApproved) {
            if let Some(step) = details(e)["step"].as_str() {
                logged.insert(step.to_owned(), e);
            }
        }
        for a in self.db.approvals(id).await? {
            let s = format!("approval:{id}:{}", a.step);
            let Some(e) = logged.remove(&a.step) else {
                report.push_problem(
                    "approval_unlogged",
                    &s,
                    format!(
                        "申请 {id} 的“{}”审批没有审计日志条目（在 liuhen 之外插入）",
                        a.step
                    ),
                );
                continue;
            };
            let d = details(e);
            let mut diff = Vec::new();
            if d["decision"].as_str() != Some(a.decision.as_str()) {
                diff.push("decision");
            }
            if e.actor != a.approver_id {
                diff.push("approver");
            }
            if d["comment"].as_str() != Some(a.comment.as_str()) {
                diff.push("comment");
            }
            if e.at_ms != a.decided_ms {
                diff.push("decided_ms");
            }
            if a.basis != row.basis {
                diff.push("basis");
            }
            if !diff.is_empty() {
                report.push_problem(
                    "approval_edited",
                    &s,
                    format!(
                        "申请 {id} 的“{}”审批与日志 #{} 不符：{}",
                        a.step,
                        e.seq,
                        diff.join("、")
                    ),
                );
            }
        }
        for (step, e) in logged {
            report.push_problem(
                "approval_missing",
                format!("approval:{id}:{step}"),
                format!(
                    "申请 {id} 的“{step}”审批（日志 #{}）不在审批表中（被删除）",
                    e.seq
                ),
            );
        }
        // Copies of this request.
        for c in self.db.copies(id).await? {
            let s = format!("copy:{}", c.id);
            let Some(e) = copies_logged.remove(&c.id) else {
                report.push_problem(
                    "copy_unlogged",
                    &s,
                    format!("复制记录 {} 没有审计日志条目（在 liuhen 之外插入）", c.id),
                );
                continue;
            };
            let d = details(&e);
            let same = d["original_sha256"].as_str() == Some(c.original_sha256.as_str())
                && d["statement_sha256"].as_str() == Some(c.statement_sha256.as_str())
                && d["extractor"].as_str() == Some(c.extractor.as_str())
                && d["extracted_ms"].as_i64() == Some(c.extracted_ms)
                && d["proves"].as_str() == Some(c.proves.as_str())
                && d["number"].as_str() == c.number.as_deref()
                && e.actor == c.maker_id
                && e.subject.as_deref() == Some(format!("record:{}", c.record_id).as_str());
            if !same {
                report.push_problem(
                    "copy_edited",
                    &s,
                    format!("复制记录 {} 与日志 #{} 不符", c.id, e.seq),
                );
            }
        }
        // The loan of this request.
        let issued = of(AuditAction::LoanIssued).next_back();
        let returned = of(AuditAction::LoanReturned).next_back();
        match (self.db.loan(id).await?, issued) {
            (None, None) => {}
            (Some(_), None) => report.push_problem(
                "loan_unlogged",
                format!("loan:{id}"),
                format!("申请 {id} 的借出记录没有审计日志条目（在 liuhen 之外插入）"),
            ),
            (None, Some(e)) => report.push_problem(
                "loan_missing",
                format!("loan:{id}"),
                format!(
                    "申请 {id} 的借出记录（日志 #{}）不在借出表中（被删除）",
                    e.seq
                ),
            ),
            (Some(l), Some(e)) => {
                let d = details(e);
                let mut same = d["grant"].as_str() == Some(l.grant_id.as_str())
                    && d["due_ms"].as_i64() == Some(l.due_ms)
                    && e.actor == l.issued_by
                    && e.at_ms == l.issued_ms;
                same &= match (returned, l.returned_ms) {
                    (None, None) => true,
                    (Some(r), Some(at)) => {
                        r.at_ms == at && Some(r.actor.as_str()) == l.returned_by.as_deref()
                    }
                    _ => false,
                };
                if !same {
                    report.push_problem(
                        "loan_edited",
                        format!("loan:{id}"),
                        format!("申请 {id} 的借出记录与日志 #{} 不符", e.seq),
                    );
                }
            }
        }
        Ok(())
    }
}
