//! The home page's to-dos (issue 18): counts of what waits for the person, of only what
//! the person may see. Reading them logs nothing (no search is made by the person).

use liuhen_db::{RecordFilter, RecordSort};
use liuhen_domain::access::CaseCond;
use liuhen_domain::approval::RequestStatus;
use liuhen_domain::authz::{Action, Principal, RecordVisibility, record_visibility};

use crate::{AppError, Custody};

/// What the home page counts for one person.
#[derive(Debug, Clone, Default)]
pub struct HomeCounts {
    /// Records the person may see (not the bureau's total).
    pub records: u64,
    /// Of the person's own records, those stored late (R3.3, the 24-hour rule).
    pub my_late: u64,
    /// Requests waiting for a step the person decides, or (keepers) to be carried out.
    pub waiting_for_me: usize,
    /// The person's own requests that were decided: (number, status), newest first.
    pub my_decided: Vec<(String, String, RequestStatus)>,
}

impl Custody {
    pub async fn home_counts(&self, who: &Principal) -> Result<HomeCounts, AppError> {
        let now = self.now().as_millisecond();
        let visible = record_visibility(&self.policy, who, now);
        let count = |v: RecordVisibility, f: RecordFilter| async move {
            if v.nothing() {
                return Ok::<u64, AppError>(0);
            }
            let page = self
                .db
                .search_records(&v, &f, RecordSort::default(), 0, 1)
                .await?;
            Ok(page.total)
        };
        let own = RecordVisibility {
            me: who.user_id.clone(),
            own: Some(CaseCond::Any),
            team: None,
            department: None,
            unit: None,
            any: None,
            grantee: None,
            cleared_labels: Vec::new(),
            grant_opens: Vec::new(),
        };
        let mut out = HomeCounts {
            records: count(visible, RecordFilter::default()).await?,
            my_late: count(
                own,
                RecordFilter {
                    late: Some(true),
                    ..RecordFilter::default()
                },
            )
            .await?,
            ..HomeCounts::default()
        };
        if self.allows_system(who, Action::ListRequests) {
            out.waiting_for_me = self.unit_requests(who, false).await?.len();
            out.my_decided = self
                .my_requests(who)
                .await?
                .into_iter()
                .filter(|d| {
                    matches!(
                        d.status,
                        RequestStatus::Approved | RequestStatus::Rejected | RequestStatus::Done
                    )
                })
                .take(5)
                .map(|d| {
                    let number = d.request.number.clone().unwrap_or_default();
                    (d.request.id.clone(), number, d.status)
                })
                .collect();
        }
        Ok(out)
    }
}
