//! Decisions on cases (决定) and the legal-review gate of R5 (附件5). Drafting, marking for
//! review, uploading a draft document, issuing and serving live here; submission, review,
//! extension and the legal office's inbox in [`review`]; the opinion form in [`opinion`].
//! Every refusal of the gate is logged (`access.refused` with the gate's reason) and every
//! change writes an entry carrying the row as it became, in the same transaction
//! (`verify_decisions` replays them).

mod opinion;
mod overdue;
mod qualification;
mod review;

use std::io::Read;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use liuhen_db::NewEntry;
pub use liuhen_db::{AuditEntry, DecisionRow, QualificationRow, RoundRow};
use liuhen_domain::AuditAction;
use liuhen_domain::authz::{Action, Principal, Target};
use liuhen_domain::decision::calendar::Calendar;
use liuhen_domain::decision::catalog::Catalog;
use liuhen_domain::decision::gate::{self, GateRefusal, RoundFacts};
use liuhen_domain::decision::{DecisionFacts, DecisionKind, DecisionStatus, PartyType};
use serde_json::{Value, json};

pub use review::InboxItem;

use crate::cases::CaseRow;
use crate::{AppError, Custody};

/// Largest draft document accepted.
pub const MAX_DRAFT_BYTES: usize = 20 * 1024 * 1024;

/// A decision as drafted.
#[derive(Debug, Clone)]
pub struct NewDecision {
    pub kind: DecisionKind,
    pub measure: String,
    pub party_type: PartyType,
    pub party_name: String,
    /// The fine in fen; required for the measure `fine`, else 0.
    pub fine_fen: i64,
    pub after_hearing: bool,
    pub summary: String,
}

/// A decision with what its page shows.
#[derive(Debug, Clone)]
pub struct DecisionView {
    pub decision: DecisionRow,
    pub case: CaseRow,
    pub rounds: Vec<RoundRow>,
    /// Codes and texts of the catalog entries that put it under review.
    pub entries: Vec<(String, String)>,
    pub measure_name: String,
    /// The time limit of a pending round and whether the calendar covers its year.
    pub due: Option<(Date, bool)>,
    pub overdue: bool,
    /// The case's recording compliance: (violations, warnings, the findings in Chinese).
    pub compliance: (usize, usize, Vec<String>),
    pub can_manage: bool,
    pub can_review: bool,
}

pub fn decision_json(d: &DecisionRow) -> Value {
    json!({
        "id": d.id,
        "case_id": d.case_id,
        "kind": d.kind.code(),
        "measure": d.measure,
        "party_type": d.party_type.code(),
        "party_name": d.party_name,
        "fine_fen": d.fine_fen,
        "after_hearing": d.after_hearing,
        "summary": d.summary,
        "marked_reason": d.marked_reason,
        "draft_sha256": d.draft_sha256,
        "draft_name": d.draft_name,
        "draft_version": d.draft_version,
        "status": d.status.code(),
        "created_by": d.created_by,
        "created_ms": d.created_ms,
        "issued_ms": d.issued_ms,
        "served_ms": d.served_ms,
    })
}

pub fn round_json(r: &RoundRow) -> Value {
    json!({
        "id": r.id,
        "decision_id": r.decision_id,
        "round": r.round,
        "submitted_by": r.submitted_by,
        "submitted_ms": r.submitted_ms,
        "materials": r.materials,
        "draft_sha256": r.draft_sha256,
        "due_date": r.due_date,
        "extend_reason": r.extend_reason,
        "outcome": r.outcome.map(|o| o.code()).unwrap_or_default(),
        "opinion": r.opinion,
        "changes": r.changes,
        "reviewer": r.reviewer,
        "reviewer_cert": r.reviewer_cert,
        "reviewed_ms": r.reviewed_ms,
    })
}

pub fn qualification_json(q: &QualificationRow) -> Value {
    json!({
        "user_id": q.user_id,
        "cert_no": q.cert_no,
        "set_by": q.set_by,
        "set_ms": q.set_ms,
    })
}

/// What the catalog's predicates see of a decision.
pub fn facts(d: &DecisionRow) -> DecisionFacts<'_> {
    DecisionFacts {
        kind: d.kind,
        measure: &d.measure,
        party: d.party_type,
        fine_fen: (d.measure == "fine").then_some(d.fine_fen),
        after_hearing: d.after_hearing,
        marked: !d.marked_reason.is_empty(),
    }
}

