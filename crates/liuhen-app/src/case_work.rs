//! What the web and API need around cases: the authorization scope of a case, the list a
//! principal may see, editing a case's fields (reasoned, logged), link proposals for a step
//! and the confirmation of a proposal.

use jiff::{SignedDuration, Timestamp};
use liuhen_db::NewEntry;
pub use liuhen_db::{CaseFilter, CasePage, FlagColumn};
use liuhen_domain::authz::{
    Action, CaseScope, Principal, Target, case_visibility, record_visibility,
};
use liuhen_domain::case::{CaseCategory, CaseStatus};
use liuhen_domain::proposal::{Proposal, propose};
use liuhen_domain::{AuditAction, Record};
use serde_json::json;

use crate::cases::{
    CaseRow, ExplanationRow, NewCase, PartyRow, StepRecordRow, StepRow, checked_parties,
    linked_recording, officer_list, required,
};
use crate::log_snapshot::CaseSnapshot;
use crate::{AppError, Custody};
use liuhen_domain::authz::{Decision, decide};
use liuhen_domain::compliance::CaseVerdict;

/// The accounts of a case's team (members without one are nobody).
pub fn team_ids(c: &CaseRow) -> Vec<String> {
    c.team_ids.iter().flatten().cloned().collect()
}

/// The authorization scope of a case; `team_ids` from [`team_ids`].
pub fn case_scope<'a>(c: &'a CaseRow, team_ids: &'a [String]) -> CaseScope<'a> {
    CaseScope {
        agency: Some(c.agency.as_str()).filter(|a| !a.is_empty()),
        department: Some(c.department.as_str()),
        team_ids,
    }
}

/// Changes to a case's fields; `None` keeps the field.
#[derive(Debug, Clone, Default)]
pub struct CaseEdit {
    pub number: Option<String>,
    pub name: Option<String>,
    pub category: Option<CaseCategory>,
    pub agency: Option<String>,
    pub department: Option<String>,
    pub status: Option<CaseStatus>,
    pub parties: Option<Vec<PartyRow>>,
    pub team: Option<Vec<String>>,
}

/// A time as people and clients type it: RFC 3339, or the bureau's local
/// `YYYY-MM-DDTHH:MM[:SS]` (what `<input type="datetime-local">` sends) or with a space.
pub fn parse_time(what_zh: &str, s: &str, tz: &jiff::tz::TimeZone) -> Result<Timestamp, AppError> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    s.replace(' ', "T")
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| tz.to_timestamp(dt).ok())
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "{what_zh}“{s}”格式不正确，应为 2026-03-01T09:30 形式 / use YYYY-MM-DDTHH:MM"
            ))
        })
}

/// One entry of a case's history, as people read it.
#[derive(Debug, Clone)]
pub struct CaseEvent {
    pub seq: u64,
    pub at: Timestamp,
    pub actor_id: String,
    pub actor_name: Option<String>,
    pub action: Option<AuditAction>,
    pub action_code: String,
    /// What changed, in Chinese ("标记：可能引发争议 → 设置", "环节：听证", …).
    pub summary_zh: String,
    pub reason: Option<String>,
}

