//! Browser-playable proxies (H.264/AAC MP4, `+faststart`) and JPEG thumbnails, made by
//! ffmpeg in the background from the originals, which are only ever read. Each derivative
//! is a blob of its own, bound to the original's SHA-256 in `derivatives`, and its creation
//! (or failure) is logged in the same transaction as its row.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use liuhen_db::{DerivativeRow, NewEntry};
use liuhen_domain::playback::{MediaFacts, needs_proxy};
use liuhen_domain::{AuditAction, Record, RecordId};

use crate::{AppError, Custody};

pub const PROXY: &str = "proxy";
pub const THUMBNAIL: &str = "thumbnail";
/// How much of ffmpeg's error output is kept as the reason of a failure.
const MAX_ERROR_CHARS: usize = 400;

/// The playable facts of a record.
pub fn facts(r: &Record) -> MediaFacts<'_> {
    MediaFacts {
        kind: Some(r.kind),
        container: r.media.container.as_deref(),
        video_codec: r.media.video_codec.as_deref(),
        audio_codec: r.media.audio_codec.as_deref(),
    }
}

impl Custody {
    /// The ffmpeg to use: configured, else `LIUHEN_FFMPEG`, else `ffmpeg` on `PATH`.
    pub fn ffmpeg(&self) -> Option<PathBuf> {
        let configured = self.config.media.ffmpeg.trim();
        if !configured.is_empty() {
            let p = PathBuf::from(configured);
            return p.is_file().then_some(p);
        }
        if let Some(p) = std::env::var_os("LIUHEN_FFMPEG").filter(|v| !v.is_empty()) {
            let p = PathBuf::from(p);
            return p.is_file().then_some(p);
        }
        find_on_path("ffmpeg")
    }

    /// One pass of the worker: derivatives for up to `limit` videos that have none yet.
    /// Returns how many videos were handled. Without ffmpeg nothing is done.
    pub async fn make_derivatives(&self, limit: u32) -> Result<usize, AppError> {
        let Some(ffmpeg) = self.ffmpeg() else {
            return Ok(0);
        };
        let ids = self.db.videos_without_derivatives(limit).await?;
        let mut handled = 0;
        for id in ids {
            let id = RecordId::parse(&id).map_err(|e| AppError::Invalid(e.to_string()))?;
            let Some((record, _)) = self.db.record(&id).await? else {
                continue;
            };
            self.derive(&record, &ffmpeg).await?;
            handled += 1;
        }
        Ok(handled)
    }

    async fn derive(&self, record: &Record, ffmpeg: &Path) -> Result<(), AppError> {
        let work = self
            .data_dir
            .join("derivatives-tmp")
            .join(uuid::Uuid::now_v7().to_string());
        std::fs::create_dir_all(&work).map_err(|e| AppError::io(&work, e))?;
        let result = self.derive_in(record, ffmpeg, &work).await;
        let _ = std::fs::remove_dir_all(&work);
        result
    }

    async fn derive_in(&self, record: &Record, ffmpeg: &Path, work: &Path) -> Result<(), AppError> {
        let input = match self.blobs.local_path(&record.sha256) {
            Some(p) => p,
            None => {
                // Not a local file: a verified copy for ffmpeg (which needs to seek).
                let copy = work.join("original");
                let blobs = self.blobs.clone();
                let (sha, c) = (record.sha256, copy.clone());
                tokio::task::spawn_blocking(move || -> Result<(), AppError> {
                    let mut src = blobs.open(&sha)?;
                    let mut dst = std::fs::File::create(&c).map_err(|e| AppError::io(&c, e))?;
                    std::io::copy(&mut src, &mut dst).map_err(|e| AppError::io(&c, e))?;
                    Ok(())
                })
                .await??;
                copy
            }
        };
        let sha = record.sha256.to_hex();
        if needs_proxy(facts(record)) && self.db.derivative(&sha, PROXY).await?.is_none() {
            let out = work.join("proxy.mp4");
            let args = proxy_args(&input, &out);
            let made = self.run_ffmpeg(ffmpeg, &args).await;
            self.store_derivative(record, PROXY, made.map(|()| out))
                .await?;
        }
        let out = work.join("thumbnail.jpg");
        let at = record
            .media
            .duration_ms
            .map(|ms| (ms as f64 / 2000.0).min(1.0))
            .unwrap_or(0.0);
        let mut made = self
            .run_ffmpeg(ffmpeg, &thumbnail_args(&input, &out, at))
            .await;
        if made.is_ok() && !out.is_file() && at > 0.0 {
            made = self
                .run_ffmpeg(ffmpeg, &thumbnail_args(&input, &out, 0.0))
                .await;
        }
        let made = made.and_then(|()| {
            out.is_file()
                .then_some(out)
                .ok_or_else(|| "ffmpeg 未输出缩略图".to_owned())
        });
        self.store_derivative(record, THUMBNAIL, made).await
    }

