//! Export packages (issue 19): the originals of an approved, made copy leave the system as
//! a BagIt bag (RFC 8493) that a third party verifies offline — byte-identical originals,
//! each re-hashed (SHA-256 and SM3) on the way out, the copy statements and the disc-burn
//! record form as PDFs, a manifest (JSON and PDF), the audit-log entries about the records
//! with RFC 6962 inclusion proofs against one signed checkpoint, and the public keys. The
//! format is the public contract of `docs/verifying-a-package.md`; [`verify`] checks it
//! with no database and no network; [`iso`] writes it as a disc image.

pub mod bag;
pub mod burn;
pub mod case_stored;
mod forms;
pub mod four_checks;
pub use forms::DiscLabel;
pub mod iso;
pub mod sources;
pub mod split;
mod stored;
pub mod transfer;
mod transfer_forms;
pub mod transfer_xml;
pub mod verify;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use liuhen_db::NewEntry;
use liuhen_domain::approval::RequestStatus;
use liuhen_domain::authz::{Action, Principal};
use liuhen_domain::{AuditAction, Record, RecordId};
use serde::{Deserialize, Serialize};

pub use bag::{FileDigest, hash_file};
pub use stored::PackageLine;

use crate::{AppError, Custody};

/// The format name in `manifest.json` and `bag-info.txt`.
pub const FORMAT: &str = "liuhen-package/1";
/// The specification, carried inside every package.
pub const SPEC: &str = include_str!("../../../../docs/verifying-a-package.md");
/// The offline verifier for a browser (WebCrypto SHA-256 + Ed25519), carried inside every
/// package as `data/verify.html`.
pub const VERIFY_HTML: &str = include_str!("verify.html");

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub package: String,
    pub created_at: String,
    pub created_by: String,
    pub bureau: String,
    pub request: RequestInfo,
    pub records: Vec<RecordEntry>,
    /// Every payload file except `data/manifest.json` and `data/清单.pdf`.
    pub files: Vec<FileEntry>,
    pub log: LogInfo,
    pub keys: KeyInfo,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestInfo {
    pub id: String,
    pub kind: String,
    pub purpose: String,
    pub requester: String,
    pub approvals: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordEntry {
    pub record: String,
    pub original_name: String,
    pub path: String,
    pub size: u64,
    pub sha256: String,
    pub sm3: String,
    pub copy: String,
    pub statement: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
    pub sm3: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogInfo {
    pub checkpoint: String,
    pub entries: String,
    pub tree_size: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyInfo {
    pub ed25519: String,
    pub sm2: String,
    pub ed25519_key_id: String,
    pub sm2_key_id: String,
}

/// `data/log/checkpoint.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointFile {
    /// The signed body, four lines (see `docs/log-format.md`).
    pub body: String,
    /// Base64 of the 64-byte Ed25519 signature over `body`.
    pub ed25519_sig: String,
    /// Base64 of the DER SM2-with-SM3 signature over `body` (distid 1234567812345678).
    pub sm2_sig: String,
}

/// `data/log/entries.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntriesFile {
    pub tree_size: u64,
    pub entries: Vec<ProvenEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProvenEntry {
    pub seq: u64,
    /// The entry body exactly as hashed into the log.
    pub body: String,
    /// Hex audit path (RFC 6962 §2.1.1) from the entry's leaf to the checkpoint's root.
    pub proof: Vec<String>,
}

/// What an export produced.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub package: String,
    /// Its human number (文号), logged with it.
    pub number: String,
    pub dir: PathBuf,
    pub records: usize,
    pub files: usize,
    pub bytes: u64,
    /// SHA-256 of `manifest-sha256.txt`, as logged.
    pub manifest_sha256: String,
}

const PAYLOAD: &str = "data";

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> AppError + '_ {
    move |e| AppError::io(path, e)
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) -> Result<(), AppError> {
    let p = bag::join(dir, rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    std::fs::write(&p, bytes).map_err(io_err(&p))
}

/// Copies one original out of the blob store into `dest`, hashing what is written with
/// SHA-256 and SM3 (one pass); `Ok(None)` when the digests differ from the record's.
fn copy_original(
    blobs: &Arc<dyn liuhen_blob::BlobStore>,
    record: &Record,
    dest: &Path,
) -> Result<Option<FileDigest>, AppError> {
    // Read unverified (`open_range`): the bytes are hashed here, once, with both algorithms.
    if blobs.size(&record.sha256)? != Some(record.size_bytes) {
        return Ok(None);
    }
    let mut src = blobs.open_range(&record.sha256, 0, record.size_bytes)?;
    let mut out = std::fs::File::create_new(dest).map_err(io_err(dest))?;
    let mut hasher = liuhen_blob::DualHasher::new();
    loop {
        let mut chunk = Vec::with_capacity(liuhen_blob::CHUNK_SIZE);
        let n = (&mut src)
            .take(liuhen_blob::CHUNK_SIZE as u64)
            .read_to_end(&mut chunk)
            .map_err(io_err(dest))?;
        if n == 0 {
            break;
        }
        out.write_all(&chunk).map_err(io_err(dest))?;
        hasher.update_shared(Arc::new(chunk));
    }
    out.sync_all().map_err(io_err(dest))?;
    let d = hasher.finish_digests();
    let same = d.sha256 == record.sha256 && d.sm3 == record.sm3 && d.size == record.size_bytes;
    Ok(same.then(|| FileDigest {
        sha256: d.sha256.to_hex(),
        sm3: d.sm3.to_hex(),
        size: d.size,
    }))
}

impl Custody {
    /// Builds the export package of the made copy `request_id` in the new directory `out`
    /// (see the module documentation). An original that fails its re-hash stops the export
    /// (the partial package is removed) and is logged as `package.hash_mismatch`.
    pub async fn export_package(
        &self,
        who: &Principal,
        who_name: &str,
        request_id: &str,
        out: &Path,
    ) -> Result<ExportReport, AppError> {
        let request = self
            .unit_request(who, Action::HandleRequest, request_id)
            .await?;
        if request.status != RequestStatus::Done.code() {
            return Err(AppError::Invalid(
                "该申请尚未制作复制件，不能导出证据包".into(),
            ));
        }
        let copies = self.db.copies(request_id).await?;
        if copies.is_empty() {
            return Err(AppError::Invalid("该申请没有复制件，不能导出证据包".into()));
        }
        let approvals = self.db.approvals(request_id).await?;
        let mut records = Vec::new();
        for c in &copies {
            let rid =
                RecordId::parse(&c.record_id).map_err(|e| AppError::Invalid(e.to_string()))?;
            let record = self.record(&rid).await?;
            self.authorize_record(who, Action::MakeCopy, &record)
                .await?;
            records.push(record);
        }
        into_new_dir(
            out,
            self.fill_package(who, who_name, &request, &copies, &approvals, &records, out),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn fill_package(
        &self,
        who: &Principal,
        who_name: &str,
        request: &liuhen_db::RequestRow,
        copies: &[liuhen_db::CopyRow],
        approvals: &[liuhen_db::ApprovalRow],
        records: &[Record],
        out: &Path,
    ) -> Result<ExportReport, AppError> {
        let tz = self.tz();
        let package = uuid::Uuid::now_v7().to_string();
        let style = Arc::clone(&self.pdf_style);
        let mut entries = Vec::new();
        let mut known = BTreeMap::new();
        for (record, copy) in records.iter().zip(copies) {
            let context = serde_json::json!({ "request": request.id });
            let rel = self
                .copy_in(who, record, out, context, "导出", &mut known)
                .await?;
            let statement = format!("{PAYLOAD}/statements/{}_文字说明材料.pdf", record.id);
            let form = forms::statement(
                record,
                copy,
                request,
                approvals,
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
                copy: copy.id.clone(),
                statement,
            });
        }
        let people = self
            .burn_people(request.case_id.as_deref(), &request.agency, records)
            .await?;
        let places = self.step_places(records).await?;
        let burn = forms::burn_form(records, &places, forms::request_head(request), &people, &tz);
        write(
            out,
            "data/刻盘存储记录表.pdf",
            &crate::pdf::render_form(&style, &burn),
        )?;

        let subjects: Vec<String> = records.iter().map(|r| format!("record:{}", r.id)).collect();
        let (log, keys) = self.write_log_and_keys(out, &subjects).await?;
        write(out, "data/verify.html", VERIFY_HTML.as_bytes())?;
        let files = payload_files(out, &known)?;
        let manifest = Manifest {
            format: FORMAT.into(),
            package: package.clone(),
            created_at: self
                .now()
                .to_zoned_datetime(tz.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
            created_by: who_name.to_owned(),
            bureau: self.config.bureau.name.clone(),
            request: RequestInfo {
                id: request.id.clone(),
                kind: request.kind.clone(),
                purpose: request.purpose.clone(),
                requester: request.requester_name.clone(),
                approvals: approvals
                    .iter()
                    .map(|a| format!("{}：{}（{}）", a.step, a.approver_name, a.decision))
                    .collect(),
            },
            records: entries,
            files,
            log,
            keys,
        };
        write(out, "data/manifest.json", pretty(&manifest).as_bytes())?;
        let pdf = crate::pdf::render_form(&style, &forms::manifest_form(&manifest));
        write(out, "data/清单.pdf", &pdf)?;

        let info = vec![
            ("Source-Organization", self.config.bureau.name.clone()),
            (
                "Bagging-Date",
                self.now()
                    .to_zoned_datetime(tz)
                    .strftime("%Y-%m-%d")
                    .to_string(),
            ),
            ("External-Identifier", package.clone()),
            (
                "External-Description",
                format!("行政执法音像记录证据包（申请 {}）", request.id),
            ),
            ("Liuhen-Format", FORMAT.to_owned()),
            ("Liuhen-Request", request.id.clone()),
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
        let bytes: u64 = manifest.files.iter().map(|f| f.size).sum();
        let entry = NewEntry {
            actor: who.user_id.clone(),
            action: AuditAction::PackageExported,
            subject: Some(format!("request:{}", request.id)),
            details: serde_json::json!({
                "request": request.id,
                "request_number": request.number,
                "package": package,
                "records": manifest.records.iter().map(|r| r.record.clone()).collect::<Vec<_>>(),
                "case": request.case_id,
                "maker": who_name,
                "manifest_sha256": manifest_sha256,
                "files": manifest.files.len() + 2,
                "checkpoint_size": manifest.log.tree_size,
            }),
        };
        let number = self.log_package(&request.agency, entry).await?;
        Ok(ExportReport {
            package,
            number,
            dir: out.to_path_buf(),
            records: records.len(),
            files: manifest.files.len() + 2,
            bytes,
            manifest_sha256,
        })
    }
}

impl Custody {
    /// Copies `record`'s original into the package at `out` as
    /// `data/originals/<record id>_<original name>`, re-hashed with SHA-256 and SM3 on the
    /// way (R6.2: on every export), and records its digests in `known`; returns its path in
    /// the package. A mismatch stops the export: it is logged as `package.hash_mismatch`
    /// (`context` plus the record and its SHA-256) and refused, naming the record and
    /// `what` stopped (导出, 移交). Every kind of package copies its originals this way.
    pub(super) async fn copy_in(
        &self,
        who: &Principal,
        record: &Record,
        out: &Path,
        mut context: serde_json::Value,
        what: &str,
        known: &mut BTreeMap<String, FileDigest>,
    ) -> Result<String, AppError> {
        let name = format!("{}_{}", record.id, bag::safe_name(&record.original_name));
        let rel = format!("{PAYLOAD}/originals/{name}");
        let (blobs, r, dest) = (
            Arc::clone(&self.blobs),
            record.clone(),
            bag::join(out, &rel),
        );
        let copied =
            tokio::task::spawn_blocking(move || copy_original(&blobs, &r, &dest)).await??;
        let Some(digest) = copied else {
            context["record"] = record.id.as_str().into();
            context["sha256"] = record.sha256.to_hex().into();
            self.log_event(NewEntry {
                actor: who.user_id.clone(),
                action: AuditAction::PackageHashMismatch,
                subject: Some(format!("record:{}", record.id)),
                details: context,
            })
            .await?;
            tracing::error!(record = %record.id, "original failed its re-hash on export");
            return Err(AppError::Invalid(format!(
                "原始记录 {} 重新计算的摘要与保管记录不符，{what}已停止并已告警",
                record.id
            )));
        };
        known.insert(rel.clone(), digest);
        Ok(rel)
    }
}

impl Custody {
    /// The printable label of a package's disc image `image`, disc `disc` of `discs` (its
    /// SHA-256 is computed here).
    pub async fn disc_label_pdf(
        &self,
        who: &Principal,
        request_id: &str,
        package: &str,
        image: &Path,
        (disc, discs): (u32, u32),
    ) -> Result<Vec<u8>, AppError> {
        let request = self
            .unit_request(who, Action::HandleRequest, request_id)
            .await?;
        let case = match request.case_id.as_deref() {
            Some(id) => self
                .case(id)
                .await
                .map(|c| format!("{} {}", c.number, c.name))
                .unwrap_or_else(|_| id.to_owned()),
            None => String::new(),
        };
        let path = image.to_path_buf();
        let digest = tokio::task::spawn_blocking(move || hash_file(&path))
            .await?
            .map_err(io_err(image))?;
        let label = DiscLabel {
            bureau: self.config.bureau.name.clone(),
            case,
            request: request.id,
            package: package.to_owned(),
            disc,
            discs,
            date: self
                .now()
                .to_zoned_datetime(self.tz())
                .strftime("%Y-%m-%d")
                .to_string(),
            image_sha256: digest.sha256,
        };
        Ok(crate::pdf::render_form(
            &self.pdf_style,
            &forms::disc_label(&label),
        ))
    }
}

impl Custody {
    /// Writes `data/log/` (one signed checkpoint, made now, and every entry about
    /// `subjects` it covers, each with its inclusion proof), the public keys and the
    /// specification into the package at `out`.
    pub(super) async fn write_log_and_keys(
        &self,
        out: &Path,
        subjects: &[String],
    ) -> Result<(LogInfo, KeyInfo), AppError> {
        self.checkpoint().await?;
        let cp = self
            .db
            .latest_checkpoint()
            .await?
            .ok_or_else(|| AppError::Invalid("日志尚无检查点".into()))?;
        let leaves = self.db.leaf_hashes(cp.tree_size).await?;
        let mut proven = Vec::new();
        for subject in subjects {
            for e in self.db.entries_for(subject).await? {
                if e.seq >= cp.tree_size {
                    continue;
                }
                let proof = liuhen_merkle::inclusion_proof(&leaves, e.seq)
                    .map_err(|e| AppError::Invalid(e.to_string()))?;
                proven.push(ProvenEntry {
                    seq: e.seq,
                    body: e.body,
                    proof: proof.iter().map(hex::encode).collect(),
                });
            }
        }
        proven.sort_by_key(|e| e.seq);
        proven.dedup_by_key(|e| e.seq);
        let b64 = base64::engine::general_purpose::STANDARD;
        let checkpoint = CheckpointFile {
            body: cp.body.clone(),
            ed25519_sig: b64.encode(&cp.ed25519_sig),
            sm2_sig: b64.encode(&cp.sm2_sig),
        };
        write(
            out,
            "data/log/checkpoint.json",
            pretty(&checkpoint).as_bytes(),
        )?;
        let entries_file = EntriesFile {
            tree_size: cp.tree_size,
            entries: proven,
        };
        write(
            out,
            "data/log/entries.json",
            pretty(&entries_file).as_bytes(),
        )?;
        let public = self.keys.public_keys();
        let (ed_pem, sm2_pem) = public.to_pem();
        write(out, "data/keys/ed25519.pub.pem", ed_pem.as_bytes())?;
        write(out, "data/keys/sm2.pub.pem", sm2_pem.as_bytes())?;
        write(out, "data/verifying-a-package.md", SPEC.as_bytes())?;
        Ok((
            LogInfo {
                checkpoint: "data/log/checkpoint.json".into(),
                entries: "data/log/entries.json".into(),
                tree_size: cp.tree_size,
            },
            KeyInfo {
                ed25519: "data/keys/ed25519.pub.pem".into(),
                sm2: "data/keys/sm2.pub.pem".into(),
                ed25519_key_id: public.ed25519_key_id(),
                sm2_key_id: public.sm2_key_id(),
            },
        ))
    }
}

/// Every payload file of `out` but `data/manifest.json` and `data/清单.pdf` (not yet
/// written), with its digests (from `known`, else read).
pub(super) fn payload_files(
    out: &Path,
    known: &BTreeMap<String, FileDigest>,
) -> Result<Vec<FileEntry>, AppError> {
    let mut files = Vec::new();
    for path in bag::files_under(out, PAYLOAD).map_err(io_err(out))? {
        if path == "data/manifest.json" || path == "data/清单.pdf" {
            continue;
        }
        let d = match known.get(&path) {
            Some(d) => d.clone(),
            None => hash_file(&bag::join(out, &path)).map_err(io_err(out))?,
        };
        files.push(FileEntry {
            path,
            size: d.size,
            sha256: d.sha256,
            sm3: d.sm3,
        });
    }
    Ok(files)
}

fn pretty<T: Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).expect("plain data serialises") + "\n"
}

/// Runs `fill` into `out`, which must be new or empty and is made with its payload folder;
/// a failed fill leaves no directory behind. Every kind of package is built this way.
async fn into_new_dir<T>(
    out: &Path,
    fill: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    if out.exists()
        && std::fs::read_dir(out)
            .map_err(io_err(out))?
            .next()
            .is_some()
    {
        return Err(AppError::Invalid(format!(
            "{} 已存在且不为空，请指定新的目录",
            out.display()
        )));
    }
    std::fs::create_dir_all(bag::join(out, "data/originals")).map_err(io_err(out))?;
    let result = fill.await;
    if result.is_err() {
        let _ = std::fs::remove_dir_all(out);
    }
    result
}
