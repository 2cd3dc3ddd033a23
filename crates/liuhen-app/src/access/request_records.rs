//! What an approver sees of each record of a request (issue 18): case number and name,
//! party, officer, date, duration, file name, whether there is a thumbnail, and the
//! compliance verdict of each case. Details only of records the reader may view (the
//! decider of a pending step may, see `awaiting`); of the others, only that they exist.

use liuhen_domain::authz::{Action, Principal};
use liuhen_domain::compliance::Level;
use liuhen_domain::{MediaKind, Record, RecordId};

use super::RequestDetail;
use crate::{AppError, Custody};

/// A case a record of a request belongs to, with its compliance verdict.
#[derive(Debug, Clone)]
pub struct RequestRecordCase {
    pub id: String,
    pub number: String,
    pub name: String,
    /// `None` when the verdict could not be computed (shown as unknown).
    pub level: Option<Level>,
}

/// One record of a request, as its page shows it.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub id: String,
    /// `None`: the reader may not view it (or it is gone); only its id is shown.
    pub record: Option<Record>,
    pub cases: Vec<RequestRecordCase>,
    /// The reader may play it: the page shows its thumbnail and links to the player.
    pub playable: bool,
    pub thumbnail: bool,
}

impl Custody {
    /// The records of a request as `who` may see them (no log entry: the request's page
    /// is the reading; viewing a record itself is logged on its page).
    pub async fn request_record_lines(
        &self,
        who: &Principal,
        d: &RequestDetail,
    ) -> Result<Vec<RequestRecord>, AppError> {
        let mut out = Vec::with_capacity(d.request.records.len());
        for id in &d.request.records {
            let mut line = RequestRecord {
                id: id.clone(),
                record: None,
                cases: Vec::new(),
                playable: false,
                thumbnail: false,
            };
            let Ok(rid) = RecordId::parse(id) else {
                out.push(line);
                continue;
            };
            let Some((record, _)) = self.db.record(&rid).await? else {
                out.push(line);
                continue;
            };
            let facts = self.record_facts(who, &record).await?;
            if !self.allows(who, Action::ViewRecord, &facts) {
                out.push(line);
                continue;
            }
            line.playable = self.allows(who, Action::PlayRecord, &facts);
            line.thumbnail = line.playable
                && matches!(record.kind, MediaKind::Video | MediaKind::Photo)
                && self.thumbnail(&record).await?.is_some();
            for c in &facts.cases {
                let Some(row) = self.db.case(&c.id).await? else {
                    continue;
                };
                let level = self.case_compliance(&row.id).await.ok().map(|v| v.level);
                line.cases.push(RequestRecordCase {
                    id: row.id,
                    number: row.number,
                    name: row.name,
                    level,
                });
            }
            line.record = Some(record);
            out.push(line);
        }
        Ok(out)
    }
}
