//! `liuhen export copy` / `export transfer` (the export package of a made copy, or the
//! archive transfer package of an archived case, optionally as an ISO
//! image) and `liuhen verify-package DIR|IMAGE.iso` (check a package offline: no data
//! directory, no database, no network).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use liuhen_app::Custody;
use liuhen_app::package::sources::Source;
use liuhen_app::package::{iso, split, verify};
use liuhen_domain::auth::TokenScope;

use crate::operator::Who;

#[derive(Subcommand)]
pub enum ExportCommand {
    /// Build the export package (BagIt) of a copy request whose copy was made.
    Copy {
        /// The copy request id.
        request: String,
        /// New (or empty) directory to write the package into.
        #[arg(long)]
        out: PathBuf,
        /// Also write the package as an ISO 9660 + Joliet + Rock Ridge image (xorriso).
        #[arg(long)]
        iso: Option<PathBuf>,
        /// Split across discs of this medium (cd, dvd, dvd-dl, bd): several discs are written
        /// as IMAGE-1of3.iso … (each a complete package with the set's manifest), each with
        /// its label.
        #[arg(long, requires = "iso")]
        medium: Option<String>,
        /// Disc capacity in bytes instead of a medium's (for tests with tiny discs).
        #[arg(long, requires = "iso", conflicts_with = "medium", hide = true)]
        disc_bytes: Option<u64>,
        #[arg(long)]
        json: bool,
    },
    /// Build the package of records taken as evidence of a case (R2.9): no approval, but
    /// the builder must manage the case and see the records, each linked to the case; the
    /// case must not be archived.
    Evidence {
        /// The case id or number.
        case: String,
        /// Records to take (repeatable); none: every record of the case.
        #[arg(long = "record")]
        records: Vec<String>,
        /// 提取人 (who extracts the copy).
        #[arg(long)]
        extractor: String,
        /// 证明对象 (what the copy proves).
        #[arg(long)]
        proves: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        iso: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Build the package for the long-term preservation on disc (R3.7) of a case's records
    /// under a preservation hold in force, by a records keeper of the case's unit.
    Preservation {
        /// The case id or number.
        case: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        iso: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Build the archive transfer package (归档移交) of an archived case: the originals,
    /// DA/T 63-style metadata per record, the compliance report, the 四性 check report
    /// (DA/T 70) and the 移交接收检验登记表. Exit status 1 when a 四性 check fails (the
    /// package is written all the same; its report names what failed).
    Transfer {
        /// The case id or number.
        case: String,
        /// New (or empty) directory to write the package into.
        #[arg(long)]
        out: PathBuf,
        /// Also write the package as an ISO 9660 + Joliet + Rock Ridge image (xorriso).
        #[arg(long)]
        iso: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Burn a package's disc image and read the disc back: its bytes against the image, and
    /// every file re-hashed from the disc as a package. Success only when both hold.
    Burn {
        /// The disc image (from `export copy --iso`).
        image: PathBuf,
        /// The burner (`stdio:/path` writes to a file, for tests).
        #[arg(long, default_value = iso::DEFAULT_DEVICE)]
        device: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct VerifyPackageArgs {
    /// The package directory, or a disc image (.iso) of it.
    pub path: PathBuf,
    /// The bureau's published Ed25519 key id (16 hex); the package must carry that key.
    #[arg(long, requires = "sm2_key_id")]
    pub ed25519_key_id: Option<String>,
    /// The bureau's published SM2 key id (16 hex).
    #[arg(long, requires = "ed25519_key_id")]
    pub sm2_key_id: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub async fn run(custody: &Custody, cmd: ExportCommand, who: Who<'_>) -> anyhow::Result<ExitCode> {
    match cmd {
        ExportCommand::Burn {
            image,
            device,
            json,
        } => burn(&image, &device, json),
        ExportCommand::Evidence {
            case,
            records,
            extractor,
            proves,
            out,
            iso,
            json,
        } => {
            let records = records
                .iter()
                .map(|r| liuhen_domain::RecordId::parse(r))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let source = Source::Evidence {
                case,
                records,
                extractor,
                proves,
            };
            source_package(custody, who, &source, &out, iso.as_deref(), json).await
        }
        ExportCommand::Preservation {
            case,
            out,
            iso,
            json,
        } => {
            let source = Source::Preservation { case };
            source_package(custody, who, &source, &out, iso.as_deref(), json).await
        }
        ExportCommand::Transfer {
            case,
            out,
            iso: image,
            json,
        } => {
            // The records keeper building it: their rights and unit apply.
            let op = who
                .resolve(custody, TokenScope::Write, "export transfer")
                .await?;
            let report = custody
                .transfer_package(&op.principal, &op.user.display_name, &case, &out)
                .await?;
            if let Some(image) = &image {
                iso::make_image(&out, image, &iso::volume_label(&report.package))?;
            }
            if json {
                println!("{}", serde_json::json!({ "package": report, "iso": image }));
            } else {
                println!(
                    "归档移交包已生成 / transfer package written: {}\n  {} 条记录, {} 字节\n  manifest-sha256.txt SHA-256: {}",
                    out.display(),
                    report.records,
                    report.bytes,
                    report.manifest_sha256
                );
                for p in &report.checks.properties {
                    let mark = if p.ok { "合格" } else { "不合格" };
                    println!("  {}：{mark}", p.name);
                    for f in p.failures() {
                        println!("    {}：{}", f.subject, f.detail);
                    }
                }
                if let Some(image) = &image {
                    println!("  光盘映像 / disc image: {}", image.display());
                }
            }
            Ok(if report.checks.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        ExportCommand::Copy {
            request,
            out,
            iso: image,
            medium,
            disc_bytes,
            json,
        } => {
            // The records keeper building it: their rights and unit apply.
            let op = who
                .resolve(custody, TokenScope::Write, "export copy")
                .await?;
            let user = &op.user;
            let report = custody
                .export_package(&op.principal, &user.display_name, &request, &out)
                .await?;
            let capacity = match (&medium, disc_bytes) {
                (Some(code), _) => Some(split::medium(code)?.bytes),
                (None, bytes) => bytes,
            };
            let mut discs: Vec<(PathBuf, PathBuf)> = Vec::new();
            if let Some(image) = &image {
                let who = user.principal();
                let vol = iso::volume_label(&report.package);
                let parts = match capacity {
                    Some(capacity) => {
                        let dir = image.with_extension("discs");
                        split::split(&out, &dir, capacity)?
                    }
                    None => Vec::new(),
                };
                let targets: Vec<(PathBuf, PathBuf)> = if parts.len() > 1 {
                    let stem = image.file_stem().unwrap_or_default().to_string_lossy();
                    parts
                        .iter()
                        .map(|p| {
                            let name = format!("{stem}-{}of{}.iso", p.disc, p.discs);
                            (p.dir.clone(), image.with_file_name(name))
                        })
                        .collect()
                } else {
                    vec![(out.clone(), image.clone())]
                };
                let n = targets.len() as u32;
                for (i, (dir, iso_path)) in targets.into_iter().enumerate() {
                    iso::make_image(&dir, &iso_path, &vol)?;
                    if let Some(cap) = capacity {
                        let len = std::fs::metadata(&iso_path)?.len();
                        anyhow::ensure!(
                            len <= cap,
                            "{} 为 {len} 字节，超过光盘容量 {cap} 字节",
                            iso_path.display()
                        );
                    }
                    let pdf = custody
                        .disc_label_pdf(
                            &who,
                            &request,
                            &report.package,
                            &iso_path,
                            (i as u32 + 1, n),
                        )
                        .await?;
                    let label = iso_path.with_extension("label.pdf");
                    std::fs::write(&label, pdf)
                        .with_context(|| format!("writing {}", label.display()))?;
                    discs.push((iso_path, label));
                }
            }
            if json {
                let list: Vec<_> = discs
                    .iter()
                    .map(|(iso, label)| serde_json::json!({ "iso": iso, "label": label }))
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({
                        "package": report,
                        "iso": discs.first().map(|d| &d.0),
                        "label": discs.first().map(|d| &d.1),
                        "discs": list,
                    })
                );
            } else {
                println!(
                    "证据包已导出 / package exported: {}\n  {} 条记录, {} 个文件, {} 字节\n  manifest-sha256.txt SHA-256: {}",
                    out.display(),
                    report.records,
                    report.files,
                    report.bytes,
                    report.manifest_sha256
                );
                for (iso, label) in &discs {
                    println!("  光盘映像 / disc image: {}", iso.display());
                    println!("  光盘标签 / disc label: {}", label.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn source_package(
    custody: &Custody,
    who: Who<'_>,
    source: &Source,
    out: &Path,
    image: Option<&Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let op = who
        .resolve(custody, TokenScope::Write, "export package")
        .await?;
    let report = custody
        .export_source_package(&op.principal, &op.user.display_name, source, out)
        .await?;
    if let Some(image) = image {
        iso::make_image(out, image, &iso::volume_label(&report.package))?;
    }
    if json {
        println!("{}", serde_json::json!({ "package": report, "iso": image }));
    } else {
        println!(
            "证据包已导出 / package exported: {}\n  {} 条记录, {} 个文件, {} 字节\n  manifest-sha256.txt SHA-256: {}",
            out.display(),
            report.records,
            report.files,
            report.bytes,
            report.manifest_sha256
        );
        if let Some(image) = image {
            println!("  光盘映像 / disc image: {}", image.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn burn(image: &Path, device: &str, json: bool) -> anyhow::Result<ExitCode> {
    iso::burn(image, device)?;
    let scratch = tempfile::tempdir().context("a temporary directory for the read-back")?;
    let back = iso::read_back(image, device, &scratch.path().join("disc"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&back)?);
    } else {
        for p in &back.verdict.problems {
            println!("{p}");
        }
        if !back.image_matches {
            println!("光盘内容与映像不一致 / the disc differs from the image");
        }
        if back.ok() {
            println!(
                "刻录完成并已回读核验 / burnt and read back: image SHA-256 {}, {} files re-hashed from the disc",
                back.image_sha256, back.verdict.files_checked
            );
        } else {
            println!("回读核验未通过 / read-back failed");
        }
    }
    Ok(if back.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs `verify-package` (needs no data directory).
pub fn verify_package(a: &VerifyPackageArgs) -> anyhow::Result<ExitCode> {
    let extracted;
    let dir: &Path = if a.path.is_file() {
        extracted = tempfile::tempdir().context("a temporary directory for the image")?;
        iso::extract(&a.path, extracted.path())?;
        extracted.path()
    } else {
        &a.path
    };
    let trusted = a.ed25519_key_id.as_deref().zip(a.sm2_key_id.as_deref());
    let v = verify::verify_dir(dir, trusted);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for p in &v.problems {
            println!("{p}");
        }
        if v.ok {
            println!(
                "证据包完好 / package intact: {} files, {} log entries proven against the signed checkpoint",
                v.files_checked, v.entries_checked
            );
        } else {
            println!(
                "证据包有 {} 处问题 / {} problems",
                v.problems.len(),
                v.problems.len()
            );
        }
    }
    Ok(if v.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
