//! The disc-burn record form's people (R3.6): everyone who took part in the case (its team,
//! the officers and camera operators of the records) and the unit's head of department.
//! Each confirms the form in the system (a logged `package.burn_confirmed` entry with name
//! and time); the hand-signed paper is scanned and attached (`package.scan_attached`, the
//! scan a write-once blob of the blob store bound in `package_scans`, its digests logged).
//! Both are read back from the log.

use liuhen_db::{NewEntry, RequestRow};
use liuhen_domain::authz::{Action, Principal};
use liuhen_domain::{AuditAction, Record, RecordId, Role};
use serde::Serialize;

use super::forms;
use crate::{AppError, Custody};

/// Largest scan accepted (bytes).
pub const MAX_SCAN_BYTES: usize = 20 * 1024 * 1024;

/// One signature line of the form.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Participant {
    /// The account, when the person has one (only they can confirm).
    pub user_id: Option<String>,
    pub name: String,
    /// 办案人员 / 执法人员 / 摄录人员 / 部门负责人
    pub role: &'static str,
    /// When they confirmed in the system (ms), from the log.
    pub confirmed_ms: Option<i64>,
}

/// An attached scan of the signed form.
#[derive(Debug, Clone, Serialize)]
pub struct Scan {
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub at_ms: i64,
    pub by: String,
}

/// What the burn-form page shows to a participant or a keeper of the unit.
#[derive(Debug, Clone, Serialize)]
pub struct BurnSheet {
    /// The copy request (empty for a case's own package).
    pub request: String,
    /// The case of a case's own package (empty for a copy request's).
    pub case: String,
    pub package: String,
    pub people: Vec<Participant>,
    pub scans: Vec<Scan>,
    /// `who` keeps the unit's requests: prints the form, attaches the scan.
    pub keeper: bool,
    /// `who`'s own line, when listed with their account.
    pub mine: Option<Participant>,
}

/// Whose package a disc-burn form belongs to: a copy request's, or a case's own (evidence,
/// preservation, transfer). Its confirmations are logged on the owner's subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    Request(&'a str),
    Case(&'a str),
}

impl<'a> Owner<'a> {
    /// The kind of owner (`request`, `case`) and its id.
    fn key(self) -> (&'static str, &'a str) {
        match self {
            Self::Request(id) => ("request", id),
            Self::Case(id) => ("case", id),
        }
    }

    fn subject(self) -> String {
        let (kind, id) = self.key();
        format!("{kind}:{id}")
    }
}

/// What the form is filled from: the case (if any), the unit, the records, the head.
struct Facts {
    case: Option<String>,
    agency: String,
    records: Vec<Record>,
    head: Vec<crate::pdf::Field>,
}

fn scan_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else {
        None
    }
}

fn details(e: &liuhen_db::AuditEntry) -> serde_json::Value {
    serde_json::from_str::<serde_json::Value>(&e.body)
        .map(|b| b["details"].clone())
        .unwrap_or_default()
}

impl Custody {
    async fn request_records(&self, request: &RequestRow) -> Result<Vec<Record>, AppError> {
        let mut out = Vec::new();
        for c in self.db.copies(&request.id).await? {
            let id = RecordId::parse(&c.record_id).map_err(|e| AppError::Invalid(e.to_string()))?;
            out.push(self.record(&id).await?);
        }
        Ok(out)
    }

