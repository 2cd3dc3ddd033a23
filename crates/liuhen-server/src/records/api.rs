//! `GET /api/v1/records` and `GET /api/v1/records/{id}`: the same search and the same
//! authorization as the pages, as JSON. These types are the wire format.

use axum::Json;
use axum::extract::{Path, Query, State};
use liuhen_app::search::{Channel, RecordView, SearchResult, TrailEntry};
use liuhen_domain::Record;
use serde::Serialize;

use super::{Params, parse_id};
use crate::auth::CurrentUser;
use crate::{ApiError, AppState};

#[derive(Serialize)]
pub struct ApiMedia {
    container: Option<String>,
    video_codec: Option<String>,
    audio_codec: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    duration_ms: Option<u64>,
    capture_start: Option<String>,
    capture_end: Option<String>,
    device_make: Option<String>,
    device_model: Option<String>,
    device_serial: Option<String>,
    prober: String,
    probe_error: Option<String>,
}

#[derive(Serialize)]
pub struct ApiRecord {
    id: String,
    kind: &'static str,
    original_name: String,
    size_bytes: u64,
    sha256: String,
    sm3: String,
    agency: Option<String>,
    device: Option<String>,
    officer: Option<String>,
    case_name: Option<String>,
    party: Option<String>,
    camera_operator: Option<String>,
    record_date: Option<String>,
    stored_at: String,
    returned_at: Option<String>,
    lateness_ms: Option<i64>,
    late: bool,
    retain_until: String,
    /// The declared recording source (R2.1), when one was declared at upload or ingest.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'static str>,
    media: ApiMedia,
}

impl From<&Record> for ApiRecord {
    fn from(r: &Record) -> Self {
        let c = &r.classification;
        let m = &r.media;
        let ts = |t: Option<jiff::Timestamp>| t.map(|t| t.to_string());
        Self {
            id: r.id.to_string(),
            kind: r.kind.as_str(),
            original_name: r.original_name.clone(),
            size_bytes: r.size_bytes,
            sha256: r.sha256.to_hex(),
            sm3: r.sm3.to_hex(),
            agency: c.agency.clone(),
            device: c.device.clone(),
            officer: c.officer.clone(),
            case_name: c.case_name.clone(),
            party: c.party.clone(),
            camera_operator: c.camera_operator.clone(),
            record_date: r.record_date.map(|d| d.to_string()),
            stored_at: r.stored_at.to_string(),
            returned_at: ts(r.returned_at),
            lateness_ms: r.lateness_ms,
            late: r.late,
            retain_until: r.retain_until.to_string(),
            source: r.source.map(|s| s.code()),
            media: ApiMedia {
                container: m.container.clone(),
                video_codec: m.video_codec.clone(),
                audio_codec: m.audio_codec.clone(),
                width: m.width,
                height: m.height,
                duration_ms: m.duration_ms,
                capture_start: ts(m.capture_start),
                capture_end: ts(m.capture_end),
                device_make: m.device_make.clone(),
                device_model: m.device_model.clone(),
                device_serial: m.device_serial.clone(),
                prober: m.prober.clone(),
                probe_error: m.probe_error.clone(),
            },
        }
    }
}

#[derive(Serialize)]
pub struct ApiPage {
    records: Vec<ApiRecord>,
    total: u64,
    /// `total` is a lower bound: more records match than are counted.
    total_capped: bool,
    page: u32,
    page_size: u32,
    pages: u32,
}

impl From<&SearchResult> for ApiPage {
    fn from(r: &SearchResult) -> Self {
        Self {
            records: r.records.iter().map(ApiRecord::from).collect(),
            total: r.total,
            total_capped: r.total_capped,
            page: r.page,
            page_size: r.page_size,
            pages: r.pages,
        }
    }
}

#[derive(Serialize)]
pub struct ApiTrailEntry {
    seq: u64,
    at: String,
    actor: String,
    actor_name: Option<String>,
    action: String,
    label: Option<&'static str>,
    reason: Option<String>,
}

impl From<&TrailEntry> for ApiTrailEntry {
    fn from(e: &TrailEntry) -> Self {
        Self {
            seq: e.seq,
            at: e.at.to_string(),
            actor: e.actor_id.clone(),
            actor_name: e.actor_name.clone(),
            action: e.action_code.clone(),
            label: e.action.map(|a| a.label_zh()),
            reason: e.reason.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct ApiRecordView {
    record: ApiRecord,
    trail: Vec<ApiTrailEntry>,
    can_edit: bool,
}

impl From<&RecordView> for ApiRecordView {
    fn from(v: &RecordView) -> Self {
        Self {
            record: ApiRecord::from(&v.record),
            trail: v.trail.iter().map(ApiTrailEntry::from).collect(),
            can_edit: v.can_edit,
        }
    }
}

pub async fn list(
    State(s): State<AppState>,
    user: CurrentUser,
    Query(params): Query<Params>,
) -> Result<Json<ApiPage>, ApiError> {
    let req = params.request()?;
    let found = s.custody.search_records(&user.principal, &req).await?;
    Ok(Json(ApiPage::from(&found)))
}

pub async fn show(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ApiRecordView>, ApiError> {
    let id = parse_id(&id)?;
    let view = s
        .custody
        .view_record(&user.principal, &id, Channel::Api)
        .await?;
    Ok(Json(ApiRecordView::from(&view)))
}
