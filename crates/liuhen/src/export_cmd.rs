//! `liuhen export copy` (build the export package of a made copy, optionally as an ISO
//! image) and `liuhen verify-package DIR|IMAGE.iso` (check a package offline: no data
//! directory, no database, no network).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use liuhen_app::Custody;
use liuhen_app::package::{iso, verify};

#[derive(Subcommand)]
pub enum ExportCommand {
    /// Build the export package (BagIt) of a copy request whose copy was made.
    Copy {
        /// The copy request id.
        request: String,
        /// User name of the records keeper building it (their rights and unit apply).
        #[arg(long = "as")]
        username: String,
        /// New (or empty) directory to write the package into.
        #[arg(long)]
        out: PathBuf,
        /// Also write the package as an ISO 9660 + Joliet + Rock Ridge image (xorriso).
        #[arg(long)]
        iso: Option<PathBuf>,
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

pub async fn run(custody: &Custody, cmd: ExportCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ExportCommand::Copy {
            request,
            username,
            out,
            iso: image,
            json,
        } => {
            let user = custody
                .user_listing()
                .await?
                .into_iter()
                .find(|l| l.user.username == username)
                .with_context(|| format!("no user {username:?}"))?
                .user;
            let report = custody
                .export_package(&user.principal(), &user.display_name, &request, &out)
                .await?;
            let mut label = None;
            if let Some(image) = &image {
                iso::make_image(&out, image, &iso::volume_label(&report.package))?;
                let pdf = custody
                    .disc_label_pdf(&user.principal(), &request, &report.package, image)
                    .await?;
                let path = image.with_extension("label.pdf");
                std::fs::write(&path, pdf)
                    .with_context(|| format!("writing {}", path.display()))?;
                label = Some(path);
            }
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "package": report, "iso": image, "label": label })
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
                if let Some(image) = &image {
                    println!("  光盘映像 / disc image: {}", image.display());
                }
                if let Some(label) = &label {
                    println!("  光盘标签 / disc label: {}", label.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
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
