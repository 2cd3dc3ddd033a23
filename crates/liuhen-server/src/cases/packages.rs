//! A case's own export packages (issue 19): an evidence submission (R2.9), a long-term
//! preservation (R3.7), an archive transfer (归档移交), built from the case page or the JSON
//! API, listed on the case page, their disc image downloaded. Handlers only parse: each
//! use case authorizes itself (`liuhen_app::package::case_stored`).
//!
//! - `POST /cases/{id}/packages` (form), `GET /cases/{id}/packages/{package}` (ISO)
//! - `GET|POST /api/v1/cases/{id}/packages`, `GET /api/v1/cases/{id}/packages/{package}/image`

use axum::Json;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use liuhen_app::AppError;
use liuhen_app::package::PackageLine;
use liuhen_app::package::case_stored::{CasePackage, CaseSource};
use liuhen_domain::RecordId;
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::Body;
use super::forms::{Pairs, names};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::{ApiError, AppState};

/// `POST /api/v1/cases/{id}/packages`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiBuild {
    /// `evidence`, `preservation` or `transfer`.
    source: String,
    /// Evidence: the records to take (none: every record of the case).
    #[serde(default)]
    records: Vec<String>,
    /// Evidence: 提取人.
    #[serde(default)]
    extractor: String,
    /// Evidence: 证明对象.
    #[serde(default)]
    proves: String,
}

fn source(
    code: &str,
    records: &[String],
    extractor: String,
    proves: String,
) -> Result<CaseSource, AppError> {
    Ok(match code {
        "evidence" => CaseSource::Evidence {
            records: records
                .iter()
                .map(|r| RecordId::parse(r.trim()))
                .collect::<Result<_, _>>()
                .map_err(|e| AppError::Invalid(e.to_string()))?,
            extractor,
            proves,
        },
        "preservation" => CaseSource::Preservation,
        "transfer" => CaseSource::Transfer,
        other => {
            return Err(AppError::Invalid(format!(
                "未知的导出来源 {other}（evidence、preservation 或 transfer）"
            )));
        }
    })
}

fn built_json(p: &CasePackage) -> Value {
    json!({
        "package": p.package,
        "source": p.source,
        "case": p.case,
        "records": p.records,
        "bytes": p.bytes,
        "manifest_sha256": p.manifest_sha256,
        "image": p.image,
        "checks_ok": p.checks_ok,
    })
}

fn line_json(p: &PackageLine) -> Value {
    json!({
        "package": p.package,
        "source": p.source,
        "request": (!p.request.is_empty()).then_some(&p.request),
        "case": p.case,
        "maker": p.maker,
        "at_ms": p.at_ms,
        "records": p.records,
        "manifest_sha256": p.manifest_sha256,
        "image": p.image,
    })
}

/// Builds a package of the case from its page (the form's `source`, and for evidence
/// `extractor`, `proves` and optional `records`, separated by spaces or commas).
pub async fn build(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<String>,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let p = Pairs(p);
    let result = async {
        let src = source(
            &p.get("source"),
            &names(&p.get("records")),
            p.get("extractor"),
            p.get("proves"),
        )?;
        s.custody
            .build_case_package(&user.principal, &user.display_name, &id, src)
            .await
            .map(drop)
    }
    .await;
    super::page::finish(&s, t, &user, &id, result, "package", "#packages").await
}

/// The disc image of a case's package.
pub async fn image(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
    Path((id, package)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let path = s
        .custody
        .case_package_image(&user.principal, &id, &package)
        .await
        .map_err(|e| PageError::new(e, t))?;
    crate::access_pages::iso_response(&path, &package).map_err(|e| PageError::new(e, t))
}

/// `POST /api/v1/cases/{id}/packages`: builds one (201 with what was built).
pub async fn api_build(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(b): Body<ApiBuild>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let src = source(&b.source, &b.records, b.extractor, b.proves)?;
    let built = s
        .custody
        .build_case_package(&user.principal, &user.display_name, &id, src)
        .await?;
    Ok((StatusCode::CREATED, Json(built_json(&built))))
}

/// `GET /api/v1/cases/{id}/packages`: the case's packages (its copies' and its own).
pub async fn api_list(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let lines = s.custody.case_packages_for(&user.principal, &id).await?;
    let list: Vec<Value> = lines.iter().map(line_json).collect();
    Ok(Json(json!({ "packages": list })))
}

/// `GET /api/v1/cases/{id}/packages/{package}/image`: the ISO image.
pub async fn api_image(
    State(s): State<AppState>,
    user: CurrentUser,
    Path((id, package)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let path = s
        .custody
        .case_package_image(&user.principal, &id, &package)
        .await?;
    Ok(crate::access_pages::iso_response(&path, &package)?)
}