    /// For each record, the places of the steps it is linked to (the form's 摄录地点).
    pub(super) async fn step_places(
        &self,
        records: &[Record],
    ) -> Result<Vec<Vec<String>>, AppError> {
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            out.push(self.db.step_places_of_record(&r.id).await?);
        }
        Ok(out)
    }

    /// The people of the form, without confirmations: the case team (or, without a case,
    /// the records' officers), the records' camera operators, the unit's heads of department.
    pub(super) async fn burn_people(
        &self,
        case_id: Option<&str>,
        agency: &str,
        records: &[Record],
    ) -> Result<Vec<Participant>, AppError> {
        let mut people: Vec<Participant> = Vec::new();
        let mut add = |user_id: Option<String>, name: &str, role: &'static str| {
            let name = name.trim();
            if name.is_empty() {
                return;
            }
            let same = |p: &Participant| match (&p.user_id, &user_id) {
                (Some(a), Some(b)) => a == b,
                _ => p.name == name,
            };
            if !people.iter().any(same) {
                people.push(Participant {
                    user_id,
                    name: name.to_owned(),
                    role,
                    confirmed_ms: None,
                });
            }
        };
        match case_id {
            Some(case_id) => {
                let case = self.case(case_id).await?;
                for (i, name) in case.team.iter().enumerate() {
                    add(case.team_ids.get(i).cloned().flatten(), name, "办案人员");
                }
            }
            None => {
                for r in records {
                    if let Some(o) = &r.classification.officer {
                        add(r.officer_id.clone(), o, "执法人员");
                    }
                }
            }
        }
        for r in records {
            let c = &r.classification;
            if let Some(op) = &c.camera_operator {
                let account = self.officer_account(c.agency.as_deref(), Some(op)).await?;
                add(account, op, "摄录人员");
            }
        }
        for u in self.db.users().await? {
            if !u.disabled
                && u.roles.contains(&Role::DepartmentHead)
                && u.unit.as_deref() == Some(agency)
            {
                add(Some(u.id.clone()), &u.display_name, "部门负责人");
            }
        }
        Ok(people)
    }

    async fn known_package(&self, request_id: &str, package: &str) -> Result<(), AppError> {
        let known = self
            .request_packages(request_id)
            .await?
            .iter()
            .any(|p| p.package == package);
        if known {
            Ok(())
        } else {
            Err(AppError::NotFound(format!("package {package}")))
        }
    }

    /// The facts of `owner`'s package `package` (unknown: not found).
    async fn facts(&self, owner: Owner<'_>, package: &str) -> Result<Facts, AppError> {
        match owner {
            Owner::Request(id) => {
                self.known_package(id, package).await?;
                let request = self.request_row(id).await?;
                Ok(Facts {
                    records: self.request_records(&request).await?,
                    head: forms::request_head(&request),
                    case: request.case_id,
                    agency: request.agency,
                })
            }
            Owner::Case(id) => {
                let case = self.case(id).await?;
                let line = self
                    .case_packages(&case.id)
                    .await?
                    .into_iter()
                    .find(|p| p.package == package && p.source != "copy")
                    .ok_or_else(|| AppError::NotFound(format!("package {package}")))?;
                let mut records = Vec::new();
                for r in &line.record_ids {
                    let rid = RecordId::parse(r).map_err(|e| AppError::Invalid(e.to_string()))?;
                    records.push(self.record(&rid).await?);
                }
                let purpose = forms::case_purpose(line.source, &case);
                Ok(Facts {
                    records,
                    head: forms::case_head(&case, &purpose),
                    case: Some(case.id),
                    agency: case.agency,
                })
            }
        }
    }

    /// The form's people with their confirmations of `owner`'s package `package`.
    pub async fn burn_participants(
        &self,
        owner: Owner<'_>,
        package: &str,
    ) -> Result<Vec<Participant>, AppError> {
        let facts = self.facts(owner, package).await?;
        self.confirmed_people(owner, package, &facts).await
    }

    async fn confirmed_people(
        &self,
        owner: Owner<'_>,
        package: &str,
        facts: &Facts,
    ) -> Result<Vec<Participant>, AppError> {
        let mut people = self
            .burn_people(facts.case.as_deref(), &facts.agency, &facts.records)
            .await?;
        let entries = self.db.entries_for(&owner.subject()).await?;
        for e in entries
            .iter()
            .filter(|e| e.action == AuditAction::PackageBurnConfirmed.as_str())
        {
            let d = details(e);
            if d["package"].as_str() != Some(package) {
                continue;
            }
            if let Some(p) = people
                .iter_mut()
                .find(|p| p.user_id.as_deref() == Some(e.actor.as_str()))
            {
                p.confirmed_ms.get_or_insert(e.at_ms);
            }
        }
        Ok(people)
    }

    /// `who` confirms the disc-burn record form of `package` (logged with name and time).
    /// Only a listed participant with an account may, once.
    pub async fn confirm_burn_form(
        &self,
        who: &Principal,
        who_name: &str,
        owner: Owner<'_>,
        package: &str,
    ) -> Result<Participant, AppError> {
        let people = self.burn_participants(owner, package).await?;
        let Some(me) = people
            .into_iter()
            .find(|p| p.user_id.as_deref() == Some(who.user_id.as_str()))
        else {
            return Err(AppError::Refused {
                code: "burn_not_participant",
                message: liuhen_domain::Message::new("burn_not_participant"),
            });
        };
        if me.confirmed_ms.is_some() {
            return Err(AppError::Refused {
                code: "burn_already_confirmed",
                message: liuhen_domain::Message::new("burn_already_confirmed")
                    .arg("name", &me.name),
            });
        }
        let at = self.now();
        let (kind, id) = owner.key();
        let mut details = serde_json::json!({
            "package": package,
            "name": who_name,
            "listed_as": me.name,
            "role": me.role,
        });
        details[kind] = id.into();
        self.log_event(NewEntry {
            actor: who.user_id.clone(),
            action: AuditAction::PackageBurnConfirmed,
            subject: Some(owner.subject()),
            details,
        })
        .await?;
        Ok(Participant {
            confirmed_ms: Some(at.as_millisecond()),
            ..me
        })
    }

    /// Attaches the scan (PDF, JPEG or PNG) of the signed form to the package's record: a
    /// write-once blob of the blob store, retained as long as the longest-kept record of the
    /// package, bound to the package in `package_scans` in the transaction of its logged
    /// `package.scan_attached` entry (SHA-256 and SM3).
    pub async fn attach_burn_scan(
        &self,
        who: &Principal,
        request_id: &str,
        package: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<Scan, AppError> {
        let request = self
            .unit_request(who, Action::HandleRequest, request_id)
            .await?;
        self.known_package(request_id, package).await?;
        let Some(ext) = scan_kind(bytes) else {
            return Err(AppError::Refused {
                code: "scan_not_accepted",
                message: liuhen_domain::Message::new("scan_not_accepted"),
            });
        };
        if bytes.len() > MAX_SCAN_BYTES {
            return Err(AppError::Refused {
                code: "scan_not_accepted",
                message: liuhen_domain::Message::new("scan_too_large")
                    .arg("mb", MAX_SCAN_BYTES / 1024 / 1024),
            });
        }
        let now = self.now();
        let years = i16::try_from(self.config.custody.default_retention_years).unwrap_or(30);
        let until = self
            .request_records(&request)
            .await?
            .iter()
            .map(|r| r.retain_until)
            .chain([liuhen_domain::rules::default_retain_until(
                None,
                now,
                years,
                &self.tz(),
            )])
            .max()
            .unwrap_or(now);
        let blobs = std::sync::Arc::clone(&self.blobs);
        let owned = bytes.to_vec();
        let put =
            tokio::task::spawn_blocking(move || blobs.put(&mut std::io::Cursor::new(owned), until))
                .await??;
        let sha256 = put.digests.sha256.to_hex();
        let name = file_name.trim().chars().take(200).collect::<String>();
        let row = liuhen_db::PackageScanRow {
            package: package.to_owned(),
            sha256: sha256.clone(),
            request_id: request_id.to_owned(),
            file_name: name.clone(),
            media_type: match ext {
                "pdf" => "application/pdf",
                "jpg" => "image/jpeg",
                _ => "image/png",
            }
            .to_owned(),
            size_bytes: bytes.len() as i64,
            attached_ms: now.as_millisecond(),
            attached_by: who.user_id.clone(),
        };
        let mut tx = self.db.begin().await?;
        tx.put_package_scan(&row).await?;
        tx.append(
            now,
            NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::PackageScanAttached,
                subject: Some(format!("request:{request_id}")),
                details: serde_json::json!({
                    "request": request_id,
                    "package": package,
                    "name": name,
                    "sha256": sha256,
                    "sm3": put.digests.sm3.to_hex(),
                    "size": bytes.len(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Scan {
            name,
            sha256,
            size: bytes.len() as u64,
            at_ms: now.as_millisecond(),
            by: who.user_id.clone(),
        })
    }

    /// The bytes of a scan attached to `package` (re-hashed by the blob store on reading),
    /// for a keeper of the request's unit.
    pub async fn burn_scan_bytes(
        &self,
        who: &Principal,
        request_id: &str,
        package: &str,
        sha256: &str,
    ) -> Result<(liuhen_db::PackageScanRow, Vec<u8>), AppError> {
        self.unit_request(who, Action::HandleRequest, request_id)
            .await?;
        let row = self
            .db
            .package_scans(package)
            .await?
            .into_iter()
            .find(|s| s.sha256 == sha256 && s.request_id == request_id)
            .ok_or_else(|| AppError::NotFound(format!("scan {sha256}")))?;
        let digest: liuhen_domain::Sha256Digest = row
            .sha256
            .parse()
            .map_err(|_| AppError::NotFound(format!("scan {sha256}")))?;
        let blobs = std::sync::Arc::clone(&self.blobs);
        let bytes = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut blobs.open(&digest)?, &mut out)
                .map_err(|e| AppError::io(std::path::Path::new("blob"), e))?;
            Ok::<_, AppError>(out)
        })
        .await??;
        Ok((row, bytes))
    }

    /// The scans attached to `package`, oldest first.
    pub async fn burn_scans(&self, owner: Owner<'_>, package: &str) -> Result<Vec<Scan>, AppError> {
        let entries = self.db.entries_for(&owner.subject()).await?;
        Ok(entries
            .iter()
            .filter(|e| e.action == AuditAction::PackageScanAttached.as_str())
            .filter_map(|e| {
                let d = details(e);
                (d["package"].as_str() == Some(package)).then(|| Scan {
                    name: d["name"].as_str().unwrap_or_default().to_owned(),
                    sha256: d["sha256"].as_str().unwrap_or_default().to_owned(),
                    size: d["size"].as_u64().unwrap_or_default(),
                    at_ms: e.at_ms,
                    by: e.actor.clone(),
                })
            })
            .collect())
    }

    /// The burn-form page of `owner`'s package `package` for `who`: a listed participant or
    /// a keeper of the unit; anyone else finds nothing.
    pub async fn burn_sheet(
        &self,
        who: &Principal,
        owner: Owner<'_>,
        package: &str,
    ) -> Result<BurnSheet, AppError> {
        let facts = self.facts(owner, package).await?;
        let people = self.confirmed_people(owner, package, &facts).await?;
        let keeper = who.unit.as_deref() == Some(facts.agency.as_str())
            && self.allows_system(who, Action::HandleRequest);
        let mine = people
            .iter()
            .find(|p| p.user_id.as_deref() == Some(who.user_id.as_str()))
            .cloned();
        if !keeper && mine.is_none() {
            return Err(AppError::NotFound(format!("package {package}")));
        }
        let (request, case) = match owner {
            Owner::Request(id) => (id.to_owned(), String::new()),
            Owner::Case(_) => (String::new(), facts.case.clone().unwrap_or_default()),
        };
        Ok(BurnSheet {
            request,
            case,
            package: package.to_owned(),
            scans: self.burn_scans(owner, package).await?,
            people,
            keeper,
            mine,
        })
    }

    /// The disc-burn record form of `owner`'s package `package` as it stands: every field
    /// filled from the records, each participant's confirmation (name and time) printed on
    /// their line. For a keeper of the unit.
    pub async fn burn_form_pdf(
        &self,
        who: &Principal,
        owner: Owner<'_>,
        package: &str,
    ) -> Result<Vec<u8>, AppError> {
        match owner {
            Owner::Request(id) => {
                self.unit_request(who, Action::HandleRequest, id).await?;
            }
            Owner::Case(id) => {
                let case = self.case(id).await?;
                self.authorize_case_keeper(who, &case).await?;
            }
        }
        let facts = self.facts(owner, package).await?;
        let people = self.confirmed_people(owner, package, &facts).await?;
        let places = self.step_places(&facts.records).await?;
        let form = forms::burn_form(&facts.records, &places, facts.head, &people, &self.tz());
        Ok(crate::pdf::render_form(&self.pdf_style, &form))
    }
}
