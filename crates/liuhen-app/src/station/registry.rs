//! The station's device registry: serial → unit and officer, police number → account.
//! A police number set on an account (`users.police_number`, [`crate::police`]) wins;
//! otherwise shipped data first comes from configuration (`[[devices]]`, `[[station.officers]]`);
//! the keeper's bindings (`liuhen station bind …`) are `station.bound` log entries, so the
//! log itself is the registry table and needs no replay in `verify`. The latest binding of
//! a subject wins over configuration. Binding is for the unit's records keeper or whoever
//! manages accounts, decided by the one authorization point.

use jiff::Timestamp;
use liuhen_db::NewEntry;
use liuhen_domain::authz::{Action, Principal, Target};
use liuhen_domain::{AuditAction, Role};
use serde::Serialize;
use serde_json::json;

use crate::{AppError, Custody};

/// Who a camera belongs to, as far as the registry knows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Binding {
    /// The unit (执法机构) of the camera.
    pub unit: Option<String>,
    /// Device name for the record (configured name, else the serial).
    pub device: Option<String>,
    /// Officer name or user name as registered.
    pub officer: Option<String>,
    /// The officer's account id (the only one of the unit carrying that name).
    pub officer_id: Option<String>,
}

/// A camera the station held because it or its officer is not registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Held {
    pub seq: u64,
    pub at_ms: i64,
    pub volume: String,
    pub serial: Option<String>,
    pub police: Option<String>,
    pub reason: String,
}

fn device_subject(serial: &str) -> String {
    format!("station:device:{serial}")
}

fn police_subject(police: &str) -> String {
    format!("station:police:{police}")
}

impl Custody {
    /// The latest `station.bound` details for `subject`.
    async fn latest_binding(&self, subject: &str) -> Result<Option<serde_json::Value>, AppError> {
        let entries = self.db.entries_for(subject).await?;
        Ok(entries
            .iter()
            .rev()
            .filter(|e| e.action == AuditAction::StationBound.as_str())
            .find_map(|e| liuhen_db::EntryBody::parse(&e.body).ok())
            .map(|b| b.details))
    }

    /// Resolves a camera by serial and police number. The unit comes from the camera; the
    /// officer from the police number if known, else from the camera's assigned officer.
    pub async fn station_resolve(
        &self,
        serial: Option<&str>,
        police: Option<&str>,
    ) -> Result<Binding, AppError> {
        let mut b = Binding::default();
        if let Some(serial) = serial {
            if let Some(d) = self.latest_binding(&device_subject(serial)).await? {
                b.unit = d["unit"].as_str().map(str::to_owned);
                b.officer = d["officer"].as_str().map(str::to_owned);
                b.device = Some(serial.to_owned());
            } else if let Some(d) = self.config.device_for_serial(serial) {
                b.unit = d.agency.clone();
                b.officer = d.officer.clone();
                b.device = Some(d.name.clone().unwrap_or_else(|| serial.to_owned()));
            }
        }
        if let Some(police) = police
            && let Some(acc) = self.account_by_police(police).await?
        {
            // The account's own police number (set by the administrator) comes first.
            b.officer = Some(acc.display_name);
            b.officer_id = acc
                .unit
                .filter(|u| b.unit.as_deref() == Some(u.as_str()))
                .map(|_| acc.user_id);
            return Ok(b);
        }
        if let Some(police) = police {
            if let Some(d) = self.latest_binding(&police_subject(police)).await? {
                b.officer = d["account"].as_str().map(str::to_owned);
            } else if let Some(o) = self
                .config
                .station
                .officers
                .iter()
                .find(|o| o.police_number == police)
            {
                b.officer = Some(o.account.clone());
            }
        }
        b.officer_id = self
            .officer_account(b.unit.as_deref(), b.officer.as_deref())
            .await?;
        Ok(b)
    }

    /// May `who` bind cameras and police numbers of `unit`: the unit's records keeper, or
    /// whoever manages accounts (`users.manage`). A refusal is logged by the one
    /// authorization point.
    async fn authorize_binding(
        &self,
        who: &Principal,
        unit: &str,
        subject: &str,
    ) -> Result<(), AppError> {
        let keeper = who.has(Role::RecordsKeeper) && who.unit.as_deref() == Some(unit.trim());
        if keeper {
            return Ok(());
        }
        self.authorize(who, Action::ManageUsers, Target::System, Some(subject))
            .await
            .map(|_| ())
    }

