//! Executing an approved disposal list (see `disposal_list`): the warrant, the tombstones,
//! the deletions, and the list marked executed.

use liuhen_blob::BlobError;
use liuhen_db::{NewEntry, TombstoneRow};
use liuhen_domain::authz::Principal;
use liuhen_domain::disposal::Standing;
use liuhen_domain::disposal_list::{DisposalRefusal, Warrant};
use liuhen_domain::{AuditAction, RecordId, Sha256Digest};
use serde_json::json;

use crate::disposal_list::{DisposalList, Execution};
use crate::{AppError, Custody};

impl Custody {
    /// Executes an approved list: deletes each due item's original and derivatives under
    /// the list's warrant and keeps a tombstone per item. `who` needs a role of
    /// `retention.disposal_roles`; he is named as the executor.
    pub async fn execute_disposal_list(
        &self,
        who: &Principal,
        list_id: &str,
    ) -> Result<Execution, AppError> {
        let list = self.disposal_list(list_id).await?;
        let subject = format!("disposal:{}", list.row.id);
        let roles = self.config.disposal_roles().unwrap_or_default();
        if !who.roles.iter().any(|r| roles.contains(r)) {
            let r = DisposalRefusal::NotAllowed;
            return Err(self.refuse_disposal_pub(who, &subject, r).await);
        }
        let now = self.now();
        // Every blob of every item: the warrant names exactly these.
        let mut plan = Vec::new();
        for item in &list.items {
            let id =
                RecordId::parse(&item.record_id).map_err(|e| AppError::Invalid(e.to_string()))?;
            let record = self.record(&id).await?;
            let derivatives = self.db.derivative_blobs_of(&record.sha256.to_hex()).await?;
            plan.push((record, derivatives));
        }
        let blobs = plan.iter().flat_map(|(r, ds)| {
            std::iter::once(r.sha256)
                .chain(ds.iter().filter_map(|d| d.parse::<Sha256Digest>().ok()))
        });
        let warrant = match Warrant::issue(&list.row.id, &list_state(&list), blobs, now) {
            Ok(w) => w,
            Err(r) => return Err(self.refuse_disposal_pub(who, &subject, r).await),
        };
        let approvals = serde_json::Value::Array(
            list.decisions
                .iter()
                .map(crate::disposal_list::decision_json)
                .collect(),
        )
        .to_string();
        let mut out = Execution::default();
        for (record, derivatives) in plan {
            let rid = record.id.to_string();
            let done = self.db.tombstone(&rid).await?;
            let tomb = match done {
                // Interrupted before: the tombstone is committed, finish the deletion.
                Some(t) if t.list_id == list.row.id => t,
                Some(_) => continue,
                None => {
                    let standing = self.disposal_standing(&record).await?;
                    if standing != Standing::Due {
                        out.withheld.push((rid, standing.code().into()));
                        continue;
                    }
                    let blobs = self.blobs.clone();
                    let sha = record.sha256;
                    let lock = tokio::task::spawn_blocking(move || blobs.retention(&sha)).await?;
                    match lock {
                        Ok(Some(until)) if until > now => {
                            out.withheld.push((rid, "lock_not_passed".into()));
                            continue;
                        }
                        Ok(_) | Err(BlobError::NotFound(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                    let tomb = TombstoneRow {
                        record_id: rid.clone(),
                        list_id: list.row.id.clone(),
                        sha256: record.sha256.to_hex(),
                        sm3: record.sm3.to_hex(),
                        size_bytes: i64::try_from(record.size_bytes).unwrap_or(i64::MAX),
                        derivatives: serde_json::to_string(&derivatives).unwrap_or_default(),
                        approvals: approvals.clone(),
                        executed_ms: now.as_millisecond(),
                        executed_by: who.user_id.clone(),
                    };
                    let mut tx = self.db.begin().await?;
                    tx.append(
                        now,
                        NewEntry {
                            actor: who.user_id.clone(),
                            action: AuditAction::RecordDisposed,
                            subject: Some(format!("record:{rid}")),
                            details: json!({
                                "list": tomb.list_id,
                                "record": rid,
                                "original_name": record.original_name,
                                "sha256": tomb.sha256,
                                "sm3": tomb.sm3,
                                "size_bytes": tomb.size_bytes,
                                "derivatives": derivatives,
                                "approvals": list.decisions.iter().map(crate::disposal_list::decision_json).collect::<Vec<_>>(),
                                "executor_name": who.officer_name,
                            }),
                        },
                    )
                    .await?;
                    tx.insert_tombstone(&tomb).await?;
                    tx.commit().await?;
                    tomb
                }
            };
            let mut shas = vec![record.sha256];
            shas.extend(
                derivatives
                    .iter()
                    .filter_map(|d| d.parse::<Sha256Digest>().ok()),
            );
            for sha in shas {
                let blobs = self.blobs.clone();
                let w = warrant.clone();
                match tokio::task::spawn_blocking(move || blobs.dispose(&sha, &w)).await? {
                    Ok(()) | Err(BlobError::NotFound(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            out.disposed.push(tomb);
        }
        let mut tx = self.db.begin().await?;
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::DisposalExecuted,
                subject: Some(subject),
                details: json!({
                    "list": list.row.id,
                    "executor_name": who.officer_name,
                    "disposed": out.disposed.iter().map(|t| t.record_id.as_str()).collect::<Vec<_>>(),
                    "withheld": out.withheld.iter().map(|(r, why)| json!({"record": r, "reason": why})).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
        if !tx
            .mark_disposal_executed(&list.row.id, now.as_millisecond(), &who.user_id)
            .await?
        {
            return Err(AppError::Refused {
                code: DisposalRefusal::AlreadyExecuted.code(),
                message: DisposalRefusal::AlreadyExecuted.message(),
            });
        }
        tx.commit().await?;
        Ok(out)
    }
}

fn list_state(list: &DisposalList) -> liuhen_domain::disposal_list::ListState<'_> {
    liuhen_domain::disposal_list::ListState {
        drafted_by: &list.row.drafted_by,
        status: list.status,
        chain: &list.chain,
        decisions: &list.decisions,
    }
}
