//! The use side of the binding of grant and label rows to their log entries (issue 17):
//! [`Custody::grant_binding`] and [`Custody::labels_binding`] are the one check (`verify`
//! may call them for the tables); [`Custody::broken_binding`] is what the authorization
//! point asks before deciding on a record: a broken binding is a refusal (logged with
//! reason `binding_broken`, which the misconduct signals count as a tamper attempt).
//! Lists selected in SQL from the grant and label tables (record searches) go through the
//! same check per row ([`Custody::drop_broken_rows`]): a row whose binding does not verify
//! is left out of the list, refused and alerted alike.

use liuhen_db::{EntryBody, GrantRow, NewEntry};
use liuhen_domain::AuditAction;
use liuhen_domain::Record;
use liuhen_domain::authz::Principal;
use liuhen_domain::binding::{
    BindingBroken, GrantState, check_grant, check_labels, labels_from_log,
};

use crate::{AppError, Custody};

/// The refusal reason of a decision on a row whose binding does not verify.
pub const BINDING_BROKEN: &str = "binding_broken";

fn row_state(g: &GrantRow) -> GrantState {
    GrantState {
        grantee: g.grantee_id.clone(),
        records: g.records.clone(),
        actions: [
            (g.can_view, "record.view"),
            (g.can_play, "record.play"),
            (g.can_download, "record.download"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, a)| a.to_owned())
        .collect(),
        expires_ms: g.expires_ms,
        revoked: g.revoked_ms.is_some(),
    }
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl Custody {
    /// Whether a grant row says what its request's `access.granted` entry (and any
    /// `access.revoked` entry) said: grantee, records, actions, expiry, revocation.
    pub async fn grant_binding(&self, g: &GrantRow) -> Result<Result<(), BindingBroken>, AppError> {
        let entries = self
            .db
            .entries_for_actions(
                &format!("request:{}", g.request_id),
                &[
                    AuditAction::AccessGranted.as_str(),
                    AuditAction::AccessRevoked.as_str(),
                ],
            )
            .await?;
        let mut logged: Option<GrantState> = None;
        for e in entries {
            let d = EntryBody::parse(&e.body)
                .map(|b| b.details)
                .unwrap_or_default();
            if d["grant"].as_str() != Some(g.id.as_str()) {
                continue;
            }
            if e.action == AuditAction::AccessGranted.as_str() {
                logged = Some(GrantState {
                    grantee: d["grantee"].as_str().unwrap_or_default().to_owned(),
                    records: strings(&d["records"]),
                    actions: strings(&d["actions"]),
                    expires_ms: d["expires_ms"].as_i64().unwrap_or_default(),
                    revoked: false,
                });
            } else if let Some(l) = logged.as_mut() {
                l.revoked = true;
            }
        }
        Ok(check_grant(&row_state(g), logged.as_ref()))
    }

    /// Whether the confidentiality labels of a record (or case) are what its
    /// `access.label_changed` entries leave set (the conclusive-document mark aside).
    pub async fn labels_binding(
        &self,
        on_case: bool,
        id: &str,
    ) -> Result<Result<(), BindingBroken>, AppError> {
        let subject = format!("{}:{id}", if on_case { "case" } else { "record" });
        let entries = self
            .db
            .entries_for_actions(&subject, &[AuditAction::LabelChanged.as_str()])
            .await?;
        let changes: Vec<(String, bool)> = entries
            .iter()
            .filter_map(|e| {
                let d = EntryBody::parse(&e.body).ok()?.details;
                let label = d["label"].as_str()?.to_owned();
                (label != "conclusive").then(|| (label, d["set"].as_bool() == Some(true)))
            })
            .collect();
        let logged = labels_from_log(changes.iter().map(|(l, s)| (l.as_str(), *s)));
        let rows = self.db.labels(on_case, id).await?;
        Ok(check_labels(&rows, &logged))
    }

    /// The first broken binding among what decides `user_id`'s access to `record_id`: the
    /// user's grants naming it, its labels and its cases' labels. `(row, why)`.
    pub async fn broken_binding(
        &self,
        user_id: &str,
        record_id: &str,
    ) -> Result<Option<(String, BindingBroken)>, AppError> {
        for g in self.db.grants_for(user_id, record_id).await? {
            // the whole row, with all the records it names
            let g = self.db.grant(&g.id).await?.unwrap_or(g);
            if let Err(b) = self.grant_binding(&g).await? {
                return Ok(Some((format!("grant:{}", g.id), b)));
            }
        }
        if let Err(b) = self.labels_binding(false, record_id).await? {
            return Ok(Some((format!("labels:record:{record_id}"), b)));
        }
        for c in self.db.record_cases(record_id).await? {
            if let Err(b) = self.labels_binding(true, &c.id).await? {
                return Ok(Some((format!("labels:case:{}", c.id), b)));
            }
        }
        Ok(None)
    }

    /// Logs the refusal of `action` on `record` because the binding of `row` does not
    /// verify (reason `binding_broken`, counted as a tamper attempt) and returns the error
    /// to answer. `list`: the query of the list the row was dropped from.
    pub(crate) async fn refuse_broken_binding(
        &self,
        who: &Principal,
        action: &str,
        record: &str,
        row: &str,
        why: &BindingBroken,
        list: Option<serde_json::Value>,
    ) -> AppError {
        let mut details = serde_json::json!({
            "action": action,
            "reason": BINDING_BROKEN,
            "binding": row,
            "detail": why.to_string(),
            "roles": who.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
        });
        if let Some(q) = list {
            details["list"] = q;
        }
        let logged = self
            .log_event(NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::AccessRefused,
                subject: Some(format!("record:{record}")),
                details,
            })
            .await;
        match logged {
            Ok(_) => AppError::Forbidden {
                code: BINDING_BROKEN,
            },
            Err(e) => e,
        }
    }

    /// Drops from a list the rows whose grant or label binding does not verify (the list
    /// was selected in SQL from those tables): each is refused as a single record would
    /// be, logged with the list's query and counted as a tamper attempt. Returns how
    /// many were dropped.
    pub(crate) async fn drop_broken_rows(
        &self,
        who: &Principal,
        records: &mut Vec<Record>,
        query: &serde_json::Value,
    ) -> Result<usize, AppError> {
        let mut kept = Vec::with_capacity(records.len());
        let mut dropped = 0;
        for r in records.drain(..) {
            match self.broken_binding(&who.user_id, r.id.as_str()).await? {
                None => kept.push(r),
                Some((row, why)) => {
                    dropped += 1;
                    let e = self
                        .refuse_broken_binding(
                            who,
                            "record.view",
                            r.id.as_str(),
                            &row,
                            &why,
                            Some(query.clone()),
                        )
                        .await;
                    // the refusal is logged; only a failure to log it ends the list
                    if !matches!(e, AppError::Forbidden { .. }) {
                        return Err(e);
                    }
                }
            }
        }
        *records = kept;
        Ok(dropped)
    }
}
