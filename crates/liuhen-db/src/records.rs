//! Record rows. A row's snapshot (canonical JSON of every column but `entry_seq`) is
//! carried by the audit entry that produced it, and its hash binds row and log together.

use jiff::Timestamp;
use liuhen_domain::{
    Classification, MediaKind, Record, RecordId, Sha256Digest, Sm3Digest, TechnicalMetadata,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{InTx, QueryContext};
use crate::{Db, DbError, Tx};

pub(crate) const COLUMNS: &str = "id, sha256, sm3, size_bytes, kind, original_name, container, video_codec, \
    audio_codec, width, height, duration_ms, capture_start_ms, capture_end_ms, device_make, \
    device_model, device_serial, prober, probe_error, agency, device, officer, case_name, party, \
    record_date, stored_at_ms, returned_at_ms, lateness_ms, late, retain_until_ms, officer_id, source, entry_seq, camera_operator";

/// A record as the log carries it (`details.record` of `record.ingested`,
/// `record.metadata_changed`, `record.retention_extended`, …): every column of the row
/// except `entry_seq`, keyed by column name. One struct for the writers and for `verify`,
/// which compares a row against the snapshot of its latest entry field by field; the API
/// and CLI have their own views. `officer_id`, `source` and `camera_operator` are there only
/// when set: snapshots logged before they existed stay the snapshots of their rows while
/// the row has none. The serialized form is pinned (`record_snapshot_is_pinned`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordSnapshot {
    pub id: String,
    pub sha256: String,
    pub sm3: String,
    pub size_bytes: u64,
    pub kind: String,
    pub original_name: String,
    pub container: Option<String>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
    pub capture_start_ms: Option<i64>,
    pub capture_end_ms: Option<i64>,
    pub device_make: Option<String>,
    pub device_model: Option<String>,
    pub device_serial: Option<String>,
    pub prober: String,
    pub probe_error: Option<String>,
    pub agency: Option<String>,
    pub device: Option<String>,
    pub officer: Option<String>,
    pub case_name: Option<String>,
    pub party: Option<String>,
    pub record_date: Option<String>,
    pub stored_at_ms: i64,
    pub returned_at_ms: Option<i64>,
    pub lateness_ms: Option<i64>,
    pub late: bool,
    pub retain_until_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub officer_id: Option<String>,
    /// Likewise `camera_operator` (issue 19): absent from snapshots of rows without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_operator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl RecordSnapshot {
    pub fn of(r: &Record) -> Self {
        let m = &r.media;
        let c = &r.classification;
        let ms = |t: Option<Timestamp>| t.map(|t| t.as_millisecond());
        Self {
            id: r.id.as_str().to_owned(),
            sha256: r.sha256.to_hex(),
            sm3: r.sm3.to_hex(),
            size_bytes: r.size_bytes,
            kind: r.kind.as_str().to_owned(),
            original_name: r.original_name.clone(),
            container: m.container.clone(),
            video_codec: m.video_codec.clone(),
            audio_codec: m.audio_codec.clone(),
            width: m.width,
            height: m.height,
            duration_ms: m.duration_ms,
            capture_start_ms: ms(m.capture_start),
            capture_end_ms: ms(m.capture_end),
            device_make: m.device_make.clone(),
            device_model: m.device_model.clone(),
            device_serial: m.device_serial.clone(),
            prober: m.prober.clone(),
            probe_error: m.probe_error.clone(),
            agency: c.agency.clone(),
            device: c.device.clone(),
            officer: c.officer.clone(),
            case_name: c.case_name.clone(),
            party: c.party.clone(),
            record_date: r.record_date.map(|d| d.to_string()),
            stored_at_ms: r.stored_at.as_millisecond(),
            returned_at_ms: ms(r.returned_at),
            lateness_ms: r.lateness_ms,
            late: r.late,
            retain_until_ms: r.retain_until.as_millisecond(),
            officer_id: r.officer_id.clone(),
            camera_operator: c.camera_operator.clone(),
            source: r.source.map(|s| s.code().to_owned()),
        }
    }
}

/// The record's snapshot as a JSON value (keys sorted), as entries carry it.
pub fn record_snapshot(r: &Record) -> Value {
    serde_json::to_value(RecordSnapshot::of(r)).expect("a record snapshot serializes")
}

