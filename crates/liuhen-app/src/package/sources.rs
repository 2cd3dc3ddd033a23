//! Package sources besides an approved copy request (issue 19): an **evidence submission**
//! (R2.9, 附件2 第十一条, 附件3 第十四条) and a **long-term preservation** on disc (R3.7,
//! 附件3 第十条). Both build the same package as a copy (`verifying-a-package.md`); what
//! differs is who may, on what basis, and the log entry:
//!
//! - Evidence: taken "as evidence" needs no approval (第九条/第十一条 exempt it), but it is
//!   evidence *of a case*: the builder must be entitled to manage the case (its team, or
//!   who manages cases of the unit by a rule of their roles) and see each record, every
//!   record must be linked to the case, and the case file must not be archived (R4.7: no
//!   material is added to a closed file). The statement names 制作人, 提取人, 提取时间 and
//!   证明对象 (第十四条). Logged `package.evidence_exported`.
//! - Preservation: burnt to disc because a case is under a preservation hold (the R3.7
//!   situations are holds, `holds`): built by a records keeper of the case's unit (第五条:
//!   the unit's named keeper), of the records the holds in force cover (a hold on the case:
//!   all its records). The disc-burn form (第九条) is filled for the participants and the
//!   head of department. Logged `package.preservation_exported`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use liuhen_db::{CaseRow, NewEntry};
use liuhen_domain::authz::{Action, Principal};
use liuhen_domain::case::CaseStatus;
use liuhen_domain::{AuditAction, Record, RecordId};

use super::{
    ExportReport, FORMAT, Manifest, PAYLOAD, RecordEntry, RequestInfo, VERIFY_HTML, bag, forms,
    into_new_dir, io_err, payload_files, pretty, write,
};
use crate::pdf::Field;
use crate::{AppError, Custody};

/// Why a package is built without a copy request.
#[derive(Debug, Clone)]
pub enum Source {
    /// Evidence for case `case`: `records` (empty: every record of the case).
    Evidence {
        case: String,
        records: Vec<RecordId>,
        extractor: String,
        proves: String,
    },
    /// Long-term preservation of the held records of case `case`.
    Preservation { case: String },
}

impl Source {
    fn code(&self) -> &'static str {
        match self {
            Self::Evidence { .. } => "evidence",
            Self::Preservation { .. } => "preservation",
        }
    }

    fn case(&self) -> &str {
        match self {
            Self::Evidence { case, .. } | Self::Preservation { case } => case,
        }
    }
}

fn refused(code: &'static str, message: liuhen_domain::Message) -> AppError {
    AppError::Refused { code, message }
}