fn summary_zh(d: &serde_json::Value) -> String {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    if let Some(note) = d.get("note").and_then(|n| n.as_str()) {
        return format!("说明：{note}");
    }
    if d.get("reopened").and_then(|v| v.as_bool()) == Some(true) {
        return format!(
            "同意重新打开已归档的案件（申请理由：{}；审批意见：{}）",
            s(&d["reason"]),
            s(&d["approval"])
        );
    }
    if d.get("reopen_request").and_then(|v| v.as_bool()) == Some(true) {
        return format!("申请重新打开案件：{}", s(&d["reason"]));
    }
    if d.get("request").is_some() && d.get("requested_by").is_some() {
        return format!("不同意重新打开案件：{}", s(&d["reason"]));
    }
    if let Some(flag) = d.get("flag").and_then(|f| f.as_str()) {
        let label = flag
            .parse::<crate::cases::CaseFlag>()
            .map(|f| f.label_zh())
            .unwrap_or(flag);
        let on = d.get("value").and_then(|v| v.as_bool()) == Some(true);
        return format!("标记“{label}”：{}", if on { "设置" } else { "取消" });
    }
    if let Some(step) = d.get("step").filter(|v| v.is_object()) {
        return format!("环节“{}”（{}）", s(&step["name"]), s(&step["place"]));
    }
    if let Some(record) = d.get("record") {
        return format!("记录 {}", s(record));
    }
    if let Some(r) = d.get("resumed_record") {
        return format!("中断后恢复的记录 {}，原因 {}", s(r), s(&d["reason"]));
    }
    if let Some(c) = d.get("changes").and_then(|c| c.as_object()) {
        let keys: Vec<&str> = c.keys().map(String::as_str).collect();
        return format!("修改字段：{}", keys.join("、"));
    }
    if let Some(c) = d.get("case") {
        return format!("{} {}", s(&c["number"]), s(&c["name"]));
    }
    String::new()
}

/// Everything a case page shows, gathered after authorizing the view.
#[derive(Debug, Clone)]
pub struct CaseDossier {
    pub case: CaseRow,
    pub steps: Vec<StepRow>,
    /// Per step (same order): the linked records.
    pub links: Vec<Vec<(StepRecordRow, Record)>>,
    /// Per step: the explanations stated.
    pub explanations: Vec<Vec<ExplanationRow>>,
    pub verdict: CaseVerdict,
    pub events: Vec<CaseEvent>,
    /// Whether the viewer may change the case (shows the forms); never once archived.
    pub can_manage: bool,
    /// Whether the viewer may append notes to the case file (the case team and keepers).
    pub can_note: bool,
    /// Whether the viewer may approve or decline the pending request to reopen the
    /// archived case (R4.7): a reopening role of the unit, not the requester.
    pub can_reopen: bool,
    /// Whether the viewer may ask for the archived case to be reopened (none pending).
    pub can_request_reopen: bool,
    /// The pending request to reopen the archived case.
    pub reopen_request: Option<crate::case_archive::ReopenRequest>,
}

/// The longest recording a proposal search expects (body cameras split files far sooner).
const LONGEST_RECORDING: SignedDuration = SignedDuration::from_hours(12);
/// How many candidates a proposal search reads at most.
const CANDIDATES: u32 = 500;

impl Custody {
    /// Authorizes `action` on `case` (refusals are logged with subject `case:<id>`).
    pub async fn authorize_case(
        &self,
        who: &Principal,
        action: Action,
        case: &CaseRow,
    ) -> Result<(), AppError> {
        let ids = team_ids(case);
        self.authorize(
            who,
            action,
            Target::Case(case_scope(case, &ids)),
            Some(&format!("case:{}", case.id)),
        )
        .await
        .map(drop)
    }

    /// The case's history (oldest first) with the actors' names and a summary of each act.
    pub async fn case_events(&self, case_id: &str) -> Result<Vec<CaseEvent>, AppError> {
        // Views of the case are in the log (and the register), not in its history.
        let mut entries = self.case_history(case_id).await?;
        entries.retain(|e| e.action != AuditAction::CaseViewed.as_str());
        let actors: Vec<String> = entries.iter().map(|e| e.actor.clone()).collect();
        let names = self.db.display_names(&actors).await?;
        Ok(entries
            .into_iter()
            .map(|e| {
                let details = liuhen_db::EntryBody::parse(&e.body)
                    .map(|b| b.details)
                    .unwrap_or_default();
                CaseEvent {
                    seq: e.seq,
                    at: Timestamp::from_millisecond(e.at_ms).unwrap_or_default(),
                    actor_name: names.get(&e.actor).cloned(),
                    actor_id: e.actor,
                    action: AuditAction::parse(&e.action),
                    action_code: e.action,
                    summary_zh: summary_zh(&details),
                    reason: details
                        .get("reason")
                        .and_then(|r| r.as_str())
                        .filter(|r| !r.is_empty())
                        .map(str::to_owned),
                }
            })
            .collect())
    }