pub fn record_row_hash(r: &Record) -> String {
    hex::encode(Sha256::digest(record_snapshot(r).to_string().as_bytes()))
}

fn ts(ms: i64, what: &str) -> Result<Timestamp, DbError> {
    Timestamp::from_millisecond(ms).map_err(|e| DbError::Corrupt {
        what: what.to_owned(),
        detail: e.to_string(),
    })
}

fn opt_ts(ms: Option<i64>, what: &str) -> Result<Option<Timestamp>, DbError> {
    ms.map(|ms| ts(ms, what)).transpose()
}

fn corrupt(id: &str, detail: impl std::fmt::Display) -> DbError {
    DbError::Corrupt {
        what: format!("record {id}"),
        detail: detail.to_string(),
    }
}

/// Decodes a row into the record and the sequence number of the entry bound to it.
pub(crate) fn decode(row: &AnyRow) -> Result<(Record, u64), DbError> {
    let get_s = |c: &str| row.try_get::<Option<String>, _>(c).ctx("decoding a record");
    let get_i = |c: &str| row.try_get::<Option<i64>, _>(c).ctx("decoding a record");
    let id: String = row.try_get("id").ctx("decoding a record")?;
    let req_s = |c: &str| -> Result<String, DbError> {
        get_s(c)?.ok_or_else(|| corrupt(&id, format!("{c} is empty")))
    };
    let req_i = |c: &str| -> Result<i64, DbError> {
        get_i(c)?.ok_or_else(|| corrupt(&id, format!("{c} is empty")))
    };
    let record = Record {
        id: RecordId::parse(&id).map_err(|e| corrupt(&id, e))?,
        sha256: req_s("sha256")?
            .parse::<Sha256Digest>()
            .map_err(|e| corrupt(&id, e))?,
        sm3: req_s("sm3")?
            .parse::<Sm3Digest>()
            .map_err(|e| corrupt(&id, e))?,
        size_bytes: req_i("size_bytes")? as u64,
        kind: req_s("kind")?
            .parse::<MediaKind>()
            .map_err(|e| corrupt(&id, e))?,
        original_name: req_s("original_name")?,
        media: TechnicalMetadata {
            container: get_s("container")?,
            video_codec: get_s("video_codec")?,
            audio_codec: get_s("audio_codec")?,
            width: get_i("width")?.map(|v| v as u32),
            height: get_i("height")?.map(|v| v as u32),
            duration_ms: get_i("duration_ms")?.map(|v| v as u64),
            capture_start: opt_ts(get_i("capture_start_ms")?, "capture start")?,
            capture_end: opt_ts(get_i("capture_end_ms")?, "capture end")?,
            device_make: get_s("device_make")?,
            device_model: get_s("device_model")?,
            device_serial: get_s("device_serial")?,
            prober: req_s("prober")?,
            probe_error: get_s("probe_error")?,
        },
        classification: Classification {
            agency: get_s("agency")?,
            device: get_s("device")?,
            officer: get_s("officer")?,
            case_name: get_s("case_name")?,
            party: get_s("party")?,
            camera_operator: get_s("camera_operator")?,
        },
        record_date: get_s("record_date")?
            .map(|d| d.parse::<jiff::civil::Date>())
            .transpose()
            .map_err(|e| corrupt(&id, e))?,
        stored_at: ts(req_i("stored_at_ms")?, "storage time")?,
        returned_at: opt_ts(get_i("returned_at_ms")?, "return time")?,
        lateness_ms: get_i("lateness_ms")?,
        late: req_i("late")? != 0,
        retain_until: ts(req_i("retain_until_ms")?, "retain-until")?,
        officer_id: get_s("officer_id")?,
        source: get_s("source")?
            .map(|s| s.parse::<liuhen_domain::case::RecordingSource>())
            .transpose()
            .map_err(|e| corrupt(&id, e))?,
    };
    let seq = req_i("entry_seq")? as u64;
    Ok((record, seq))
}