    /// Runs ffmpeg niced, with the configured timeout; `Err` is the reason to show.
    async fn run_ffmpeg(&self, ffmpeg: &Path, args: &[String]) -> Result<(), String> {
        let media = &self.config.media;
        let nice = find_on_path("nice").filter(|_| media.ffmpeg_niceness > 0);
        let mut cmd = match &nice {
            Some(nice) => {
                let mut c = tokio::process::Command::new(nice);
                c.arg("-n")
                    .arg(media.ffmpeg_niceness.to_string())
                    .arg(ffmpeg);
                c
            }
            None => tokio::process::Command::new(ffmpeg),
        };
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|e| format!("无法启动 ffmpeg：{e}"))?;
        let limit = Duration::from_secs(u64::from(media.ffmpeg_timeout_seconds));
        match tokio::time::timeout(limit, child.wait_with_output()).await {
            Err(_) => Err(format!("ffmpeg 超时（{} 秒）", limit.as_secs())),
            Ok(Err(e)) => Err(format!("ffmpeg 运行失败：{e}")),
            Ok(Ok(out)) if out.status.success() => Ok(()),
            Ok(Ok(out)) => {
                let text = String::from_utf8_lossy(&out.stderr);
                let text = text.trim();
                let start = text
                    .char_indices()
                    .rev()
                    .nth(MAX_ERROR_CHARS)
                    .map_or(0, |(i, _)| i);
                Err(format!("ffmpeg 失败（{}）：{}", out.status, &text[start..]))
            }
        }
    }

    /// Stores a made derivative as a blob (or its failure) and logs it, row and entry in one
    /// transaction.
    async fn store_derivative(
        &self,
        record: &Record,
        kind: &str,
        made: Result<PathBuf, String>,
    ) -> Result<(), AppError> {
        let now = self.now();
        let mut row = DerivativeRow {
            original_sha256: record.sha256.to_hex(),
            kind: kind.to_owned(),
            derivative_sha256: None,
            size_bytes: None,
            status: "ready".into(),
            error: None,
            created_ms: now.as_millisecond(),
        };
        match made {
            Ok(path) => {
                let blobs = self.blobs.clone();
                let until = record.retain_until;
                let put = tokio::task::spawn_blocking(move || -> Result<_, AppError> {
                    let mut f = std::fs::File::open(&path).map_err(|e| AppError::io(&path, e))?;
                    Ok(blobs.put(&mut f, until)?)
                })
                .await??;
                row.derivative_sha256 = Some(put.digests.sha256.to_hex());
                row.size_bytes = Some(put.digests.size);
            }
            Err(reason) => {
                tracing::warn!(record = %record.id, kind, %reason, "derivative failed");
                row.status = "failed".into();
                row.error = Some(reason);
            }
        }
        let mut tx = self.db.begin().await?;
        tx.insert_derivative(&row).await?;
        tx.append(
            now,
            NewEntry {
                actor: "system".into(),
                action: AuditAction::DerivativeCreated,
                subject: Some(format!("record:{}", record.id)),
                details: serde_json::json!({
                    "kind": kind,
                    "status": row.status,
                    "original_sha256": row.original_sha256,
                    "derivative_sha256": row.derivative_sha256,
                    "size_bytes": row.size_bytes,
                    "error": row.error,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn proxy_args(input: &Path, out: &Path) -> Vec<String> {
    ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i"]
        .iter()
        .map(|a| a.to_string())
        .chain([s(input)])
        .chain(
            [
                "-map",
                "0:v:0",
                "-map",
                "0:a:0?",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "23",
                "-pix_fmt",
                "yuv420p",
                "-vf",
                "scale=trunc(iw/2)*2:trunc(ih/2)*2",
                "-c:a",
                "aac",
                "-b:a",
                "128k",
                "-ac",
                "2",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
            ]
            .iter()
            .map(|a| a.to_string()),
        )
        .chain([s(out)])
        .collect()
}

fn thumbnail_args(input: &Path, out: &Path, at_seconds: f64) -> Vec<String> {
    let mut v: Vec<String> = [
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-ss",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    v.push(format!("{at_seconds:.3}"));
    v.push("-i".into());
    v.push(s(input));
    v.extend(
        [
            "-frames:v",
            "1",
            "-vf",
            "scale=480:-2",
            "-q:v",
            "4",
            "-update",
            "1",
            "-f",
            "image2",
        ]
        .iter()
        .map(|a| a.to_string()),
    );
    v.push(s(out));
    v
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}