impl Custody {
    /// Authorizes `source` for `who` (see the module documentation); the case, its records
    /// to export, and the rows of each record's statement.
    async fn authorize_source(
        &self,
        who: &Principal,
        source: &Source,
    ) -> Result<(CaseRow, Vec<Record>, Vec<Vec<Field>>), AppError> {
        let case = self.case(source.case()).await?;
        let of_case = self.db.records_of_case(&case.id).await?;
        match source {
            Source::Evidence {
                records,
                extractor,
                proves,
                ..
            } => {
                self.authorize_case(who, Action::ManageCase, &case).await?;
                if case.status == CaseStatus::Archived {
                    return Err(refused(
                        "case_archived",
                        liuhen_domain::Message::new("evidence_case_archived")
                            .arg("case", &case.number),
                    ));
                }
                let (extractor, proves) = (extractor.trim(), proves.trim());
                if extractor.is_empty() || proves.is_empty() {
                    return Err(AppError::Invalid("请填写提取人和证明对象".into()));
                }
                let ids = if records.is_empty() {
                    of_case.clone()
                } else {
                    records.clone()
                };
                let mut out = Vec::new();
                for id in &ids {
                    if !of_case.contains(id) {
                        return Err(refused(
                            "evidence_not_of_case",
                            liuhen_domain::Message::new("evidence_not_of_case")
                                .arg("record", id)
                                .arg("case", &case.number),
                        ));
                    }
                    let record = self.record(id).await?;
                    self.authorize_record(who, Action::ViewRecord, &record)
                        .await?;
                    out.push(record);
                }
                let at = forms::at(Some(self.now().as_millisecond()), &self.tz());
                let rows = vec![
                    Field::new("案件", format!("{} {}", case.number, case.name)),
                    Field::new("制作人", ""),
                    Field::new("提取人", extractor),
                    Field::new("提取时间", at),
                    Field::new("证明对象", proves),
                    Field::new(
                        "依据",
                        "作为证据使用（附件2 第十一条、附件3 第十四条），无需审批",
                    ),
                ];
                Ok((case, out, vec![rows; ids.len()]))
            }
            Source::Preservation { .. } => {
                self.authorize_case_keeper(who, &case).await?;
                let mut targets = vec![format!("case:{}", case.id)];
                targets.extend(of_case.iter().map(|id| format!("record:{id}")));
                let holds: Vec<_> = self
                    .db
                    .holds_on(&targets)
                    .await?
                    .into_iter()
                    .filter(|h| h.in_force())
                    .collect();
                let whole = holds.iter().any(|h| h.target.starts_with("case:"));
                let mut out = Vec::new();
                let mut rows = Vec::new();
                for id in &of_case {
                    let mine: Vec<_> = holds
                        .iter()
                        .filter(|h| {
                            h.target.starts_with("case:") || h.target == format!("record:{id}")
                        })
                        .collect();
                    if !whole && mine.is_empty() {
                        continue;
                    }
                    let grounds = mine
                        .iter()
                        .map(|h| {
                            let name = self
                                .hold_policy()
                                .ground(&h.ground)
                                .map_or(h.ground.clone(), |g| g.label.clone());
                            format!("{name}（保全 {}）", h.id)
                        })
                        .collect::<Vec<_>>()
                        .join("；");
                    out.push(self.record(id).await?);
                    rows.push(vec![
                        Field::new("案件", format!("{} {}", case.number, case.name)),
                        Field::new("保存事由", grounds),
                        Field::new("依据", "长期保存（附件3 第十条），刻录光盘"),
                    ]);
                }
                if out.is_empty() {
                    return Err(refused(
                        "preservation_not_held",
                        liuhen_domain::Message::new("preservation_not_held")
                            .arg("case", &case.number),
                    ));
                }
                Ok((case, out, rows))
            }
        }
    }

