//! The 四性 check of an archive transfer (DA/T 70, 真实性 / 完整性 / 可用性 / 安全性): the
//! verdict types, the accepted archival formats (data: `archival_formats.toml`), the
//! ffprobe decode check of one file, and the executable-content check. The checks over a
//! whole transfer package are made in `transfer`.

use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};

/// One checked thing (a record, a file, the checkpoint) and what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub subject: String,
    pub ok: bool,
    pub detail: String,
}

/// One of the four properties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    /// `authenticity`, `integrity`, `usability`, `security`.
    pub code: String,
    /// 真实性, 完整性, 可用性, 安全性.
    pub name: String,
    /// What was checked, in one sentence (printed on the report).
    pub method: String,
    pub ok: bool,
    pub items: Vec<Item>,
}

impl Property {
    pub fn new(code: &str, name: &str, method: &str) -> Self {
        Self {
            code: code.into(),
            name: name.into(),
            method: method.into(),
            ok: true,
            items: Vec::new(),
        }
    }

    pub fn push(&mut self, subject: impl Into<String>, ok: bool, detail: impl Into<String>) {
        self.ok &= ok;
        self.items.push(Item {
            subject: subject.into(),
            ok,
            detail: detail.into(),
        });
    }

    /// The items that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| !i.ok)
    }
}

/// `data/transfer/four_checks.json` of a transfer package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FourChecks {
    pub ok: bool,
    pub checked_at: String,
    pub properties: Vec<Property>,
}

impl FourChecks {
    pub fn new(checked_at: String, properties: Vec<Property>) -> Self {
        Self {
            ok: properties.iter().all(|p| p.ok),
            checked_at,
            properties,
        }
    }

    pub fn property(&self, code: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.code == code)
    }
}

/// The accepted archival formats of `archival_formats.toml`.
pub const ARCHIVAL_FORMATS_TOML: &str = include_str!("archival_formats.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct ArchivalFormat {
    pub name: String,
    pub containers: Vec<String>,
    pub codecs: Vec<String>,
}

#[derive(Deserialize)]
struct FormatsFile {
    format: Vec<ArchivalFormat>,
}

/// The accepted archival formats.
pub fn archival_formats() -> Vec<ArchivalFormat> {
    toml::from_str::<FormatsFile>(ARCHIVAL_FORMATS_TOML)
        .map(|f| f.format)
        .unwrap_or_default()
}

/// What ffprobe found decoding the start of a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Probed {
    /// ffprobe's format name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`.
    pub format_name: String,
    /// (codec type, codec name, frames decoded) of each stream.
    pub streams: Vec<(String, String, u64)>,
}

impl Probed {
    /// Audio and video streams only.
    fn media_streams(&self) -> impl Iterator<Item = &(String, String, u64)> {
        self.streams
            .iter()
            .filter(|(t, _, _)| t == "video" || t == "audio")
    }

    /// At least one audio or video stream, and every one of them gave decoded frames.
    pub fn decodes(&self) -> bool {
        self.media_streams().next().is_some() && self.media_streams().all(|(_, _, n)| *n > 0)
    }
}

/// The ffprobe executable: `LIUHEN_FFPROBE`, else `ffprobe` on `PATH`.
fn ffprobe() -> String {
    std::env::var("LIUHEN_FFPROBE")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "ffprobe".into())
}