fn bad(msg: impl Into<String>) -> AppError {
    AppError::Invalid(msg.into())
}

impl Custody {
    pub fn decision_catalog(&self) -> Catalog {
        self.config.decisions.catalog()
    }

    pub fn work_calendar(&self) -> Calendar {
        self.config.decisions.calendar()
    }

    /// The day `t` falls on in the bureau's time zone.
    pub fn local_date(&self, t: Timestamp) -> Date {
        self.tz().to_datetime(t).date()
    }

    /// Whether the catalog puts `d` under legal review.
    pub fn needs_review(&self, d: &DecisionRow) -> bool {
        !self.decision_catalog().matching(&facts(d)).is_empty()
    }

    pub(crate) async fn decision_row(&self, id: &str) -> Result<DecisionRow, AppError> {
        self.db
            .decision(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("decision {id}")))
    }

    /// Logs a refusal of the gate (who, what, why) and returns it as an error; incomplete
    /// input is bad input (nothing logged, nothing changed).
    pub(crate) async fn refuse_gate(
        &self,
        who: &Principal,
        action: Action,
        decision: &str,
        why: GateRefusal,
    ) -> AppError {
        if why.is_input() {
            return AppError::Input(liuhen_domain::Message::new(why.code()));
        }
        let logged = self
            .log_event(NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::AccessRefused,
                subject: Some(format!("decision:{decision}")),
                details: json!({
                    "action": action.code(),
                    "reason": why.code(),
                    "decision": decision,
                    "roles": who.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
                }),
            })
            .await;
        match logged {
            Ok(_) => AppError::Refused {
                code: why.code(),
                message: liuhen_domain::Message::new(why.code()),
            },
            Err(e) => e,
        }
    }

    /// Writes `d` (and `round`) with one entry carrying them, in one transaction.
    pub(crate) async fn write_decision(
        &self,
        who: &Principal,
        now: Timestamp,
        action: AuditAction,
        d: &DecisionRow,
        round: Option<&RoundRow>,
        extra: Value,
    ) -> Result<(), AppError> {
        let mut details = json!({ "decision": decision_json(d) });
        if let Some(r) = round {
            details["round"] = round_json(r);
        }
        if let (Some(map), Some(more)) = (details.as_object_mut(), extra.as_object()) {
            map.extend(more.clone());
        }
        let mut tx = self.db.begin().await?;
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action,
                subject: Some(format!("decision:{}", d.id)),
                details,
            },
        )
        .await?;
        tx.put_decision(d).await?;
        if let Some(r) = round {
            tx.put_round(r).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The case of a decision, after authorizing `action` on it (logged when refused).
    async fn decision_case(
        &self,
        who: &Principal,
        action: Action,
        d: &DecisionRow,
    ) -> Result<CaseRow, AppError> {
        let case = self.case(&d.case_id).await?;
        self.authorize_case(who, action, &case).await?;
        Ok(case)
    }

    /// Drafts a decision on a case (the case team, `case.manage`).
    pub async fn create_decision(
        &self,
        who: &Principal,
        case_id: &str,
        new: &NewDecision,
        now: Timestamp,
    ) -> Result<DecisionRow, AppError> {
        let case = self.case(case_id).await?;
        self.authorize_case(who, Action::ManageCase, &case).await?;
        let catalog = self.decision_catalog();
        let measure = new.measure.trim();
        if catalog.measure_name(new.kind, measure).is_none() {
            return Err(bad(format!(
                "“{}”类决定没有措施“{measure}”",
                new.kind.label_zh()
            )));
        }
        let is_fine = measure == "fine";
        if is_fine && new.fine_fen <= 0 {
            return Err(bad("罚款决定须填写大于零的罚款金额"));
        }
        if !is_fine && new.fine_fen != 0 {
            return Err(bad("只有罚款决定才填写罚款金额"));
        }
        if new.party_name.trim().is_empty() {
            return Err(bad("请填写当事人名称"));
        }
        let d = DecisionRow {
            id: uuid::Uuid::now_v7().to_string(),
            case_id: case.id.clone(),
            kind: new.kind,
            measure: measure.to_owned(),
            party_type: new.party_type,
            party_name: new.party_name.trim().to_owned(),
            fine_fen: new.fine_fen,
            after_hearing: new.after_hearing,
            summary: new.summary.trim().to_owned(),
            marked_reason: String::new(),
            draft_sha256: String::new(),
            draft_name: String::new(),
            draft_version: 0,
            status: DecisionStatus::Draft,
            created_by: who.user_id.clone(),
            created_ms: now.as_millisecond(),
            issued_ms: 0,
            served_ms: 0,
        };
        let entries: Vec<&str> = catalog
            .matching(&facts(&d))
            .iter()
            .map(|e| e.code.as_str())
            .collect();
        self.write_decision(
            who,
            now,
            AuditAction::DecisionCreated,
            &d,
            None,
            json!({ "case": case.id, "catalog_entries": entries }),
        )
        .await?;
        Ok(d)
    }

    /// Stores a new version of the draft document (write-once blob, bound by SHA-256). A
    /// reviewed decision goes back to draft: the approval was for the earlier version.
    pub async fn upload_draft(
        &self,
        who: &Principal,
        id: &str,
        name: &str,
        bytes: Vec<u8>,
        now: Timestamp,
    ) -> Result<DecisionRow, AppError> {
        let mut d = self.decision_row(id).await?;
        self.decision_case(who, Action::ManageCase, &d).await?;
        let name = name.trim();
        if bytes.is_empty() || name.is_empty() {
            return Err(bad("请选择决定文书草案文件"));
        }
        if bytes.len() > MAX_DRAFT_BYTES {
            return Err(bad("决定文书草案文件过大（最大 20 MiB）"));
        }
        let next = match gate::check_new_draft(d.status) {
            Ok(s) => s,
            Err(e) => return Err(self.refuse_gate(who, Action::ManageCase, id, e).await),
        };
        let years = i16::try_from(self.config.custody.default_retention_years).unwrap_or(30);
        let until = liuhen_domain::rules::default_retain_until(None, now, years, &self.tz());
        let blobs = Arc::clone(&self.blobs);
        let put =
            tokio::task::spawn_blocking(move || blobs.put(&mut std::io::Cursor::new(bytes), until))
                .await??;
        let was = d.status;
        d.draft_sha256 = put.digests.sha256.to_hex();
        d.draft_name = name.chars().take(200).collect();
        d.draft_version += 1;
        d.status = next;
        self.write_decision(
            who,
            now,
            AuditAction::DecisionDraftUploaded,
            &d,
            None,
            json!({
                "sha256": d.draft_sha256,
                "sm3": put.digests.sm3.to_hex(),
                "size": put.digests.size,
                "review_voided": was == DecisionStatus::Reviewed,
            }),
        )
        .await?;
        Ok(d)
    }

    /// The current draft document's name and bytes (viewers of the case).
    pub async fn draft_document(
        &self,
        who: &Principal,
        id: &str,
    ) -> Result<(String, Vec<u8>), AppError> {
        let d = self.decision_row(id).await?;
        self.decision_case(who, Action::ViewCase, &d).await?;
        if d.draft_sha256.is_empty() {
            return Err(AppError::NotFound(format!("draft of decision {id}")));
        }
        let sha: liuhen_domain::Sha256Digest = d
            .draft_sha256
            .parse()
            .map_err(|e| bad(format!("draft digest: {e}")))?;
        let blobs = Arc::clone(&self.blobs);
        let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, AppError> {
            let mut out = Vec::new();
            blobs
                .open(&sha)?
                .take(MAX_DRAFT_BYTES as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| AppError::Io {
                    path: "draft decision".into(),
                    source: e,
                })?;
            Ok(out)
        })
        .await??;
        Ok((d.draft_name, bytes))
    }

    /// Marks a decision for legal review under an "other … by law" entry, with a reason.
    pub async fn mark_decision(
        &self,
        who: &Principal,
        id: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<DecisionRow, AppError> {
        let mut d = self.decision_row(id).await?;
        self.decision_case(who, Action::ManageCase, &d).await?;
        if let Err(e) = gate::check_mark(d.status, reason) {
            return Err(self.refuse_gate(who, Action::ManageCase, id, e).await);
        }
        if !self.decision_catalog().markable(d.kind) {
            return Err(bad(format!(
                "目录中没有“{}”类的“其他”条目，无法标记",
                d.kind.label_zh()
            )));
        }
        d.marked_reason = reason.trim().to_owned();
        self.write_decision(who, now, AuditAction::DecisionMarked, &d, None, json!({}))
            .await?;
        Ok(d)
    }

    /// Issues (作出) a decision: the gate refuses a catalog decision without a passed review
    /// of this very draft (logged).
    pub async fn issue_decision(
        &self,
        who: &Principal,
        id: &str,
        now: Timestamp,
    ) -> Result<DecisionRow, AppError> {
        let subject = format!("decision:{id}");
        let mut d = self.decision_row(id).await?;
        self.authorize(who, Action::IssueDecision, Target::System, Some(&subject))
            .await?;
        self.decision_case(who, Action::ManageCase, &d).await?;
        let rounds = self.db.rounds(id).await?;
        let last = rounds.last().map(|r| RoundFacts {
            outcome: r.outcome,
            draft_sha256: &r.draft_sha256,
        });
        let needs = self.needs_review(&d);
        if let Err(e) = gate::check_issue(d.status, needs, &d.draft_sha256, last) {
            return Err(self.refuse_gate(who, Action::IssueDecision, id, e).await);
        }
        d.status = DecisionStatus::Issued;
        d.issued_ms = now.as_millisecond();
        let round = rounds.last().map(|r| r.id.clone());
        self.write_decision(
            who,
            now,
            AuditAction::DecisionIssued,
            &d,
            None,
            json!({ "legal_review": needs, "review_round": round }),
        )
        .await?;
        Ok(d)
    }

    /// Records that the issued decision was served (送达).
    pub async fn serve_decision(
        &self,
        who: &Principal,
        id: &str,
        now: Timestamp,
    ) -> Result<DecisionRow, AppError> {
        let subject = format!("decision:{id}");
        let mut d = self.decision_row(id).await?;
        self.authorize(who, Action::IssueDecision, Target::System, Some(&subject))
            .await?;
        self.decision_case(who, Action::ManageCase, &d).await?;
        if let Err(e) = gate::check_serve(d.status) {
            return Err(self.refuse_gate(who, Action::IssueDecision, id, e).await);
        }
        d.status = DecisionStatus::Served;
        d.served_ms = now.as_millisecond();
        self.write_decision(who, now, AuditAction::DecisionServed, &d, None, json!({}))
            .await?;
        Ok(d)
    }

    /// The decision's log entries, oldest first (the caller has authorized viewing it):
    /// every change and every refused attempt.
    pub async fn decision_history(&self, id: &str) -> Result<Vec<AuditEntry>, AppError> {
        Ok(self.db.entries_for(&format!("decision:{id}")).await?)
    }

    /// The decisions of a case (the caller has authorized viewing the case).
    pub async fn case_decisions(&self, case_id: &str) -> Result<Vec<DecisionRow>, AppError> {
        Ok(self.db.decisions_of_case(case_id).await?)
    }

    /// Everything the decision page shows (viewers of the case).
    pub async fn decision_view(
        &self,
        who: &Principal,
        id: &str,
        now: Timestamp,
    ) -> Result<DecisionView, AppError> {
        let d = self.decision_row(id).await?;
        let case = self.decision_case(who, Action::ViewCase, &d).await?;
        let rounds = self.db.rounds(id).await?;
        let catalog = self.decision_catalog();
        let entries = catalog
            .matching(&facts(&d))
            .iter()
            .map(|e| (e.code.clone(), e.text.clone()))
            .collect();
        let pending = rounds.last().filter(|r| r.outcome.is_none());
        let due = pending.and_then(|r| r.due_date.parse::<Date>().ok());
        let cal = self.work_calendar();
        let verdict = self.case_compliance(&case.id).await?;
        let findings = verdict
            .steps
            .iter()
            .flat_map(|s| &s.findings)
            .filter(|f| f.level != liuhen_domain::compliance::Level::Ok)
            .map(|f| f.message_zh.clone())
            .collect();
        let can_manage = self.allows_case(who, Action::ManageCase, &case);
        let can_review = self.allows_system(who, Action::ReviewDecision);
        Ok(DecisionView {
            measure_name: catalog
                .measure_name(d.kind, &d.measure)
                .unwrap_or(&d.measure)
                .to_owned(),
            due: due.map(|x| (x, cal.covers(x.year()))),
            overdue: due.is_some_and(|x| self.local_date(now) > x),
            compliance: (verdict.violations(), verdict.warnings(), findings),
            decision: d,
            case,
            rounds,
            entries,
            can_manage,
            can_review,
        })
    }

    fn allows_case(&self, who: &Principal, action: Action, case: &CaseRow) -> bool {
        liuhen_domain::authz::decide(
            &self.policy,
            who,
            action,
            Target::Case(crate::case_work::case_scope(
                case,
                &crate::case_work::team_ids(case),
            )),
        ) == liuhen_domain::authz::Decision::Allow
    }
}
