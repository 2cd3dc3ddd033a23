//! Case, step, link and explanation acts of a person (issue 11): each takes the
//! [`Principal`] and asks the one authorization point itself — `ManageCase` on the case's
//! scope (a refusal is logged with subject `case:<id>`), a step only within its own case,
//! and, to link a record, `ViewRecord` on it and [`Custody::authorize_link`]. Pages, API
//! and (once it acts as an account) the CLI only call these; the `actor`-string twins in
//! [`crate::cases`] are the local operator's (CLI, demo) and do not authorize.

use liuhen_domain::RecordId;
use liuhen_domain::authz::{Action, CaseScope, Decision, Principal, Target, decide};
use liuhen_domain::case::Explanation;
use liuhen_domain::proposal::Proposal;

use crate::case_work::CaseEvent;
use crate::cases::{CaseFlag, CaseRow, ExplanationRow, NewStep, StepRecordRow, StepRow};
use crate::{AppError, Custody};

impl Custody {
    /// Whether `who` may create a case at all — manage a case of his own unit and
    /// department with himself on its team, what [`Custody::create_case_as`] authorizes —
    /// without logging (the case list shows its form).
    pub fn may_create_case(&self, who: &Principal) -> bool {
        let me = [who.user_id.clone()];
        let scope = CaseScope {
            agency: who.unit.as_deref().filter(|u| !u.is_empty()),
            department: who.department.as_deref(),
            team_ids: &me,
        };
        decide(&self.policy, who, Action::ManageCase, Target::Case(scope)) == Decision::Allow
    }

    /// The case (id or number) if `who` may see it (`ViewCase`; a refusal is logged).
    pub async fn case_to_view(&self, who: &Principal, case: &str) -> Result<CaseRow, AppError> {
        let case = self.case(case).await?;
        self.authorize_case(who, Action::ViewCase, &case).await?;
        Ok(case)
    }

    /// The case (id or number) if `who` may change it (`ManageCase`; a refusal is logged).
    pub async fn case_to_manage(&self, who: &Principal, case: &str) -> Result<CaseRow, AppError> {
        let case = self.case(case).await?;
        self.authorize_case(who, Action::ManageCase, &case).await?;
        Ok(case)
    }

    /// The case and one of its steps if `who` may change the case; a step of another case
    /// is not found there.
    pub async fn step_to_manage(
        &self,
        who: &Principal,
        case: &str,
        step: &str,
    ) -> Result<(CaseRow, StepRow), AppError> {
        let case = self.case_to_manage(who, case).await?;
        let st = self.step(step).await?;
        if st.case_id != case.id {
            return Err(AppError::NotFound(format!("step {step}")));
        }
        Ok((case, st))
    }

    /// The case's history for `who` (`ViewCase`).
    pub async fn case_events_for(
        &self,
        who: &Principal,
        case: &str,
    ) -> Result<Vec<CaseEvent>, AppError> {
        let case = self.case_to_view(who, case).await?;
        self.case_events(&case.id).await
    }

    /// Sets or clears a flag of a case `who` manages, with a reason.
    pub async fn set_case_flag_as(
        &self,
        who: &Principal,
        case: &str,
        flag: CaseFlag,
        value: bool,
        reason: &str,
    ) -> Result<CaseRow, AppError> {
        let case = self.case_to_manage(who, case).await?;
        self.set_case_flag(&case.id, flag, value, reason, &who.user_id)
            .await
    }

    /// Adds a step to a case `who` manages.
    pub async fn add_step_as(
        &self,
        who: &Principal,
        case: &str,
        new: &NewStep,
    ) -> Result<StepRow, AppError> {
        let case = self.case_to_manage(who, case).await?;
        self.add_step(&case.id, new, &who.user_id).await
    }

    /// Links a record to a step of a case `who` manages: linking widens who sees the
    /// record, so `who` must see it and manage both the case and the record (never
    /// through a grant), and the record must be of the case's unit.
    pub async fn link_record_as(
        &self,
        who: &Principal,
        case: &str,
        step: &str,
        record: &RecordId,
    ) -> Result<StepRecordRow, AppError> {
        let (case, st) = self.step_to_manage(who, case, step).await?;
        let r = self.record(record).await?;
        self.authorize_record(who, Action::ViewRecord, &r).await?;
        self.authorize_link(who, &case, &r).await?;
        self.link_record(&st.step.id, record, &who.user_id).await
    }

    /// Removes a link from a step of a case `who` manages, with a reason.
    pub async fn unlink_record_as(
        &self,
        who: &Principal,
        case: &str,
        step: &str,
        record: &RecordId,
        reason: &str,
    ) -> Result<(), AppError> {
        let (_, st) = self.step_to_manage(who, case, step).await?;
        self.unlink_record(&st.step.id, record, reason, &who.user_id)
            .await
    }

    /// States why recording was interrupted in a step of a case `who` manages.
    pub async fn explain_interruption_as(
        &self,
        who: &Principal,
        case: &str,
        step: &str,
        explanation: &Explanation,
    ) -> Result<ExplanationRow, AppError> {
        let (_, st) = self.step_to_manage(who, case, step).await?;
        self.explain_interruption(&st.step.id, explanation, &who.user_id)
            .await
    }

    /// Appends a note to the file of a case `who` manages (archived or not).
    pub async fn append_case_note_as(
        &self,
        who: &Principal,
        case: &str,
        note: &str,
    ) -> Result<CaseRow, AppError> {
        let case = self.case_to_manage(who, case).await?;
        self.append_case_note(&case.id, note, &who.user_id).await?;
        Ok(case)
    }

    /// The proposals for a step of a case `who` manages, among the records `who` may see,
    /// best first, with the case and the step. Nothing is linked.
    pub async fn propose_links(
        &self,
        who: &Principal,
        case: &str,
        step: &str,
    ) -> Result<(CaseRow, StepRow, Vec<(Proposal, liuhen_domain::Record)>), AppError> {
        let (case, st) = self.step_to_manage(who, case, step).await?;
        let found = self.propose_links_visible(who, &st.step.id).await?;
        Ok((case, st, found))
    }
}