impl Tx {
    /// Inserts a new record row bound to the audit entry `entry_seq` that carries its snapshot.
    pub async fn insert_record(&mut self, r: &Record, entry_seq: u64) -> Result<(), DbError> {
        let sql = format!(
            "INSERT INTO records ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, \
             $27, $28, $29, $30, $31, $32, $33, $34)"
        );
        bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), r, entry_seq)
            .execute(self.conn())
            .await
            .in_tx(&self.health, "inserting a record")?;
        Ok(())
    }

    /// Replaces every column of an existing record (a metadata change), rebinding it.
    pub async fn update_record(&mut self, r: &Record, entry_seq: u64) -> Result<(), DbError> {
        let sets: Vec<String> = COLUMNS
            .split(", ")
            .enumerate()
            .skip(1)
            .map(|(i, c)| format!("{} = ${}", c.trim(), i + 1))
            .collect();
        let sql = format!("UPDATE records SET {} WHERE id = $1", sets.join(", "));
        bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), r, entry_seq)
            .execute(self.conn())
            .await
            .in_tx(&self.health, "updating a record")?;
        Ok(())
    }

    pub async fn record_by_sha256(
        &mut self,
        sha: &Sha256Digest,
    ) -> Result<Option<Record>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM records WHERE sha256 = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(sha.to_hex())
            .fetch_optional(self.conn())
            .await
            .in_tx(&self.health, "finding a record by digest")?;
        row.as_ref()
            .map(decode)
            .transpose()
            .map(|r| r.map(|(r, _)| r))
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

fn bind_all<'q>(q: AnyQuery<'q>, r: &Record, entry_seq: u64) -> AnyQuery<'q> {
    let m = &r.media;
    let c = &r.classification;
    let ms = |t: Option<Timestamp>| t.map(|t| t.as_millisecond());
    q.bind(r.id.as_str().to_owned())
        .bind(r.sha256.to_hex())
        .bind(r.sm3.to_hex())
        .bind(r.size_bytes as i64)
        .bind(r.kind.as_str())
        .bind(r.original_name.clone())
        .bind(m.container.clone())
        .bind(m.video_codec.clone())
        .bind(m.audio_codec.clone())
        .bind(m.width.map(i64::from))
        .bind(m.height.map(i64::from))
        .bind(m.duration_ms.map(|v| v as i64))
        .bind(ms(m.capture_start))
        .bind(ms(m.capture_end))
        .bind(m.device_make.clone())
        .bind(m.device_model.clone())
        .bind(m.device_serial.clone())
        .bind(m.prober.clone())
        .bind(m.probe_error.clone())
        .bind(c.agency.clone())
        .bind(c.device.clone())
        .bind(c.officer.clone())
        .bind(c.case_name.clone())
        .bind(c.party.clone())
        .bind(r.record_date.map(|d| d.to_string()))
        .bind(r.stored_at.as_millisecond())
        .bind(ms(r.returned_at))
        .bind(r.lateness_ms)
        .bind(i64::from(r.late))
        .bind(r.retain_until.as_millisecond())
        .bind(r.officer_id.clone())
        .bind(r.source.map(|s| s.code().to_owned()))
        .bind(entry_seq as i64)
        .bind(c.camera_operator.clone())
}

impl Db {
    pub async fn record(&self, id: &RecordId) -> Result<Option<(Record, u64)>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM records WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_str())
            .fetch_optional(self.pool())
            .await
            .ctx("reading a record")?;
        row.as_ref().map(decode).transpose()
    }

    /// Ids of the records of an agency whose record date (the bureau's local calendar,
    /// `YYYY-MM-DD`) lies in `[from, to]`, in id order: a draw's population.
    pub async fn record_ids_of_agency(
        &self,
        agency: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<String>, DbError> {
        let rows = sqlx::query(
            "SELECT id FROM records WHERE agency = $1 AND record_date >= $2 AND record_date <= $3 ORDER BY id",
        )
        .bind(agency)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await
        .ctx("listing an agency's records")?;
        rows.iter()
            .map(|row| row.try_get::<String, _>("id"))
            .collect::<Result<_, _>>()
            .ctx("listing an agency's records")
    }

    /// Records after `after` in id order, with the sequence number bound to each.
    /// A row that does not decode is returned as its id and the error.
    pub async fn records_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, Result<(Record, u64), DbError>)>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM records WHERE id > $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after.unwrap_or(""))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await
            .ctx("listing records")?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id").ctx("listing records")?;
                Ok((id, decode(row)))
            })
            .collect()
    }

    pub async fn record_count(&self) -> Result<u64, DbError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM records")
            .fetch_one(self.pool())
            .await
            .ctx("counting records")?;
        Ok(row.try_get::<i64, _>("n").ctx("counting records")? as u64)
    }
}