    /// A case as its page shows it, for `who` (the view is authorized; a refusal is
    /// logged).
    pub async fn case_dossier(&self, who: &Principal, id: &str) -> Result<CaseDossier, AppError> {
        let case = self.case(id).await?;
        self.authorize_case(who, Action::ViewCase, &case).await?;
        let steps = self.case_steps(&case.id).await?;
        let mut links = Vec::with_capacity(steps.len());
        let mut explanations = Vec::with_capacity(steps.len());
        for s in &steps {
            let mut recs = Vec::new();
            for l in self.db.step_records(&s.step.id).await? {
                let r = self.record(&l.record_id).await?;
                recs.push((l, r));
            }
            links.push(recs);
            explanations.push(self.db.explanations(&s.step.id).await?);
        }
        let verdict = self.case_compliance(&case.id).await?;
        let mut records: Vec<String> = links
            .iter()
            .flatten()
            .map(|(_, r)| r.id.to_string())
            .collect();
        records.sort();
        records.dedup();
        self.log_case_view(who, &case, records).await?;
        let events = self.case_events(&case.id).await?;
        let ids = team_ids(&case);
        let can_note = decide(
            &self.policy,
            who,
            Action::ManageCase,
            Target::Case(case_scope(&case, &ids)),
        ) == Decision::Allow;
        let archived = case.status == CaseStatus::Archived;
        let can_manage = can_note && !archived;
        let reopen_request = if archived {
            self.pending_reopen(&case.id).await?
        } else {
            None
        };
        let can_reopen = archived
            && self.may_reopen(who, &case)
            && reopen_request
                .as_ref()
                .is_some_and(|r| r.requested_by != who.user_id);
        let can_request_reopen =
            archived && reopen_request.is_none() && self.may_request_reopen(who, &case);
        Ok(CaseDossier {
            case,
            steps,
            links,
            explanations,
            verdict,
            events,
            can_manage,
            can_note,
            can_reopen,
            can_request_reopen,
            reopen_request,
        })
    }

    /// A step by id that must belong to the case (id or number).
    pub async fn step_of_case(&self, case: &str, step: &str) -> Result<StepRow, AppError> {
        let case = self.case(case).await?;
        let st = self.step(step).await?;
        if st.case_id != case.id {
            return Err(AppError::Invalid(format!(
                "环节 {step} 不属于案件 {} / the step belongs to another case",
                case.number
            )));
        }
        Ok(st)
    }

    /// Links the records of `who`'s ingest to a step of `case` `who` manages, each in its
    /// own transaction with its audit entry: a record this ingest stored is `who`'s own
    /// act and is linked once the case is authorized; one already in custody (a
    /// duplicate) is linked only as [`Custody::link_record_as`] allows. Records already
    /// linked to the step are left as they are. Returns the linked records and the
    /// failures (refusals included); a refusal of the case itself fails every record.
    pub async fn link_ingested(
        &self,
        who: &Principal,
        case: &str,
        step_id: &str,
        summary: &crate::ingest::IngestSummary,
    ) -> (
        Vec<liuhen_domain::RecordId>,
        Vec<(liuhen_domain::RecordId, AppError)>,
    ) {
        let mut linked = Vec::new();
        let mut failed = Vec::new();
        let already: Vec<liuhen_domain::RecordId> = match self.db.step_records(step_id).await {
            Ok(l) => l.into_iter().map(|l| l.record_id).collect(),
            Err(_) => Vec::new(),
        };
        for report in &summary.reports {
            let Some(id) = report
                .record_id
                .as_deref()
                .and_then(|id| liuhen_domain::RecordId::parse(id).ok())
            else {
                continue;
            };
            if already.contains(&id) || linked.contains(&id) {
                continue;
            }
            let linked_one = if report.status == crate::ingest::FileStatus::Stored {
                match self.step_to_manage(who, case, step_id).await {
                    Ok(_) => self.link_record(step_id, &id, &who.user_id).await,
                    Err(e) => Err(e),
                }
            } else {
                self.link_record_as(who, case, step_id, &id).await
            };
            match linked_one {
                Ok(_) => linked.push(id),
                Err(e) => failed.push((id, e)),
            }
        }
        (linked, failed)
    }

