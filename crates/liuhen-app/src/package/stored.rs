//! Packages built from the browser: kept under `<data dir>/packages/<package id>/` (the bag
//! in `bag/`, its disc image beside it) for download, and listed from the log
//! (`package.exported` on the request's and the case's pages; the case's own packages —
//! evidence, preservation, transfer, `case_stored` — on the case page).

use std::path::{Path, PathBuf};

use liuhen_domain::authz::{Action, Principal};
use serde::Serialize;

use super::{ExportReport, iso};
use crate::{AppError, Custody};

/// One package as the log tells it.
#[derive(Debug, Clone, Serialize)]
pub struct PackageLine {
    pub package: String,
    /// `copy`, `evidence`, `preservation` or `transfer`.
    pub source: &'static str,
    /// Its human number (文号); none for packages built before numbers.
    pub number: Option<String>,
    /// The copy request (empty for the case's own packages).
    pub request: String,
    /// The request's human number, as logged with the package.
    pub request_number: Option<String>,
    /// The case (empty for a copy request without one).
    pub case: String,
    pub maker: String,
    pub at_ms: i64,
    pub records: usize,
    /// The records' ids, as logged.
    pub record_ids: Vec<String>,
    pub manifest_sha256: String,
    /// Its disc image is kept on the server (built from the browser).
    pub image: bool,
}

/// The log entries that record a package, with the package's source.
const SOURCES: [(&str, &str); 4] = [
    ("package.exported", "copy"),
    ("package.evidence_exported", "evidence"),
    ("package.preservation_exported", "preservation"),
    ("package.transferred", "transfer"),
];

impl Custody {
    pub(super) fn package_dir(&self, package: &str) -> PathBuf {
        self.data_dir.join("packages").join(package)
    }

    /// A new staging directory under `<data dir>/packages/` to build a package in (its
    /// bag in `bag/`).
    pub(super) fn staging_dir(&self) -> PathBuf {
        self.data_dir
            .join("packages")
            .join(format!("building-{}", uuid::Uuid::now_v7()))
    }

    /// Keeps the package built in `staging` as `<data dir>/packages/<package>/` and makes
    /// its ISO image (xorriso); the package stays even if the image cannot be made (it is
    /// then not offered for download). The kept bag's directory.
    pub(super) async fn keep_staged(
        &self,
        staging: &Path,
        package: &str,
    ) -> Result<PathBuf, AppError> {
        let dir = self.package_dir(package);
        std::fs::rename(staging, &dir).map_err(|e| AppError::io(&dir, e))?;
        let bag = dir.join("bag");
        let image = dir.join(format!("{package}.iso"));
        let label = iso::volume_label(package);
        let source = bag.clone();
        let made =
            tokio::task::spawn_blocking(move || iso::make_image(&source, &image, &label)).await?;
        if let Err(e) = made {
            tracing::warn!(package, error = %crate::error_chain(&e), "no disc image");
        }
        Ok(bag)
    }

    /// Builds the package of a made copy on the server and its ISO image (xorriso).
    pub async fn export_package_stored(
        &self,
        who: &Principal,
        who_name: &str,
        request_id: &str,
    ) -> Result<ExportReport, AppError> {
        let staging = self.staging_dir();
        let built = self
            .export_package(who, who_name, request_id, &staging.join("bag"))
            .await;
        let mut report = built.inspect_err(|_| drop(std::fs::remove_dir_all(&staging)))?;
        report.dir = self.keep_staged(&staging, &report.package).await?;
        Ok(report)
    }

    fn lines(&self, entries: Vec<liuhen_db::AuditEntry>) -> Vec<PackageLine> {
        entries
            .into_iter()
            .filter_map(|e| {
                let source = SOURCES.iter().find(|(a, _)| *a == e.action)?.1;
                let b: serde_json::Value = serde_json::from_str(&e.body).ok()?;
                let d = &b["details"];
                let package = d["package"].as_str()?.to_owned();
                let image = self
                    .package_dir(&package)
                    .join(format!("{package}.iso"))
                    .is_file();
                let text = |k: &str| d[k].as_str().map(str::to_owned);
                Some(PackageLine {
                    source,
                    number: text("number"),
                    request: d["request"].as_str().unwrap_or_default().to_owned(),
                    request_number: text("request_number"),
                    case: d["case"].as_str().unwrap_or_default().to_owned(),
                    maker: d["maker"].as_str().unwrap_or_default().to_owned(),
                    at_ms: e.at_ms,
                    records: d["records"].as_array().map_or(0, Vec::len),
                    record_ids: d["records"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|r| r.as_str().map(str::to_owned))
                        .collect(),
                    manifest_sha256: d["manifest_sha256"].as_str().unwrap_or_default().to_owned(),
                    image,
                    package,
                })
            })
            .collect()
    }

    /// The packages built for a request, oldest first.
    pub async fn request_packages(&self, request_id: &str) -> Result<Vec<PackageLine>, AppError> {
        let entries = self
            .db
            .entries_for(&format!("request:{request_id}"))
            .await?;
        Ok(self.lines(entries))
    }

    /// The packages of a case — its requests' copies and its own (evidence, preservation,
    /// transfer) — oldest first (for the case page; the caller has authorized viewing the
    /// case).
    pub async fn case_packages(&self, case_id: &str) -> Result<Vec<PackageLine>, AppError> {
        let size = self.db.log_size().await?;
        let entries = self
            .db
            .entries_with_actions(None, size, &["package.exported"], 10_000)
            .await?;
        let mut of_case: Vec<_> = entries
            .into_iter()
            .filter(|e| {
                serde_json::from_str::<serde_json::Value>(&e.body)
                    .is_ok_and(|b| b["details"]["case"].as_str() == Some(case_id))
            })
            .collect();
        of_case.extend(self.db.entries_for(&format!("case:{case_id}")).await?);
        of_case.sort_by_key(|e| e.seq);
        Ok(self.lines(of_case))
    }

    /// The disc image of a package of request `request_id`, for a keeper of its unit.
    pub async fn package_image(
        &self,
        who: &Principal,
        request_id: &str,
        package: &str,
    ) -> Result<PathBuf, AppError> {
        self.unit_request(who, Action::HandleRequest, request_id)
            .await?;
        let known = self
            .request_packages(request_id)
            .await?
            .into_iter()
            .any(|p| p.package == package && p.image);
        if !known {
            return Err(AppError::NotFound(format!("package {package}")));
        }
        Ok(self.package_dir(package).join(format!("{package}.iso")))
    }
}
