//! Carrying out approved requests: evidence copies bound to the original's digest with
//! their statement (R3.9, R3.10) and fee (R4.10), loans to internal staff with due date and
//! return (R4.6), outside visits and the scans of their papers (R4.3–R4.5); and the
//! confidentiality labels and conclusive-document mark (R2.11, R3.11, R4.4).

use std::sync::Arc;

use jiff::Timestamp;
use liuhen_db::{CopyRow, LoanRow, NewEntry, PaperRow, RequestRow, VisitRow};
use liuhen_domain::approval::{RequestKind, RequestStatus};
use liuhen_domain::authz::{Action, Principal, Target};
use liuhen_domain::numbering::Scope as NumberScope;
use liuhen_domain::{AuditAction, RecordId};

use super::{bad, details, kind_of};
use crate::{AppError, Custody};

/// Largest scan of a paper accepted.
pub const MAX_PAPER_BYTES: usize = 20 * 1024 * 1024;

/// The statement an evidence copy carries (R2.9, R3.10).
#[derive(Debug, Clone)]
pub struct CopyStatement {
    /// 提取人
    pub extractor: String,
    /// 提取时间; now when not given.
    pub extracted_at: Option<Timestamp>,
    /// 证明对象: what the copy proves.
    pub proves: String,
}

/// A scan of one paper of an outside requester.
#[derive(Debug, Clone)]
pub struct PaperUpload {
    pub paper: String,
    pub file_name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub enum LabelTarget {
    Record(RecordId),
    Case(String),
}

fn needs_text(field: &str, s: &str) -> Result<String, AppError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(bad(format!("请填写{field}")));
    }
    if t.chars().count() > 500 {
        return Err(bad(format!("{field}过长（最多 500 字）")));
    }
    Ok(t.to_owned())
}

impl Custody {
    /// The request `id` of `who`'s unit, for an `action` on it (authorized and logged by the
    /// authorization point); another unit's request is not found.
    pub(crate) async fn unit_request(
        &self,
        who: &Principal,
        action: Action,
        id: &str,
    ) -> Result<RequestRow, AppError> {
        let subject = format!("request:{id}");
        self.authorize(who, action, Target::System, Some(&subject))
            .await?;
        let r = self.request_row(id).await?;
        if who.unit.as_deref() != Some(r.agency.as_str()) {
            return Err(AppError::NotFound(format!("request {id}")));
        }
        Ok(r)
    }

    /// The approved request `id` of `who`'s unit, for carrying it out.
    async fn approved_request(
        &self,
        who: &Principal,
        action: Action,
        id: &str,
    ) -> Result<RequestRow, AppError> {
        let r = self.unit_request(who, action, id).await?;
        if r.status != RequestStatus::Approved.code() {
            let s = RequestStatus::parse(&r.status).unwrap_or(RequestStatus::Pending);
            return Err(bad(format!("该申请{}，不能办理", s.label_zh())));
        }
        Ok(r)
    }

    async fn put_small_blob(
        &self,
        bytes: Vec<u8>,
        retain_until: Timestamp,
    ) -> Result<liuhen_blob::Digests, AppError> {
        let blobs = Arc::clone(&self.blobs);
        let put = tokio::task::spawn_blocking(move || {
            blobs.put(&mut std::io::Cursor::new(bytes), retain_until)
        })
        .await??;
        Ok(put.digests)
    }