    /// One page of the cases `who` may see that match `filter`.
    pub async fn search_cases(
        &self,
        who: &Principal,
        filter: &CaseFilter,
        page: u32,
        page_size: u32,
    ) -> Result<CasePage, AppError> {
        let found = self
            .db
            .search_cases(&case_visibility(&self.policy, who), filter, page, page_size)
            .await?;
        let mut details = crate::use_log::case_query_details(filter);
        details["page"] = page.into();
        self.log_search(who, AuditAction::CasesSearched, details)
            .await?;
        Ok(found)
    }

    /// The cases `who` may see that match `filter` for an export, at most `max` of them,
    /// logged once as an export (not as searches) with `file` and `format`.
    pub async fn export_cases(
        &self,
        who: &Principal,
        filter: &CaseFilter,
        max: u32,
        file: &str,
        format: &str,
    ) -> Result<Vec<CaseRow>, AppError> {
        let vis = case_visibility(&self.policy, who);
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let found = self.db.search_cases(&vis, filter, page, 100).await?;
            let last = page >= found.pages() || found.cases.is_empty();
            out.extend(found.cases);
            if last || out.len() >= max as usize {
                break;
            }
            page += 1;
        }
        out.truncate(max as usize);
        let details = crate::use_log::case_query_details(filter);
        self.log_cases_export(who, file, format, details, Some(out.len()))
            .await?;
        Ok(out)
    }

    /// Creates a case for a person (issue 10.3): the case is of `who`'s unit (a request
    /// naming another is refused), its team accounts of that unit, and `who` must be able
    /// to manage it (on the team, or the unit's records keeper). A refusal is logged.
    pub async fn create_case_as(
        &self,
        who: &Principal,
        new: &NewCase,
    ) -> Result<CaseRow, AppError> {
        let unit = self.own_unit(who, Some(&new.agency))?;
        let team = officer_list(&new.team, "办案人员", "the team")?;
        let ids = self.team_accounts(&unit, &team, None, true).await?;
        let known: Vec<String> = ids.iter().flatten().cloned().collect();
        self.authorize(
            who,
            Action::ManageCase,
            Target::Case(CaseScope {
                agency: Some(&unit),
                department: Some(new.department.trim()),
                team_ids: &known,
            }),
            None,
        )
        .await?;
        self.insert_new_case(new, &unit, team, ids, &who.user_id)
            .await
    }

    /// Edits the fields of a case `who` manages (`ManageCase`). The reason is required
    /// whenever the change alters what the case is (anything but its name); nothing
    /// changes, and nothing is logged, when no field differs. The case stays in `who`'s unit, and its team holds accounts of that
    /// unit only (issue 10.2, 10.3: cross-unit help is a grant).
    pub async fn edit_case(
        &self,
        who: &Principal,
        case: &str,
        edit: &CaseEdit,
        reason: &str,
    ) -> Result<CaseRow, AppError> {
        let actor = who.user_id.as_str();
        let case = self.case_to_manage(who, case).await?.id;
        let mut tx = self.db.begin().await?;
        let before = self.case(&case).await?;
        crate::case_archive::ensure_not_archived(&before)?;
        let mut after = before.clone();
        if let Some(v) = &edit.number {
            after.number = required(v, "案件编号", "case number")?;
        }
        if let Some(v) = &edit.name {
            after.name = required(v, "案件名称", "case name")?;
        }
        if let Some(v) = edit.category {
            after.category = v;
        }
        if let Some(v) = &edit.agency
            && v.trim() != before.agency
        {
            after.agency = self.own_unit(who, Some(v))?;
        }
        if let Some(v) = &edit.department {
            after.department = required(v, "办案部门", "department")?;
        }
        if let Some(v) = edit.status {
            after.status = v;
        }
        if let Some(v) = &edit.parties {
            after.parties = checked_parties(v)?;
        }
        if let Some(v) = &edit.team {
            after.team = officer_list(v, "办案人员", "the team")?;
        }
        if after.team != before.team || after.agency != before.agency {
            after.team_ids = self
                .team_accounts(&after.agency, &after.team, Some(&before), true)
                .await?;
        }
        let (old, new) = (
            CaseSnapshot::of(&before).to_value(),
            CaseSnapshot::of(&after).to_value(),
        );
        let changed: Vec<&str> = [
            "number",
            "name",
            "category",
            "agency",
            "department",
            "status",
            "parties",
            "team",
            "team_ids",
        ]
        .into_iter()
        .filter(|k| old[k] != new[k])
        .collect();
        if changed.is_empty() {
            return Err(AppError::Invalid(
                "没有任何字段被修改 / nothing changed".into(),
            ));
        }
        let reason = reason.trim();
        if reason.is_empty() && changed.iter().any(|k| *k != "name") {
            return Err(AppError::Invalid(
                "修改案件编号、类别、机构、部门、状态、当事人或办案人员必须填写理由 / a reason is required"
                    .into(),
            ));
        }
        if after.number != before.number && self.db.case(&after.number).await?.is_some() {
            return Err(AppError::Invalid(format!(
                "案件编号 {} 已存在 / case number already exists",
                after.number
            )));
        }
        let mut details = serde_json::Map::new();
        for k in &changed {
            details.insert((*k).to_owned(), json!({ "from": old[*k], "to": new[*k] }));
        }
        tx.append(
            self.now(),
            NewEntry {
                actor: actor.to_owned(),
                action: AuditAction::CaseEdited,
                subject: Some(format!("case:{}", after.id)),
                details: json!({ "changes": details, "reason": reason }),
            },
        )
        .await?;
        tx.update_case(&after).await?;
        tx.commit().await?;
        if changed.iter().any(|k| ["status", "category"].contains(k)) {
            self.follow_case_retention(&after.id, actor, "案件状态或类别变更")
                .await?;
        }
        Ok(after)
    }

    /// Records `who` may see that probably belong to a step, best first, each with why.
    /// Nothing is linked: a person confirms each proposal. Authorized by the caller
    /// ([`Custody::propose_links`]).
    pub(crate) async fn propose_links_visible(
        &self,
        who: &Principal,
        step_id: &str,
    ) -> Result<Vec<(Proposal, Record)>, AppError> {
        let now = self.now().as_millisecond();
        self.proposals_among(Some(&record_visibility(&self.policy, who, now)), step_id)
            .await
    }

    async fn proposals_among(
        &self,
        vis: Option<&liuhen_domain::authz::RecordVisibility>,
        step_id: &str,
    ) -> Result<Vec<(Proposal, Record)>, AppError> {
        let step = self.step(step_id).await?;
        let slack = self.compliance_config().gap_tolerance;
        let (w0, w1) = step.step.window;
        let from = w0
            .checked_sub(LONGEST_RECORDING)
            .unwrap_or(w0)
            .as_millisecond();
        let to = w1.checked_add(slack).unwrap_or(w1).as_millisecond() + 1;
        let found = self
            .db
            .records_captured_between(vis, from, to, CANDIDATES)
            .await?;
        let mut linked = Vec::new();
        for l in self.db.step_records(&step.step.id).await? {
            let record = self.record(&l.record_id).await?;
            linked.push(linked_recording(
                &record,
                self.config.recording_source(&record),
            ));
        }
        let candidates: Vec<_> = found
            .iter()
            .map(|r| linked_recording(r, self.config.recording_source(r)))
            .collect();
        let ranked = propose(&step.step, &linked, &candidates, slack);
        Ok(ranked
            .into_iter()
            .filter_map(|p| {
                let r = found.iter().find(|r| r.id == p.record_id)?.clone();
                Some((p, r))
            })
            .collect())
    }
}