    /// Builds the package of an evidence submission or a long-term preservation in the new
    /// directory `out` (see the module documentation).
    pub async fn export_source_package(
        &self,
        who: &Principal,
        who_name: &str,
        source: &Source,
        out: &Path,
    ) -> Result<ExportReport, AppError> {
        let (case, records, rows) = self.authorize_source(who, source).await?;
        into_new_dir(
            out,
            self.fill_source(who, who_name, source, &case, &records, rows, out),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn fill_source(
        &self,
        who: &Principal,
        who_name: &str,
        source: &Source,
        case: &CaseRow,
        records: &[Record],
        rows: Vec<Vec<Field>>,
        out: &Path,
    ) -> Result<ExportReport, AppError> {
        let tz = self.tz();
        let package = uuid::Uuid::now_v7().to_string();
        let style = Arc::clone(&self.pdf_style);
        let title = match source {
            Source::Evidence { .. } => "行政执法音像记录证据复制件文字说明材料",
            Source::Preservation { .. } => "行政执法音像记录长期保存刻盘说明材料",
        };
        let purpose = forms::case_purpose(source.code(), case);
        let mut known = BTreeMap::new();
        let mut entries = Vec::new();
        for (record, mut rows) in records.iter().zip(rows) {
            let context = serde_json::json!({ "case": case.id, "source": source.code() });
            let rel = self
                .copy_in(who, record, out, context, "导出", &mut known)
                .await?;
            for f in rows.iter_mut().filter(|f| f.label == "制作人") {
                f.value = who_name.to_owned();
            }
            let statement = format!("{PAYLOAD}/statements/{}_文字说明材料.pdf", record.id);
            let form = forms::source_statement(
                record,
                title,
                rows,
                &rel,
                &tz,
                &self.config.lists().copy_statement,
            );
            write(out, &statement, &crate::pdf::render_form(&style, &form))?;
            entries.push(RecordEntry {
                record: record.id.to_string(),
                original_name: record.original_name.clone(),
                path: rel,
                size: record.size_bytes,
                sha256: record.sha256.to_hex(),
                sm3: record.sm3.to_hex(),
                copy: String::new(),
                statement,
            });
        }
        let people = self
            .burn_people(Some(&case.id), &case.agency, records)
            .await?;
        let places = self.step_places(records).await?;
        let head = forms::case_head(case, &purpose);
        let burn = forms::burn_form(records, &places, head, &people, &tz);
        write(
            out,
            "data/刻盘存储记录表.pdf",
            &crate::pdf::render_form(&style, &burn),
        )?;
        let subjects: Vec<String> = records.iter().map(|r| format!("record:{}", r.id)).collect();
        let (log, keys) = self.write_log_and_keys(out, &subjects).await?;
        write(out, "data/verify.html", VERIFY_HTML.as_bytes())?;
        let now = forms::at(Some(self.now().as_millisecond()), &tz);
        let manifest = Manifest {
            format: FORMAT.into(),
            package: package.clone(),
            created_at: now.clone(),
            created_by: who_name.to_owned(),
            bureau: self.config.bureau.name.clone(),
            request: RequestInfo {
                id: case.id.clone(),
                kind: source.code().into(),
                purpose: purpose.clone(),
                requester: who_name.to_owned(),
                approvals: Vec::new(),
            },
            records: entries,
            files: payload_files(out, &known)?,
            log,
            keys,
        };
        write(out, "data/manifest.json", pretty(&manifest).as_bytes())?;
        let pdf = crate::pdf::render_form(&style, &forms::manifest_form(&manifest));
        write(out, "data/清单.pdf", &pdf)?;
        let info = vec![
            ("Source-Organization", self.config.bureau.name.clone()),
            ("Bagging-Date", now.chars().take(10).collect()),
            ("External-Identifier", package.clone()),
            (
                "External-Description",
                format!("行政执法音像记录证据包（{purpose}）"),
            ),
            ("Liuhen-Format", FORMAT.to_owned()),
            ("Liuhen-Source", source.code().to_owned()),
            ("Liuhen-Case", case.id.clone()),
            (
                "Liuhen-Ed25519-Key-Id",
                manifest.keys.ed25519_key_id.clone(),
            ),
            ("Liuhen-SM2-Key-Id", manifest.keys.sm2_key_id.clone()),
        ];
        let dir = out.to_path_buf();
        let manifest_sha256 =
            tokio::task::spawn_blocking(move || bag::seal_with(&dir, &info, &known))
                .await?
                .map_err(io_err(out))?;
        let action = match source {
            Source::Evidence { .. } => AuditAction::PackageEvidenceExported,
            Source::Preservation { .. } => AuditAction::PackagePreservationExported,
        };
        let mut details = serde_json::json!({
            "case": case.id,
            "source": source.code(),
            "package": package,
            "records": manifest.records.iter().map(|r| r.record.clone()).collect::<Vec<_>>(),
            "maker": who_name,
            "manifest_sha256": manifest_sha256,
            "files": manifest.files.len() + 2,
            "checkpoint_size": manifest.log.tree_size,
        });
        if let Source::Evidence {
            extractor, proves, ..
        } = source
        {
            details["extractor"] = extractor.trim().into();
            details["proves"] = proves.trim().into();
        }
        let entry = NewEntry {
            actor: who.user_id.clone(),
            action,
            subject: Some(format!("case:{}", case.id)),
            details,
        };
        let number = self.log_package(&case.agency, entry).await?;
        Ok(ExportReport {
            package,
            number,
            dir: out.to_path_buf(),
            records: records.len(),
            files: manifest.files.len() + 2,
            bytes: manifest.files.iter().map(|f| f.size).sum(),
            manifest_sha256,
        })
    }
}