    /// Makes the approved copy: for each record, the statement naming maker, extractor,
    /// extraction time and what it proves, stored as a blob of its own and bound to the
    /// original's SHA-256; the fee from the schedule is set on the request (R4.10).
    pub async fn make_copy(
        &self,
        who: &Principal,
        who_name: &str,
        request_id: &str,
        st: &CopyStatement,
    ) -> Result<Vec<CopyRow>, AppError> {
        let request = self
            .approved_request(who, Action::HandleRequest, request_id)
            .await?;
        let kind = kind_of(&request)?;
        let copying = kind == RequestKind::Copy
            || (kind == RequestKind::Outside && request.outside_action.as_deref() == Some("copy"));
        if !copying {
            return Err(bad("该申请不是复制申请"));
        }
        let extractor = needs_text("提取人", &st.extractor)?;
        let proves = needs_text("证明对象", &st.proves)?;
        let now = self.now();
        let extracted = st.extracted_at.unwrap_or(now);
        if extracted > now {
            return Err(bad("提取时间不能晚于现在"));
        }
        let approvals = self.db.approvals(request_id).await?;
        let approvers: Vec<String> = approvals
            .iter()
            .map(|a| format!("{}：{}", a.step, a.approver_name))
            .collect();
        let mut records = Vec::new();
        for id in &request.records {
            let rid = RecordId::parse(id).map_err(|e| bad(e.to_string()))?;
            let record = self.record(&rid).await?;
            self.authorize_record(who, Action::MakeCopy, &record)
                .await?;
            records.push(record);
        }
        let fee = self
            .policy
            .fees
            .copy_fee(request.discs as u32, request.pages as u32);
        let tz = self.tz();
        let mut rows = Vec::new();
        for record in &records {
            let statement = format!(
                "音像记录复制说明（证据复制件）\n\
                 原始记录编号：{}\n原始文件 SHA-256：{}\n原始文件 SM3：{}\n文件大小：{} 字节\n\
                 执法机构：{}\n案件名称：{}\n\
                 制作人：{}\n提取人：{}\n提取时间：{}\n证明对象：{}\n\
                 申请编号：{}\n申请文号：{}\n用途：{}\n审批：{}\n",
                record.id,
                record.sha256.to_hex(),
                record.sm3.to_hex(),
                record.size_bytes,
                record.classification.agency.as_deref().unwrap_or(""),
                record.classification.case_name.as_deref().unwrap_or(""),
                who_name,
                extractor,
                extracted
                    .to_zoned_datetime(tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S"),
                proves,
                request.id,
                request.number.as_deref().unwrap_or(""),
                request.purpose,
                approvers.join("；"),
            );
            let digests = self
                .put_small_blob(statement.into_bytes(), record.retain_until)
                .await?;
            rows.push(CopyRow {
                id: uuid::Uuid::now_v7().to_string(),
                request_id: request.id.clone(),
                record_id: record.id.to_string(),
                original_sha256: record.sha256.to_hex(),
                statement_sha256: digests.sha256.to_hex(),
                maker_id: who.user_id.clone(),
                maker_name: who_name.to_owned(),
                extractor: extractor.clone(),
                extracted_ms: extracted.as_millisecond(),
                proves: proves.clone(),
                created_ms: now.as_millisecond(),
                number: None,
            });
        }
        let mut tx = self.db.begin().await?;
        if !tx
            .set_request_status(request_id, "approved", "done", Some(now.as_millisecond()))
            .await?
        {
            return Err(bad("该申请已被他人同时办理，请刷新后重试"));
        }
        tx.set_request_fee(request_id, fee).await?;
        for c in &mut rows {
            c.number = Some(
                self.allocate_number(&mut tx, NumberScope::MadeCopy, &request.agency)
                    .await?,
            );
            tx.insert_copy(c).await?;
            tx.append(
                now,
                NewEntry {
                    actor: who.user_id.clone(),
                    action: AuditAction::CopyMade,
                    subject: Some(format!("record:{}", c.record_id)),
                    details: details(
                        &request,
                        &approvals,
                        serde_json::json!({
                            "copy": c.id,
                            "number": c.number,
                            "original_sha256": c.original_sha256,
                            "statement_sha256": c.statement_sha256,
                            "maker": who_name,
                            "extractor": c.extractor,
                            "extracted_ms": c.extracted_ms,
                            "proves": c.proves,
                            "fee_cents": fee,
                            "discs": request.discs,
                            "pages": request.pages,
                        }),
                    ),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// Records the payment of a copy's fee with its receipt number (R4.10).
    pub async fn record_fee(
        &self,
        who: &Principal,
        request_id: &str,
        receipt_no: &str,
    ) -> Result<RequestRow, AppError> {
        let request = self
            .unit_request(who, Action::HandleRequest, request_id)
            .await?;
        let Some(fee) = request.fee_cents else {
            return Err(bad("该申请尚未制作复制件，没有应收费用"));
        };
        if request.paid_ms.is_some() {
            return Err(bad("该申请的费用已经登记"));
        }
        let receipt = needs_text("收据编号", receipt_no)?;
        let now = self.now();
        let approvals = self.db.approvals(request_id).await?;
        let mut tx = self.db.begin().await?;
        if !tx
            .record_payment(request_id, &receipt, now.as_millisecond())
            .await?
        {
            return Err(bad("该申请的费用已经登记"));
        }
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::FeePaid,
                subject: Some(format!("request:{request_id}")),
                details: details(
                    &request,
                    &approvals,
                    serde_json::json!({ "fee_cents": fee, "receipt_no": receipt }),
                ),
            },
        )
        .await?;
        tx.commit().await?;
        self.request_row(request_id).await
    }

    /// Lends the records of an approved loan request: a grant to view, play and take away
    /// until the due date (R4.6).
    pub async fn issue_loan(&self, who: &Principal, request_id: &str) -> Result<LoanRow, AppError> {
        let request = self
            .approved_request(who, Action::HandleRequest, request_id)
            .await?;
        if kind_of(&request)? != RequestKind::Loan {
            return Err(bad("该申请不是借阅申请"));
        }
        if self.db.loan(request_id).await?.is_some() {
            return Err(bad("该申请已经借出"));
        }
        let now = self.now();
        let due_ms = request.due_ms.unwrap_or_default();
        if due_ms <= now.as_millisecond() {
            return Err(bad("归还日期已过，请重新申请"));
        }
        let due = Timestamp::from_millisecond(due_ms).map_err(|e| bad(e.to_string()))?;
        let approvals = self.db.approvals(request_id).await?;
        let mut tx = self.db.begin().await?;
        let grant = self
            .grant_in(
                &mut tx,
                &who.user_id,
                &request,
                &approvals,
                (true, true, true),
                due,
                now,
            )
            .await?;
        let loan = LoanRow {
            request_id: request_id.to_owned(),
            borrower_id: request.filed_by.clone(),
            grant_id: grant.id.clone(),
            issued_ms: now.as_millisecond(),
            issued_by: who.user_id.clone(),
            due_ms,
            returned_ms: None,
            returned_by: None,
        };
        tx.insert_loan(&loan).await?;
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::LoanIssued,
                subject: Some(format!("request:{request_id}")),
                details: details(
                    &request,
                    &approvals,
                    serde_json::json!({ "grant": grant.id, "due_ms": due_ms }),
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(loan)
    }

    /// Takes lent records back: the loan's grant ends at once.
    pub async fn return_loan(
        &self,
        who: &Principal,
        request_id: &str,
    ) -> Result<LoanRow, AppError> {
        let request = self
            .unit_request(who, Action::HandleRequest, request_id)
            .await?;
        let loan = self
            .db
            .loan(request_id)
            .await?
            .ok_or_else(|| bad("该申请没有借出记录"))?;
        let now = self.now();
        let approvals = self.db.approvals(request_id).await?;
        let mut tx = self.db.begin().await?;
        if !tx
            .return_loan(request_id, &who.user_id, now.as_millisecond())
            .await?
        {
            return Err(bad("已经归还"));
        }
        tx.revoke_grant(&loan.grant_id, &who.user_id, "已归还", now.as_millisecond())
            .await?;
        tx.set_request_status(request_id, "approved", "done", Some(now.as_millisecond()))
            .await?;
        let overdue = now.as_millisecond() > loan.due_ms;
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::LoanReturned,
                subject: Some(format!("request:{request_id}")),
                details: details(
                    &request,
                    &approvals,
                    serde_json::json!({
                        "grant": loan.grant_id,
                        "due_ms": loan.due_ms,
                        "overdue": overdue,
                    }),
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(self.db.loan(request_id).await?.unwrap_or(loan))
    }

    /// Loans not yet returned in `who`'s unit, with whether each is overdue (the reminder
    /// list).
    pub async fn open_loans(&self, who: &Principal) -> Result<Vec<(LoanRow, bool)>, AppError> {
        self.authorize(who, Action::HandleRequest, Target::System, None)
            .await?;
        let Some(unit) = who.unit.as_deref() else {
            return Ok(Vec::new());
        };
        let now = self.now().as_millisecond();
        Ok(self
            .db
            .open_loans(unit, 500)
            .await?
            .into_iter()
            .map(|l| {
                let overdue = l.due_ms < now;
                (l, overdue)
            })
            .collect())
    }

    /// Attaches the scan of one paper of an outside requester (stored as a blob).
    pub async fn attach_paper(
        &self,
        who: &Principal,
        request_id: &str,
        up: PaperUpload,
    ) -> Result<PaperRow, AppError> {
        let request = self
            .unit_request(who, Action::RegisterOutside, request_id)
            .await?;
        let t = self
            .policy
            .outside_type(&request.requester_type)
            .ok_or_else(|| bad("只有外部调阅申请需要附材料"))?;
        if !t.papers.contains(&up.paper) {
            return Err(bad(format!(
                "{} 不需要材料 {:?}（需要：{}）",
                t.name,
                up.paper,
                t.papers.join("、")
            )));
        }
        if up.bytes.is_empty() {
            return Err(bad("扫描件是空文件"));
        }
        if up.bytes.len() > MAX_PAPER_BYTES {
            return Err(bad("扫描件过大（最大 20 MiB）"));
        }
        let file_name = needs_text("文件名", &up.file_name)?;
        let size = up.bytes.len() as i64;
        let now = self.now();
        // Papers are kept as long as the default retention of records.
        let years = i64::from(self.config.custody.default_retention_years);
        let until = now
            .checked_add(jiff::SignedDuration::from_hours(years * 366 * 24))
            .unwrap_or(now);
        let digests = self.put_small_blob(up.bytes, until).await?;
        let row = PaperRow {
            request_id: request_id.to_owned(),
            paper: up.paper.clone(),
            sha256: digests.sha256.to_hex(),
            file_name,
            media_type: up.media_type.clone(),
            size_bytes: size,
            attached_ms: now.as_millisecond(),
            attached_by: who.user_id.clone(),
        };
        let approvals = self.db.approvals(request_id).await?;
        let mut tx = self.db.begin().await?;
        tx.put_paper(&row).await?;
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::PaperAttached,
                subject: Some(format!("request:{request_id}")),
                details: details(
                    &request,
                    &approvals,
                    serde_json::json!({
                        "paper": row.paper,
                        "sha256": row.sha256,
                        "file_name": row.file_name,
                        "size_bytes": size,
                    }),
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Records that an approved outside requester consulted the records (R4.3–R4.5), or,
    /// for a requisition, that the court or reconsideration body took the files (调卷,
    /// R4.6, logged `file.requisitioned`).
    pub async fn record_visit(
        &self,
        who: &Principal,
        request_id: &str,
        note: &str,
    ) -> Result<VisitRow, AppError> {
        let request = self
            .approved_request(who, Action::RegisterOutside, request_id)
            .await?;
        if kind_of(&request)? != RequestKind::Outside {
            return Err(bad("该申请不是外部调阅申请"));
        }
        let now = self.now();
        let visit = VisitRow {
            id: uuid::Uuid::now_v7().to_string(),
            request_id: request_id.to_owned(),
            visited_ms: now.as_millisecond(),
            recorded_by: who.user_id.clone(),
            note: note.trim().chars().take(500).collect(),
        };
        let approvals = self.db.approvals(request_id).await?;
        let mut tx = self.db.begin().await?;
        tx.insert_visit(&visit).await?;
        if request.outside_action.as_deref() != Some("copy") {
            tx.set_request_status(request_id, "approved", "done", Some(now.as_millisecond()))
                .await?;
        }
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: if request.outside_action.as_deref() == Some("requisition") {
                    AuditAction::FileRequisitioned
                } else {
                    AuditAction::VisitOutside
                },
                subject: Some(format!("request:{request_id}")),
                details: details(
                    &request,
                    &approvals,
                    serde_json::json!({
                        "visit": visit.id,
                        "note": visit.note,
                        "id_number": request.requester_id_no,
                        "legal_basis": request.legal_basis,
                    }),
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(visit)
    }

    /// The labels currently on a record (with "conclusive" for the conclusive-document
    /// mark) or a case, for those who may set them; others are refused and logged.
    pub async fn labels_of(
        &self,
        who: &Principal,
        target: &LabelTarget,
    ) -> Result<Vec<String>, AppError> {
        let (on_case, id) = self.authorize_labelling(who, target).await?;
        let mut labels = self.db.labels(on_case, &id).await?;
        if !on_case && self.db.is_conclusive(&id).await? {
            labels.push("conclusive".into());
        }
        Ok(labels)
    }

    /// Authorizes setting labels on `target` (refusals logged); whether it is a case, and
    /// its id.
    async fn authorize_labelling(
        &self,
        who: &Principal,
        target: &LabelTarget,
    ) -> Result<(bool, String), AppError> {
        match target {
            LabelTarget::Record(rid) => {
                let record = self.record(rid).await?;
                self.authorize_record(who, Action::LabelRecord, &record)
                    .await?;
                Ok((false, rid.to_string()))
            }
            LabelTarget::Case(cid) => {
                let subject = format!("case:{cid}");
                self.authorize(who, Action::LabelCase, Target::System, Some(&subject))
                    .await?;
                Ok((true, self.case(cid).await?.id))
            }
        }
    }

    /// Sets or clears a confidentiality label on a record or a case, with a reason.
    pub async fn set_label(
        &self,
        who: &Principal,
        target: &LabelTarget,
        label: &str,
        on: bool,
        reason: &str,
    ) -> Result<bool, AppError> {
        let reason = needs_text("理由", reason)?;
        let conclusive = label == "conclusive";
        if !conclusive && self.policy.label(label).is_none() {
            let codes: Vec<&str> = self.policy.labels.iter().map(|l| l.code.as_str()).collect();
            return Err(bad(format!(
                "未知的密级标识 {label:?}（可选：{}，或 conclusive 结论性材料）",
                codes.join("、")
            )));
        }
        if conclusive && matches!(target, LabelTarget::Case(_)) {
            return Err(bad("结论性材料标记只能设在记录上"));
        }
        let (on_case, id) = self.authorize_labelling(who, target).await?;
        let subject = format!("{}:{id}", if on_case { "case" } else { "record" });
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let changed = if conclusive {
            tx.set_conclusive(&id, on, &who.user_id, now.as_millisecond())
                .await?
        } else {
            tx.set_label(on_case, &id, label, on, &who.user_id, now.as_millisecond())
                .await?
        };
        if !changed {
            return Ok(false);
        }
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::LabelChanged,
                subject: Some(subject),
                details: serde_json::json!({ "label": label, "set": on, "reason": reason }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
