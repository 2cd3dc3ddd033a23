//! Archive transfer (归档移交, issue 19): the package of an archived case handed to the
//! archive. The same BagIt bag as an export package (originals re-hashed on the way out,
//! log entries with inclusion proofs against one signed checkpoint, public keys, manifest)
//! plus, for each record, DA/T 63-style metadata (`data/metadata/<record>.xml`), the case's
//! compliance report, the 四性 check (DA/T 70) as JSON and PDF, and the 移交接收检验登记表.
//! No executable content: the browser verifier `verify.html` is left out. The format is
//! `docs/archive-transfer.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use liuhen_db::NewEntry;
use liuhen_domain::authz::Principal;
use liuhen_domain::case::{CaseStatus, RetentionClass, retention_class};
use liuhen_domain::{AuditAction, Record};
use serde::Serialize;

use super::four_checks::{self, FourChecks, Property};
use super::transfer_forms::{self, RegisterFacts};
use super::transfer_xml::{self, RecordMeta};
use super::{
    FORMAT, Manifest, PAYLOAD, RecordEntry, RequestInfo, bag, forms, into_new_dir, io_err,
    payload_files, pretty, verify, write,
};
use crate::{AppError, Custody};

/// The transfer format's documentation, carried inside every transfer package.
pub const TRANSFER_DOC: &str = include_str!("../../../../docs/archive-transfer.md");

/// What a transfer produced.
#[derive(Debug, Clone, Serialize)]
pub struct TransferReport {
    pub package: String,
    pub dir: PathBuf,
    pub case: String,
    pub records: usize,
    pub bytes: u64,
    pub manifest_sha256: String,
    pub checks: FourChecks,
}

