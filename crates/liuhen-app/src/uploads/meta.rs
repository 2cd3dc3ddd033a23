//! An upload's metadata (the future record's classification, validated) and what a
//! client learns about an upload.

use super::*;

/// Validated metadata of an upload (classification of the future record).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadMeta {
    pub filename: String,
    pub officer: Option<String>,
    pub agency: Option<String>,
    pub device: Option<String>,
    pub case_name: Option<String>,
    pub party: Option<String>,
    /// Declared return from out-of-town work (ms since the epoch).
    pub returned_at_ms: Option<i64>,
    /// The officer's account, checked when the upload was created (never from the
    /// client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub officer_id: Option<String>,
    /// 摄录人员 (issue 19).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_operator: Option<String>,
    /// The officer's police number (警号), mapped to an account when the upload is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub police: Option<String>,
    /// The recording's source (`RecordingSource` code) when declared (R2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

const MAX_FIELD_CHARS: usize = 200;

impl UploadMeta {
    /// Checks decoded `Upload-Metadata` pairs. `returned_at` is RFC 3339 or a local
    /// `YYYY-MM-DDTHH:MM[:SS]` in the bureau's time zone (what `<input type=datetime-local>` sends).
    pub fn from_pairs(
        pairs: &[(String, String)],
        tz: &jiff::tz::TimeZone,
    ) -> Result<UploadMeta, UploadError> {
        let bad = |m: String| UploadError::BadMetadata(m);
        let mut meta = UploadMeta::default();
        let mut seen = std::collections::HashSet::new();
        for (key, value) in pairs {
            if !seen.insert(key.as_str()) {
                return Err(bad(format!("元数据项“{key}”重复")));
            }
            let value = value.trim();
            if value.chars().any(char::is_control) {
                return Err(bad(format!("元数据项“{key}”含有控制字符")));
            }
            let text = |label: &str| -> Result<Option<String>, UploadError> {
                if value.chars().count() > MAX_FIELD_CHARS {
                    return Err(bad(format!("{label}过长（最多 {MAX_FIELD_CHARS} 个字符）")));
                }
                Ok((!value.is_empty()).then(|| value.to_owned()))
            };
            match key.as_str() {
                "filename" => {
                    if value.is_empty() || value.contains(['/', '\\']) || value.len() > 255 {
                        return Err(bad(
                            "文件名无效（不能为空、不能含路径、最长 255 字节）".into()
                        ));
                    }
                    meta.filename = value.to_owned();
                }
                "officer" => meta.officer = text("执法人员")?,
                "agency" => meta.agency = text("执法机构")?,
                "police" | "police_number" => {
                    meta.police = crate::police::parse_police_number(value)
                        .map_err(|_| bad(format!("警号“{value}”格式不正确（字母和数字）")))?;
                }
                "device" => meta.device = text("执法记录设备")?,
                "case_name" => meta.case_name = text("案件名称")?,
                "party" => meta.party = text("当事人")?,
                "camera_operator" => meta.camera_operator = text("摄录人员")?,
                "source" if value.is_empty() => {}
                "source" => {
                    let source = value
                        .parse::<liuhen_domain::case::RecordingSource>()
                        .map_err(|e| bad(format!("记录来源无效：{e}")))?;
                    meta.source = Some(source.code().to_owned());
                }
                "returned_at" if value.is_empty() => {}
                "returned_at" => {
                    let ts = value.parse::<Timestamp>().ok().or_else(|| {
                        value
                            .parse::<jiff::civil::DateTime>()
                            .ok()
                            .and_then(|dt| tz.to_timestamp(dt).ok())
                    });
                    let Some(ts) = ts else {
                        return Err(bad(format!(
                            "返回时间“{value}”格式不正确，应为 2024-05-01T18:30 形式"
                        )));
                    };
                    meta.returned_at_ms = Some(ts.as_millisecond());
                }
                // Sent by common tus clients; the content decides the type here.
                "filetype" | "type" | "name" => {}
                other => return Err(bad(format!("不支持的元数据项“{other}”"))),
            }
        }
        if meta.filename.is_empty() {
            return Err(bad("缺少文件名（元数据项 filename）".into()));
        }
        Ok(meta)
    }

    pub(super) fn options(&self, actor: &str) -> IngestOptions {
        IngestOptions {
            actor: actor.to_owned(),
            classification: Classification {
                agency: self.agency.clone(),
                device: self.device.clone(),
                officer: self.officer.clone(),
                case_name: self.case_name.clone(),
                party: self.party.clone(),
                camera_operator: self.camera_operator.clone(),
            },
            returned_at: self
                .returned_at_ms
                .and_then(|ms| Timestamp::from_millisecond(ms).ok()),
            clear_source: false,
            officer_id: self.officer_id.clone(),
            source: self.source.as_deref().and_then(|s| s.parse().ok()),
        }
    }
}

/// What a client learns about an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadInfo {
    pub id: String,
    pub length: u64,
    pub offset: u64,
    pub state: UploadState,
    pub record_id: Option<String>,
}

impl From<&UploadRow> for UploadInfo {
    fn from(r: &UploadRow) -> Self {
        Self {
            id: r.id.clone(),
            length: r.length,
            offset: r.offset,
            state: r.state,
            record_id: r.record_id.clone(),
        }
    }
}
