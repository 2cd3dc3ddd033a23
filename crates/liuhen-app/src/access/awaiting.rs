//! The reviewer's view (issue 18): whoever must decide the next step of a pending request
//! views and plays (watermarked) exactly its records, for as long as it is pending. The
//! rule is the domain's (`approval::awaits`, `authz::RecordScope::pending_request`); this
//! gathers its facts.

use liuhen_domain::access::Step;
use liuhen_domain::approval::{RequestState, RequestStatus, awaits};
use liuhen_domain::authz::Principal;

use super::{approvals_domain, flow_of};
use crate::{AppError, Custody};

impl Custody {
    /// A pending request naming `record_id` whose next step `who` must decide now.
    pub(crate) async fn awaiting(
        &self,
        who: &Principal,
        record_id: &str,
    ) -> Result<Option<String>, AppError> {
        // Only those who decide some step can be awaited: no query for anyone else.
        let decides = Step::ALL
            .into_iter()
            .any(|s| self.policy.step_roles(s).iter().any(|r| who.has(*r)));
        if !decides || who.unit.is_none() {
            return Ok(None);
        }
        let now_ms = self.now().as_millisecond();
        for r in self.db.pending_requests_naming(record_id).await? {
            if who.unit.as_deref() != Some(r.agency.as_str()) {
                continue;
            }
            let approvals = approvals_domain(&self.db.approvals(&r.id).await?);
            let flow = flow_of(&r);
            let state = RequestState {
                requester_id: &r.filed_by,
                status: RequestStatus::Pending,
                flow: &flow,
                approvals: &approvals,
                basis: &r.basis,
                agency: &r.agency,
                department: r.department.as_deref(),
                missing_papers: &[],
            };
            if awaits(&self.policy, &state, who, now_ms).is_some() {
                return Ok(Some(r.id));
            }
        }
        Ok(None)
    }
}