fn fmt_ms(ms: Option<i64>, tz: &jiff::tz::TimeZone) -> String {
    ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| {
            t.to_zoned_datetime(tz.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        })
        .unwrap_or_default()
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

impl Custody {
    /// Builds the archive transfer package of the archived case `case_id` in the new
    /// directory `out`, for a records keeper of the case's unit. The package is written
    /// even when a 四性 check fails (the report names what failed); an original that fails
    /// its re-hash stops it, as for every export (`package.hash_mismatch`).
    pub async fn transfer_package(
        &self,
        who: &Principal,
        who_name: &str,
        case_id: &str,
        out: &Path,
    ) -> Result<TransferReport, AppError> {
        let case = self.case(case_id).await?;
        self.authorize_case_keeper(who, &case).await?;
        if case.status != CaseStatus::Archived {
            return Err(AppError::Refused {
                code: "case_not_archived",
                message: liuhen_domain::Message::new("transfer_case_not_archived")
                    .arg("case", &case.number),
            });
        }
        let mut records = Vec::new();
        for id in self.db.records_of_case(&case.id).await? {
            records.push(self.record(&id).await?);
        }
        if records.is_empty() {
            return Err(AppError::Invalid(format!(
                "案件 {} 没有关联的音像记录，无可移交",
                case.number
            )));
        }
        into_new_dir(out, self.fill_transfer(who, who_name, &case, &records, out)).await
    }

    fn retention_label(&self, case: &liuhen_db::CaseRow) -> String {
        let r = &self.config.retention;
        match retention_class(&case.flags) {
            RetentionClass::Permanent => "永久".into(),
            RetentionClass::Complex => format!("{} 年", r.complex_years),
            RetentionClass::HearingOrEnforcedExecution => {
                format!("{} 年", r.hearing_or_enforced_execution_years)
            }
            RetentionClass::Ordinary => format!("{} 年", r.ordinary_years),
        }
    }

    async fn fill_transfer(
        &self,
        who: &Principal,
        who_name: &str,
        case: &liuhen_db::CaseRow,
        records: &[Record],
        out: &Path,
    ) -> Result<TransferReport, AppError> {
        let tz = self.tz();
        let package = uuid::Uuid::now_v7().to_string();
        let style = Arc::clone(&self.pdf_style);
        let now = self.now();
        let now_text = fmt_ms(Some(now.as_millisecond()), &tz);
        let formats = four_checks::archival_formats();
        let steps = self.db.steps_of_case(&case.id).await?;
        let case_labels = self.db.labels(true, &case.id).await?;
        let mut usability = Property::new(
            "usability",
            "可用性",
            "每个原始文件由 ffprobe 解码出音视频帧，且格式属可接受的归档格式（archival_formats.toml）",
        );
        let mut known = BTreeMap::new();
        let mut entries = Vec::new();
        let mut labels_of = BTreeMap::new();
        for record in records {
            let context = serde_json::json!({ "case": case.id });
            let rel = self
                .copy_in(who, record, out, context, "移交", &mut known)
                .await?;
            let dest = bag::join(out, &rel);
            let probed =
                tokio::task::spawn_blocking(move || four_checks::probe_decode(&dest)).await?;
            let (ok, detail) = four_checks::usability(&formats, &probed);
            usability.push(
                format!("record:{} {}", record.id, record.original_name),
                ok,
                detail,
            );
            let format = probed
                .as_ref()
                .ok()
                .and_then(|p| four_checks::accepted_format(&formats, p).map(|f| f.name.clone()))
                .or_else(|| probed.as_ref().ok().map(|p| p.format_name.clone()))
                .filter(|f| !f.is_empty())
                .or_else(|| record.media.container.clone())
                .unwrap_or_else(|| "未知".into());
            let mut labels = self.db.labels(false, record.id.as_str()).await?;
            labels.extend(case_labels.iter().cloned());
            labels.sort();
            labels.dedup();
            let meta = self
                .record_meta(case, &steps, record, &rel, format, labels.clone())
                .await?;
            labels_of.insert(record.id.to_string(), labels);
            let xml_path = format!("{PAYLOAD}/metadata/{}.xml", record.id);
            write(out, &xml_path, transfer_xml::record_xml(&meta).as_bytes())?;
            entries.push(RecordEntry {
                record: record.id.to_string(),
                original_name: record.original_name.clone(),
                path: rel,
                size: record.size_bytes,
                sha256: record.sha256.to_hex(),
                sm3: record.sm3.to_hex(),
                copy: String::new(),
                statement: xml_path,
            });
        }
        let verdict = self.case_compliance(&case.id).await?;
        let report = transfer_forms::compliance_form(case, &steps, &verdict, &now_text);
        write(
            out,
            "data/transfer/合规报告.pdf",
            &crate::pdf::render_form(&style, &report),
        )?;
        write(out, "data/archive-transfer.md", TRANSFER_DOC.as_bytes())?;
        let mut subjects: Vec<String> =
            records.iter().map(|r| format!("record:{}", r.id)).collect();
        subjects.push(format!("case:{}", case.id));
        let (log, keys) = self.write_log_and_keys(out, &subjects).await?;
        let mut manifest = Manifest {
            format: FORMAT.into(),
            package: package.clone(),
            created_at: now_text.clone(),
            created_by: who_name.to_owned(),
            bureau: self.config.bureau.name.clone(),
            request: RequestInfo {
                id: case.id.clone(),
                kind: "archive_transfer".into(),
                purpose: format!("归档移交：{} {}", case.number, case.name),
                requester: who_name.to_owned(),
                approvals: Vec::new(),
            },
            records: entries,
            files: payload_files(out, &known)?,
            log,
            keys,
        };
        let info = vec![
            ("Source-Organization", self.config.bureau.name.clone()),
            ("Bagging-Date", now_text.chars().take(10).collect()),
            ("External-Identifier", package.clone()),
            (
                "External-Description",
                format!("行政执法音像记录归档移交包（案件 {}）", case.number),
            ),
            ("Liuhen-Format", FORMAT.to_owned()),
            ("Liuhen-Transfer-Case", case.id.clone()),
            (
                "Liuhen-Ed25519-Key-Id",
                manifest.keys.ed25519_key_id.clone(),
            ),
            ("Liuhen-SM2-Key-Id", manifest.keys.sm2_key_id.clone()),
        ];
        self.seal_transfer(out, &manifest, &info, &known).await?;

        // The 四性 check of the package as written.
        let dir = out.to_path_buf();
        let checked = tokio::task::spawn_blocking(move || verify::verify_dir(&dir, None)).await?;
        let authenticity = authenticity(&manifest, &checked);
        let integrity = integrity(out, &manifest, records)?;
        let security = security(out, &labels_of)?;
        let checks = FourChecks::new(
            now_text.clone(),
            vec![authenticity, integrity, usability, security],
        );
        write(
            out,
            "data/transfer/four_checks.json",
            pretty(&checks).as_bytes(),
        )?;
        let form = transfer_forms::four_checks_form(case, &package, &checks);
        write(
            out,
            "data/transfer/四性检测报告.pdf",
            &crate::pdf::render_form(&style, &form),
        )?;
        let bytes: u64 = records.iter().map(|r| r.size_bytes).sum();
        let years = {
            let ys: Vec<i16> = records
                .iter()
                .filter_map(|r| r.media.capture_start.or(Some(r.stored_at)))
                .map(|t| t.to_zoned_datetime(tz.clone()).year())
                .collect();
            match (ys.iter().min(), ys.iter().max()) {
                (Some(a), Some(b)) if a == b => a.to_string(),
                (Some(a), Some(b)) => format!("{a}—{b}"),
                _ => String::new(),
            }
        };
        let facts = RegisterFacts {
            bureau: &self.config.bureau.name,
            case,
            package: &package,
            records: records.len(),
            bytes,
            years,
            date: &now_text[..now_text.len().min(10)],
            maker: who_name,
        };
        write(
            out,
            "data/transfer/移交接收检验登记表.pdf",
            &crate::pdf::render_form(&style, &transfer_forms::register_form(&facts, &checks)),
        )?;
        manifest.files = payload_files(out, &known)?;
        let manifest_sha256 = self.seal_transfer(out, &manifest, &info, &known).await?;
        let failed: BTreeMap<&str, bool> = checks
            .properties
            .iter()
            .map(|p| (p.code.as_str(), p.ok))
            .collect();
        self.log_event(NewEntry {
            actor: who.user_id.clone(),
            action: AuditAction::PackageTransferred,
            subject: Some(format!("case:{}", case.id)),
            details: serde_json::json!({
                "case": case.id,
                "number": case.number,
                "package": package,
                "records": manifest.records.iter().map(|r| r.record.clone()).collect::<Vec<_>>(),
                "maker": who_name,
                "manifest_sha256": manifest_sha256,
                "checkpoint_size": manifest.log.tree_size,
                "four_checks": failed,
            }),
        })
        .await?;
        Ok(TransferReport {
            package,
            dir: out.to_path_buf(),
            case: case.id.clone(),
            records: records.len(),
            bytes,
            manifest_sha256,
            checks,
        })
    }

    /// Writes `manifest.json` and `清单.pdf`, then the bag's manifests.
    async fn seal_transfer(
        &self,
        out: &Path,
        manifest: &Manifest,
        info: &[(&'static str, String)],
        known: &BTreeMap<String, super::FileDigest>,
    ) -> Result<String, AppError> {
        write(out, "data/manifest.json", pretty(manifest).as_bytes())?;
        let pdf = crate::pdf::render_form(&self.pdf_style, &forms::manifest_form(manifest));
        write(out, "data/清单.pdf", &pdf)?;
        let (dir, info, known) = (out.to_path_buf(), info.to_vec(), known.clone());
        tokio::task::spawn_blocking(move || bag::seal_with(&dir, &info, &known))
            .await?
            .map_err(io_err(out))
    }

    async fn record_meta(
        &self,
        case: &liuhen_db::CaseRow,
        steps: &[liuhen_db::StepRow],
        record: &Record,
        path: &str,
        format: String,
        labels: Vec<String>,
    ) -> Result<RecordMeta, AppError> {
        let tz = self.tz();
        let c = &record.classification;
        let m = &record.media;
        let mut step_names = Vec::new();
        for s in steps {
            let linked = self.db.step_records(&s.step.id).await?;
            if linked.iter().any(|l| l.record_id == record.id) {
                step_names.push(s.step.name.clone());
            }
        }
        let events = self
            .db
            .entries_for(&format!("record:{}", record.id))
            .await?
            .into_iter()
            .map(|e| (e.action, fmt_ms(Some(e.at_ms), &tz), e.seq))
            .collect();
        let year = m
            .capture_start
            .unwrap_or(record.stored_at)
            .to_zoned_datetime(tz.clone())
            .year()
            .to_string();
        Ok(RecordMeta {
            record: record.id.to_string(),
            bureau: self.config.bureau.name.clone(),
            agency: opt(&c.agency),
            case_number: case.number.clone(),
            case_name: case.name.clone(),
            year,
            retention: self.retention_label(case),
            retain_until: fmt_ms(Some(record.retain_until.as_millisecond()), &tz),
            title: record.original_name.clone(),
            // Capture start; without one, the record date (R2.6), else the storage time.
            start: match (m.capture_start, record.record_date) {
                (Some(t), _) => fmt_ms(Some(t.as_millisecond()), &tz),
                (None, Some(d)) => d.to_string(),
                (None, None) => fmt_ms(Some(record.stored_at.as_millisecond()), &tz),
            },
            end: fmt_ms(m.capture_end.map(|t| t.as_millisecond()), &tz),
            places: self.db.step_places_of_record(&record.id).await?,
            steps: step_names,
            officer: opt(&c.officer),
            camera_operator: opt(&c.camera_operator),
            parties: case.parties.iter().map(|p| p.name.clone()).collect(),
            labels,
            kind: record.kind.label_zh().into(),
            duration: m
                .duration_ms
                .map(|ms| {
                    let s = ms / 1000;
                    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                })
                .unwrap_or_default(),
            path: path.to_owned(),
            original_name: record.original_name.clone(),
            size: record.size_bytes,
            format,
            video_codec: opt(&m.video_codec),
            audio_codec: opt(&m.audio_codec),
            resolution: match (m.width, m.height) {
                (Some(w), Some(h)) => format!("{w}x{h}"),
                _ => String::new(),
            },
            sha256: record.sha256.to_hex(),
            sm3: record.sm3.to_hex(),
            device: opt(&c.device),
            device_make: opt(&m.device_make),
            device_model: opt(&m.device_model),
            device_serial: opt(&m.device_serial),
            stored_at: fmt_ms(Some(record.stored_at.as_millisecond()), &tz),
            events,
        })
    }
}

/// 真实性: the package as written, checked by `verify-package`'s own code — every file
/// against its digests, each record's digest vouched for by a proven ingest entry, the
/// inclusion proofs and both checkpoint signatures.
fn authenticity(m: &Manifest, v: &verify::Verdict) -> Property {
    use verify::Problem as P;
    let mut p = Property::new(
        "authenticity",
        "真实性",
        "原始文件的 SHA-256 与 SM3 与保管记录一致，其入库日志条目的包含证明通向签名检查点，检查点的 Ed25519 与 SM2 签名有效",
    );
    let about = |r: &RecordEntry, prob: &P| match prob {
        P::ChangedFile { path, .. }
        | P::MissingFile { path }
        | P::ManifestMismatch { path, .. } => path == &r.path,
        P::UnboundRecord { record } => record == &r.record,
        _ => false,
    };
    for r in &m.records {
        let found: Vec<String> = v
            .problems
            .iter()
            .filter(|prob| about(r, prob))
            .map(ToString::to_string)
            .collect();
        let subject = format!("record:{} {}", r.record, r.original_name);
        if found.is_empty() {
            p.push(
                subject,
                true,
                format!("SHA-256 {}；SM3 {}；入库日志条目已证明", r.sha256, r.sm3),
            );
        } else {
            p.push(subject, false, found.join("；"));
        }
    }
    let rest: Vec<String> = v
        .problems
        .iter()
        .filter(|prob| !m.records.iter().any(|r| about(r, prob)))
        .map(ToString::to_string)
        .collect();
    if rest.is_empty() {
        p.push(
            "checkpoint",
            true,
            format!(
                "日志规模 {}，{} 个日志条目的包含证明与检查点签名有效",
                m.log.tree_size, v.entries_checked
            ),
        );
    } else {
        p.push("package", false, rest.join("；"));
    }
    p
}

/// 完整性: every record of the case is in the package with its original and its metadata,
/// each metadata file has every required element, and the forms are there.
fn integrity(out: &Path, m: &Manifest, records: &[Record]) -> Result<Property, AppError> {
    let mut p = Property::new(
        "integrity",
        "完整性",
        "案件关联的每条记录均有原始文件与元数据，元数据的必备项齐全，合规报告在包内",
    );
    for r in records {
        let subject = format!("record:{} {}", r.id, r.original_name);
        let Some(e) = m.records.iter().find(|e| e.record == r.id.as_str()) else {
            p.push(subject, false, "记录不在移交包中");
            continue;
        };
        if !bag::join(out, &e.path).is_file() {
            p.push(subject, false, format!("原始文件 {} 缺失", e.path));
            continue;
        }
        match std::fs::read_to_string(bag::join(out, &e.statement)) {
            Ok(xml) => {
                let missing = transfer_xml::missing_required(&xml);
                if missing.is_empty() {
                    p.push(
                        subject,
                        true,
                        format!("原始文件与元数据 {} 齐全", e.statement),
                    );
                } else {
                    p.push(
                        subject,
                        false,
                        format!("元数据 {} 缺少必备项：{}", e.statement, missing.join("、")),
                    );
                }
            }
            Err(_) => p.push(subject, false, format!("元数据 {} 缺失", e.statement)),
        }
    }
    let report = "data/transfer/合规报告.pdf";
    p.push(report, bag::join(out, report).is_file(), "案件合规报告");
    if m.records.len() != records.len() {
        p.push(
            "manifest",
            false,
            format!(
                "清单列出 {} 条记录，案件关联 {} 条",
                m.records.len(),
                records.len()
            ),
        );
    }
    Ok(p)
}

/// 安全性: no payload file is executable or active content, and every record's
/// confidentiality labels are carried in its metadata.
fn security(out: &Path, labels_of: &BTreeMap<String, Vec<String>>) -> Result<Property, AppError> {
    let mut p = Property::new(
        "security",
        "安全性",
        "包内无可执行或活动内容（文件头、扩展名、PDF 活动项），记录的密级标识随元数据移交",
    );
    let mut clean = 0usize;
    for path in bag::files_under(out, PAYLOAD).map_err(io_err(out))? {
        let full = bag::join(out, &path);
        let limit = if path.ends_with(".pdf") {
            16 << 20
        } else {
            4096
        };
        let mut head = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::fs::File::open(&full).map_err(io_err(&full))?, limit),
            &mut head,
        )
        .map_err(io_err(&full))?;
        match four_checks::executable_content(&path, &head) {
            Some(why) => p.push(path, false, why),
            None => clean += 1,
        }
    }
    p.push("files", true, format!("{clean} 个文件无可执行内容"));
    for (record, labels) in labels_of {
        let path = bag::join(out, &format!("{PAYLOAD}/metadata/{record}.xml"));
        let xml = std::fs::read_to_string(&path).unwrap_or_default();
        let carried: Vec<&String> = labels
            .iter()
            .filter(|l| xml.contains(&format!("<标识>{l}</标识>")))
            .collect();
        let ok = carried.len() == labels.len();
        let detail = if labels.is_empty() {
            "无密级标识".to_owned()
        } else if ok {
            format!("密级标识已随元数据移交：{}", labels.join("、"))
        } else {
            format!("元数据未载明全部密级标识（应为 {}）", labels.join("、"))
        };
        p.push(format!("record:{record}"), ok, detail);
    }
    Ok(p)
}
