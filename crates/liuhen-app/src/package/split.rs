//! A package across several discs (issue 19): the originals are shared out over discs of
//! one medium (first fit, largest first); every disc is a complete BagIt bag of its own —
//! its originals, every other payload file of the set (statements, forms, the manifest of
//! the whole set, the log and its proofs, the keys, the specification and `verify.html`) and
//! `data/disc.json` naming the disc, the count and where each absent original is. ISO 9660
//! level 3 (xorriso) stores files above 4 GiB in several extents, so no UDF is needed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Manifest, bag};
use crate::AppError;

/// The media of `media.toml`.
pub const MEDIA_TOML: &str = include_str!("media.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Medium {
    pub code: String,
    pub label: String,
    pub bytes: u64,
}

#[derive(Deserialize)]
struct MediaFile {
    medium: Vec<Medium>,
}

/// The configured media.
pub fn media() -> Vec<Medium> {
    toml::from_str::<MediaFile>(MEDIA_TOML)
        .map(|m| m.medium)
        .unwrap_or_default()
}

/// The medium with this code (`cd`, `dvd`, `dvd-dl`, `bd`).
pub fn medium(code: &str) -> Result<Medium, AppError> {
    let all = media();
    all.iter().find(|m| m.code == code).cloned().ok_or_else(|| {
        let codes: Vec<&str> = all.iter().map(|m| m.code.as_str()).collect();
        AppError::Invalid(format!(
            "未知的光盘类型 {code:?}（可选：{}）",
            codes.join("、")
        ))
    })
}

/// `data/disc.json` of a disc of a split package.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DiscFile {
    /// The package id (the set).
    pub set: String,
    pub disc: u32,
    pub discs: u32,
    /// Originals of the set that are on other discs.
    pub elsewhere: Vec<Elsewhere>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Elsewhere {
    pub path: String,
    pub disc: u32,
}

/// Where `data/disc.json` lives in a disc's bag.
pub const DISC_FILE: &str = "data/disc.json";

const SECTOR: u64 = 2048;
/// Room kept on every disc beyond its files: volume descriptors, path tables, Joliet and
/// Rock Ridge directory records, the re-written BagIt manifests, `disc.json`.
pub const IMAGE_OVERHEAD: u64 = 4 * 1024 * 1024;

/// Bytes a file takes in an image: whole sectors plus one for its directory records.
fn cost(size: u64) -> u64 {
    size.div_ceil(SECTOR) * SECTOR + SECTOR
}

/// Shares files (path, size) over discs of `capacity` bytes, each also carrying `common`
/// bytes: first fit, largest first; disc order and file order are deterministic.
pub fn plan(
    files: &[(String, u64)],
    common: u64,
    capacity: u64,
) -> Result<Vec<Vec<String>>, AppError> {
    let room = capacity
        .checked_sub(common + IMAGE_OVERHEAD)
        .filter(|r| *r > 0)
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "光盘容量 {capacity} 字节容不下证据包的公共文件（{common} 字节）"
            ))
        })?;
    let mut sorted: Vec<&(String, u64)> = files.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut bins: Vec<(u64, Vec<String>)> = Vec::new();
    for (path, size) in sorted {
        let c = cost(*size);
        if c > room {
            return Err(AppError::Invalid(format!(
                "文件 {path}（{size} 字节）超过单张光盘的可用容量（{room} 字节），请选择更大的光盘"
            )));
        }
        match bins.iter_mut().find(|(used, _)| used + c <= room) {
            Some((used, list)) => {
                *used += c;
                list.push(path.clone());
            }
            None => bins.push((c, vec![path.clone()])),
        }
    }
    if bins.is_empty() {
        bins.push((0, Vec::new()));
    }
    Ok(bins
        .into_iter()
        .map(|(_, mut l)| {
            l.sort();
            l
        })
        .collect())
}

/// One disc of a split.
#[derive(Debug, Clone, Serialize)]
pub struct DiscPlan {
    pub disc: u32,
    pub discs: u32,
    pub dir: PathBuf,
    pub originals: Vec<String>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AppError + '_ {
    move |e| AppError::io(path, e)
}

/// Splits the sealed package `bag_dir` into `out/disc-NN/` bags for discs of `capacity`
/// bytes (see the module documentation). Originals are hard-linked when possible.
pub fn split(bag_dir: &Path, out: &Path, capacity: u64) -> Result<Vec<DiscPlan>, AppError> {
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(bag::join(bag_dir, "data/manifest.json")).map_err(io(bag_dir))?,
    )
    .map_err(|e| AppError::Invalid(format!("data/manifest.json: {e}")))?;
    let originals: Vec<(String, u64)> = manifest
        .records
        .iter()
        .map(|r| (r.path.clone(), r.size))
        .collect();
    let all = bag::files_under(bag_dir, "").map_err(io(bag_dir))?;
    let mut common = 0;
    for f in &all {
        if !originals.iter().any(|(p, _)| p == f) {
            let len = std::fs::metadata(bag::join(bag_dir, f))
                .map_err(io(bag_dir))?
                .len();
            common += cost(len);
        }
    }
    let bins = plan(&originals, common, capacity)?;
    let discs = bins.len() as u32;
    let where_is = |path: &str| -> u32 {
        bins.iter()
            .position(|b| b.iter().any(|p| p == path))
            .map_or(0, |i| i as u32 + 1)
    };
    let info: Vec<(String, String)> = std::fs::read_to_string(bag_dir.join("bag-info.txt"))
        .map_err(io(bag_dir))?
        .lines()
        .filter_map(|l| l.split_once(": "))
        .filter(|(k, _)| *k != "Payload-Oxum")
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut plans = Vec::new();
    for (i, mine) in bins.iter().enumerate() {
        let disc = i as u32 + 1;
        let dir = out.join(format!("disc-{disc:02}"));
        for f in all.iter().filter(|f| f.starts_with("data/")) {
            let is_original = originals.iter().any(|(p, _)| p == f);
            if is_original && !mine.contains(f) {
                continue;
            }
            let (from, to) = (bag::join(bag_dir, f), bag::join(&dir, f));
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            if std::fs::hard_link(&from, &to).is_err() {
                std::fs::copy(&from, &to).map_err(io(&to))?;
            }
        }
        let disc_file = DiscFile {
            set: manifest.package.clone(),
            disc,
            discs,
            elsewhere: originals
                .iter()
                .filter(|(p, _)| !mine.contains(p))
                .map(|(p, _)| Elsewhere {
                    path: p.clone(),
                    disc: where_is(p),
                })
                .collect(),
        };
        let text = serde_json::to_string_pretty(&disc_file).expect("plain data") + "\n";
        let path = bag::join(&dir, DISC_FILE);
        std::fs::write(&path, text).map_err(io(&path))?;
        let mut disc_info: Vec<(&str, String)> =
            info.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        disc_info.push(("Liuhen-Disc", format!("{disc}/{discs}")));
        bag::seal(&dir, &disc_info).map_err(io(&dir))?;
        plans.push(DiscPlan {
            disc,
            discs,
            dir,
            originals: mine.clone(),
        });
    }
    Ok(plans)
}
