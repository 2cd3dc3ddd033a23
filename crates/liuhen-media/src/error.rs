use std::time::Duration;

/// Why a prober could not read a file. The `Display` text is meant for `probe_error`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot start ffprobe {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("ffprobe did not finish within {} s and was killed", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("ffprobe wrote more than {0} bytes of output")]
    OutputTooLarge(usize),
    #[error("ffprobe rejected the file ({status}): {stderr}")]
    Ffprobe { status: String, stderr: String },
    #[error("ffprobe output is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("unrecognised file format")]
    UnrecognisedFormat,
    #[error("malformed {format} at offset {offset}: {reason}")]
    Malformed {
        format: &'static str,
        offset: u64,
        reason: String,
    },
}