/// Decodes the first frames of every stream of `path` with ffprobe (`-count_frames` over
/// `-read_intervals %+#2`). `Err` names why it could not (not installed, not a media file).
pub fn probe_decode(path: &Path) -> Result<Probed, String> {
    let out = Command::new(ffprobe())
        .args([
            "-v",
            "error",
            "-read_intervals",
            "%+#2",
            "-count_frames",
            "-show_entries",
            "format=format_name:stream=codec_type,codec_name,nb_read_frames",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .map_err(|e| format!("ffprobe 无法运行（请安装 ffmpeg）：{e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").trim();
        // ffprobe starts the line with the path; the file is named by the caller.
        let last = last
            .strip_prefix(&format!("{}: ", path.display()))
            .unwrap_or(last);
        return Err(format!("ffprobe 无法解码：{last}"));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("ffprobe 输出无法解析：{e}"))?;
    let streams = v["streams"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    (
                        s["codec_type"].as_str().unwrap_or_default().to_owned(),
                        s["codec_name"].as_str().unwrap_or_default().to_owned(),
                        s["nb_read_frames"]
                            .as_str()
                            .and_then(|n| n.parse().ok())
                            .or_else(|| s["nb_read_frames"].as_u64())
                            .unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Probed {
        format_name: v["format"]["format_name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        streams,
    })
}

/// The accepted format `p` is of, if any (see `archival_formats.toml`).
pub fn accepted_format<'a>(
    formats: &'a [ArchivalFormat],
    p: &Probed,
) -> Option<&'a ArchivalFormat> {
    let names: Vec<&str> = p.format_name.split(',').map(str::trim).collect();
    formats.iter().find(|f| {
        f.containers.iter().any(|c| names.contains(&c.as_str()))
            && p.media_streams().next().is_some()
            && p.media_streams()
                .all(|(_, codec, _)| f.codecs.contains(codec))
    })
}

/// The usability verdict of one probed file: decodes, and of an accepted format.
pub fn usability(formats: &[ArchivalFormat], probed: &Result<Probed, String>) -> (bool, String) {
    let p = match probed {
        Ok(p) => p,
        Err(e) => return (false, e.clone()),
    };
    let codecs: Vec<&str> = p.media_streams().map(|(_, c, _)| c.as_str()).collect();
    if !p.decodes() {
        return (
            false,
            format!(
                "无法解码出音视频帧（格式 {}，流 {}）",
                p.format_name,
                codecs.join("、")
            ),
        );
    }
    match accepted_format(formats, p) {
        Some(f) => (
            true,
            format!("可解码；格式 {}（{}）", f.name, codecs.join("、")),
        ),
        None => (
            false,
            format!(
                "可解码，但格式 {}（{}）不在可接受的归档格式之列",
                p.format_name,
                codecs.join("、")
            ),
        ),
    }
}

/// Signatures of executable or active content, by their first bytes.
const EXECUTABLE_MAGIC: &[(&[u8], &str)] = &[
    (b"MZ", "Windows 可执行文件（MZ/PE）"),
    (b"\x7fELF", "ELF 可执行文件"),
    (b"#!", "脚本（#!）"),
    (b"\xCA\xFE\xBA\xBE", "Mach-O / Java 类文件"),
    (b"\xCF\xFA\xED\xFE", "Mach-O 可执行文件"),
    (b"\xCE\xFA\xED\xFE", "Mach-O 可执行文件"),
    (b"PK\x03\x04", "压缩包（可能含可执行内容）"),
    (b"\0asm", "WebAssembly 模块"),
];

/// File name endings of executable or active content.
const EXECUTABLE_EXTENSIONS: &[&str] = &[
    "exe", "dll", "com", "bat", "cmd", "msi", "scr", "ps1", "vbs", "js", "jar", "sh", "py", "html",
    "htm", "svg", "apk", "app", "so", "dylib", "lnk",
];

/// Why the file `name` with first bytes `head` is executable or active content, if it is.
/// A PDF is judged by its active features (JavaScript, launch actions, embedded files).
pub fn executable_content(name: &str, head: &[u8]) -> Option<String> {
    if let Some((_, what)) = EXECUTABLE_MAGIC.iter().find(|(m, _)| head.starts_with(m)) {
        return Some(format!("文件头为{what}"));
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    if let Some(ext) = ext.filter(|e| EXECUTABLE_EXTENSIONS.contains(&e.as_str())) {
        return Some(format!("扩展名 .{ext} 为可执行或活动内容"));
    }
    if head.starts_with(b"%PDF-") {
        for key in [
            &b"/JavaScript"[..],
            b"/JS ",
            b"/Launch",
            b"/EmbeddedFile",
            b"/OpenAction",
        ] {
            if head.windows(key.len()).any(|w| w == key) {
                return Some(format!(
                    "PDF 含活动内容 {}",
                    String::from_utf8_lossy(key).trim()
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probed(format: &str, streams: &[(&str, &str, u64)]) -> Probed {
        Probed {
            format_name: format.into(),
            streams: streams
                .iter()
                .map(|(t, c, n)| ((*t).into(), (*c).into(), *n))
                .collect(),
        }
    }

    #[test]
    fn accepted_formats_are_data_and_judged_by_container_and_codecs() {
        let f = archival_formats();
        assert!(f.len() >= 8);
        let table = [
            (
                probed(
                    "mov,mp4,m4a,3gp,3g2,mj2",
                    &[
                        ("video", "h264", 2),
                        ("audio", "aac", 2),
                        ("data", "bin_data", 0),
                    ],
                ),
                Some("MP4 / MOV"),
            ),
            (
                probed("mov,mp4,m4a,3gp,3g2,mj2", &[("video", "prores", 2)]),
                None,
            ),
            (probed("matroska,webm", &[("video", "vp9", 2)]), None),
            (probed("wav", &[("audio", "pcm_s16le", 2)]), Some("WAV")),
            (probed("image2", &[("video", "mjpeg", 1)]), Some("JPEG")),
            (
                probed("mpegts", &[("video", "mpeg2video", 2), ("audio", "mp2", 2)]),
                Some("MPEG-2 PS / TS"),
            ),
            (probed("mp3", &[]), None),
        ];
        for (p, want) in table {
            assert_eq!(
                accepted_format(&f, &p).map(|f| f.name.as_str()),
                want,
                "{p:?}"
            );
        }
        let undecodable = probed("mov,mp4,m4a,3gp,3g2,mj2", &[("video", "h264", 0)]);
        let (ok, why) = usability(&f, &Ok(undecodable));
        assert!(!ok);
        assert!(why.contains("无法解码"), "{why}");
        let (ok, why) = usability(&f, &Err("ffprobe 无法解码：moov atom not found".into()));
        assert!(!ok);
        assert!(why.contains("moov"), "{why}");
    }

    #[test]
    fn executable_content_is_named() {
        let table: [(&str, &[u8], Option<&str>); 8] = [
            ("a.mp4", b"MZ\x90\x00", Some("MZ")),
            ("a.mp4", b"\x7fELF\x02", Some("ELF")),
            ("a.wav", b"#!/bin/sh\n", Some("#!")),
            ("a.mp4", b"\0\0\0\x18ftypmp42", None),
            ("run.BAT", b"echo", Some(".bat")),
            (
                "f.pdf",
                b"%PDF-1.7\n1 0 obj << /OpenAction 2 0 R >>",
                Some("/OpenAction"),
            ),
            ("f.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>", None),
            ("m.xml", b"<?xml version=\"1.0\"?>", None),
        ];
        for (name, head, want) in table {
            let got = executable_content(name, head);
            match want {
                Some(w) => assert!(
                    got.as_deref().is_some_and(|g| g.contains(w)),
                    "{name}: {got:?}"
                ),
                None => assert_eq!(got, None, "{name}"),
            }
        }
    }
}