    /// The keeper binds a camera to a unit and (optionally) its assigned officer. The
    /// officer must be exactly one account of the unit. Logged as `station.bound`.
    pub async fn station_bind_device(
        &self,
        who: &Principal,
        serial: &str,
        unit: &str,
        officer: Option<&str>,
    ) -> Result<u64, AppError> {
        self.authorize_binding(who, unit, &device_subject(serial.trim()))
            .await?;
        let actor = who.user_id.as_str();
        let (serial, unit) = (serial.trim(), unit.trim());
        if serial.is_empty() || unit.is_empty() {
            return Err(AppError::Invalid(
                "记录仪序列号和执法机构不能为空 / serial and unit are required".into(),
            ));
        }
        if let Some(o) = officer
            && self.officer_account(Some(unit), Some(o)).await?.is_none()
        {
            return Err(AppError::Invalid(format!(
                "「{unit}」没有唯一的账号「{o}」/ no single account {o:?} in unit {unit:?}"
            )));
        }
        self.append_binding(
            actor,
            device_subject(serial),
            json!({"serial": serial, "unit": unit, "officer": officer}),
        )
        .await
    }

    /// The keeper binds a police number (警号) to an account (user name) of `unit`.
    pub async fn station_bind_police(
        &self,
        who: &Principal,
        police: &str,
        unit: &str,
        account: &str,
    ) -> Result<u64, AppError> {
        self.authorize_binding(who, unit, &police_subject(police.trim()))
            .await?;
        let actor = who.user_id.as_str();
        let police = police.trim();
        if police.is_empty() {
            return Err(AppError::Invalid(
                "警号不能为空 / police number is required".into(),
            ));
        }
        if self
            .officer_account(Some(unit), Some(account))
            .await?
            .is_none()
        {
            return Err(AppError::Invalid(format!(
                "「{unit}」没有唯一的账号「{account}」/ no single account {account:?} in unit {unit:?}"
            )));
        }
        self.append_binding(
            actor,
            police_subject(police),
            json!({"police": police, "unit": unit, "account": account}),
        )
        .await
    }

    async fn append_binding(
        &self,
        actor: &str,
        subject: String,
        details: serde_json::Value,
    ) -> Result<u64, AppError> {
        let mut tx = self.db.begin().await?;
        let e = tx
            .append(
                Timestamp::now(),
                NewEntry {
                    actor: actor.to_owned(),
                    action: AuditAction::StationBound,
                    subject: Some(subject),
                    details,
                },
            )
            .await?;
        tx.commit().await?;
        Ok(e.seq)
    }

    /// Cameras held by a station and still not resolvable (newest hold per camera).
    pub async fn station_held(&self) -> Result<Vec<Held>, AppError> {
        let below = self.db.log_size().await? + 1;
        let entries = self
            .db
            .entries_with_actions(None, below, &[AuditAction::StationEvent.as_str()], 100_000)
            .await?;
        let mut out: Vec<Held> = Vec::new();
        for e in entries {
            let Ok(body) = liuhen_db::EntryBody::parse(&e.body) else {
                continue;
            };
            let d = &body.details;
            if d["kind"] != "held" {
                continue;
            }
            let h = Held {
                seq: e.seq,
                at_ms: e.at_ms,
                volume: d["volume"].as_str().unwrap_or_default().to_owned(),
                serial: d["serial"].as_str().map(str::to_owned),
                police: d["police"].as_str().map(str::to_owned),
                reason: d["reason"].as_str().unwrap_or_default().to_owned(),
            };
            out.retain(|o| (&o.serial, &o.police) != (&h.serial, &h.police));
            out.push(h);
        }
        let mut still = Vec::new();
        for h in out {
            let b = self
                .station_resolve(h.serial.as_deref(), h.police.as_deref())
                .await?;
            if b.unit.is_none() || b.officer_id.is_none() {
                still.push(h);
            }
        }
        Ok(still)
    }
}
