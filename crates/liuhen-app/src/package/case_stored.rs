//! A case's own packages built from the browser or the JSON API (issue 19): an evidence
//! submission, a long-term preservation, an archive transfer (`sources`, `transfer`), kept
//! under `<data dir>/packages/<package id>/` with their disc image like a copy's (`stored`),
//! listed on the case page from their log entries. Who may download a package's image is
//! who may build that kind of package for the case.

use std::path::PathBuf;

use liuhen_db::CaseRow;
use liuhen_domain::RecordId;
use liuhen_domain::authz::{Action, Principal, Target};
use serde::Serialize;

use super::sources::Source;
use crate::{AppError, Custody};

/// What kind of package to build for a case.
#[derive(Debug, Clone)]
pub enum CaseSource {
    /// Evidence of the case (R2.9): `records` (empty: every record of the case).
    Evidence {
        records: Vec<RecordId>,
        extractor: String,
        proves: String,
    },
    /// Long-term preservation of its held records (R3.7).
    Preservation,
    /// Archive transfer of the archived case (归档移交).
    Transfer,
}

impl CaseSource {
    /// The source's code, as in [`super::PackageLine::source`].
    pub fn code(&self) -> &'static str {
        match self {
            Self::Evidence { .. } => "evidence",
            Self::Preservation => "preservation",
            Self::Transfer => "transfer",
        }
    }
}

/// What building a case's package produced.
#[derive(Debug, Clone, Serialize)]
pub struct CasePackage {
    pub package: String,
    pub source: &'static str,
    pub case: String,
    pub records: usize,
    pub bytes: u64,
    pub manifest_sha256: String,
    /// Its disc image was made (downloadable).
    pub image: bool,
    /// Transfer only: every 四性 check passed.
    pub checks_ok: Option<bool>,
}

impl Custody {
    /// `who` keeps the records of `case`'s unit: the records keeper who builds a
    /// preservation or a transfer package (anyone else outside the unit finds nothing).
    pub(super) async fn authorize_case_keeper(
        &self,
        who: &Principal,
        case: &CaseRow,
    ) -> Result<(), AppError> {
        let subject = format!("case:{}", case.id);
        self.authorize(who, Action::HandleRequest, Target::System, Some(&subject))
            .await?;
        if who.unit.as_deref() != Some(case.agency.as_str()) {
            return Err(AppError::NotFound(format!("case {}", case.id)));
        }
        Ok(())
    }

    /// Builds the package `source` of case `case_id` on the server and its ISO image.
    pub async fn build_case_package(
        &self,
        who: &Principal,
        who_name: &str,
        case_id: &str,
        source: CaseSource,
    ) -> Result<CasePackage, AppError> {
        let staging = self.staging_dir();
        let bag = staging.join("bag");
        let code = source.code();
        let built = match source {
            CaseSource::Transfer => self
                .transfer_package(who, who_name, case_id, &bag)
                .await
                .map(|r| {
                    let ok = Some(r.checks.ok);
                    (r.package, r.case, r.records, r.bytes, r.manifest_sha256, ok)
                }),
            other => {
                let case = case_id.to_owned();
                let source = match other {
                    CaseSource::Evidence {
                        records,
                        extractor,
                        proves,
                    } => Source::Evidence {
                        case,
                        records,
                        extractor,
                        proves,
                    },
                    _ => Source::Preservation { case },
                };
                let case = self.case(case_id).await?.id;
                self.export_source_package(who, who_name, &source, &bag)
                    .await
                    .map(|r| (r.package, case, r.records, r.bytes, r.manifest_sha256, None))
            }
        };
        let (package, case, records, bytes, manifest_sha256, checks_ok) =
            built.inspect_err(|_| drop(std::fs::remove_dir_all(&staging)))?;
        self.keep_staged(&staging, &package).await?;
        let image = self.image_path(&package).is_file();
        Ok(CasePackage {
            package,
            source: code,
            case,
            records,
            bytes,
            manifest_sha256,
            image,
            checks_ok,
        })
    }

    fn image_path(&self, package: &str) -> PathBuf {
        self.package_dir(package).join(format!("{package}.iso"))
    }

    /// The packages of case `case_id` for `who`, who may view the case.
    pub async fn case_packages_for(
        &self,
        who: &Principal,
        case_id: &str,
    ) -> Result<Vec<super::PackageLine>, AppError> {
        let case = self.case(case_id).await?;
        self.authorize_case(who, Action::ViewCase, &case).await?;
        self.case_packages(&case.id).await
    }

    /// The disc image of the case's own package `package`, for who may build that kind
    /// (evidence: who manages the case; preservation and transfer: a keeper of its unit).
    pub async fn case_package_image(
        &self,
        who: &Principal,
        case_id: &str,
        package: &str,
    ) -> Result<PathBuf, AppError> {
        let case = self.case(case_id).await?;
        let line = self
            .case_packages(&case.id)
            .await?
            .into_iter()
            .find(|p| p.package == package && p.source != "copy" && p.image)
            .ok_or_else(|| AppError::NotFound(format!("package {package}")))?;
        if line.source == "evidence" {
            self.authorize_case(who, Action::ManageCase, &case).await?;
        } else {
            self.authorize_case_keeper(who, &case).await?;
        }
        Ok(self.image_path(package))
    }
}
