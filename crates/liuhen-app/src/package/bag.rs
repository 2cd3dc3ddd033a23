//! The BagIt (RFC 8493) side of a package: hashing files, writing and reading the payload
//! and tag manifests (SHA-256, and SM3 beside it), `bagit.txt` and `bag-info.txt`.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The SHA-256 and SM3 (lower-case hex) and size of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    pub sha256: String,
    pub sm3: String,
    pub size: u64,
}

pub fn hash_file(path: &Path) -> io::Result<FileDigest> {
    let mut f = std::fs::File::open(path)?;
    let d = liuhen_blob::hash_reader(&mut f)?;
    Ok(FileDigest {
        sha256: d.sha256.to_hex(),
        sm3: d.sm3.to_hex(),
        size: d.size,
    })
}

/// Every regular file under `dir/sub`, as bag-relative paths with `/` separators, sorted.
pub fn files_under(dir: &Path, sub: &str) -> io::Result<Vec<String>> {
    fn walk(root: &Path, at: &Path, out: &mut Vec<String>) -> io::Result<()> {
        for e in std::fs::read_dir(at)? {
            let e = e?;
            let p = e.path();
            let t = e.file_type()?;
            if t.is_dir() {
                walk(root, &p, out)?;
            } else {
                let rel = p.strip_prefix(root).map_err(io::Error::other)?;
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    let start = dir.join(sub);
    if start.is_dir() {
        walk(dir, &start, &mut out)?;
    }
    out.sort();
    Ok(out)
}

/// A manifest's text: `<hex>  <path>` lines, sorted by path (RFC 8493 §2.1.3).
pub fn manifest_text(entries: &BTreeMap<String, String>) -> String {
    entries
        .iter()
        .map(|(path, hex)| format!("{hex}  {path}\n"))
        .collect()
}

/// Parses a manifest into path → hex digest. A malformed line is an error naming it.
pub fn parse_manifest(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((hex, path)) = line.split_once(char::is_whitespace) else {
            return Err(format!("line {} is not `<digest> <path>`", n + 1));
        };
        let path = path
            .trim_start()
            .replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%25", "%");
        out.insert(path, hex.to_ascii_lowercase());
    }
    Ok(out)
}

pub const BAGIT_TXT: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";

/// Writes the payload manifests, `bagit.txt`, `bag-info.txt` and the tag manifests of the
/// bag at `dir` whose payload (`data/`) is complete. Returns the SHA-256 of
/// `manifest-sha256.txt` (what the export's log entry names).
pub fn seal(dir: &Path, info: &[(&str, String)]) -> io::Result<String> {
    seal_with(dir, info, &BTreeMap::new())
}

/// [`seal`], taking the digests of the payload files in `known` (computed while they were
/// written) instead of reading them again.
pub fn seal_with(
    dir: &Path,
    info: &[(&str, String)],
    known: &BTreeMap<String, FileDigest>,
) -> io::Result<String> {
    let mut sha = BTreeMap::new();
    let mut sm3 = BTreeMap::new();
    let mut octets = 0u64;
    let files = files_under(dir, "data")?;
    for path in &files {
        let d = match known.get(path) {
            Some(d) => d.clone(),
            None => hash_file(&join(dir, path))?,
        };
        octets += d.size;
        sha.insert(path.clone(), d.sha256);
        sm3.insert(path.clone(), d.sm3);
    }
    std::fs::write(dir.join("manifest-sha256.txt"), manifest_text(&sha))?;
    std::fs::write(dir.join("manifest-sm3.txt"), manifest_text(&sm3))?;
    std::fs::write(dir.join("bagit.txt"), BAGIT_TXT)?;
    let mut bag_info = String::new();
    for (k, v) in info {
        let v = v.replace(['\r', '\n'], " ");
        bag_info.push_str(&format!("{k}: {v}\n"));
    }
    bag_info.push_str(&format!("Payload-Oxum: {octets}.{}\n", files.len()));
    std::fs::write(dir.join("bag-info.txt"), bag_info)?;
    let mut tag_sha = BTreeMap::new();
    let mut tag_sm3 = BTreeMap::new();
    for tag in TAG_FILES {
        let d = hash_file(&dir.join(tag))?;
        tag_sha.insert((*tag).to_owned(), d.sha256);
        tag_sm3.insert((*tag).to_owned(), d.sm3);
    }
    std::fs::write(dir.join("tagmanifest-sha256.txt"), manifest_text(&tag_sha))?;
    std::fs::write(dir.join("tagmanifest-sm3.txt"), manifest_text(&tag_sm3))?;
    Ok(hash_file(&dir.join("manifest-sha256.txt"))?.sha256)
}

/// The tag files the tag manifests cover.
pub const TAG_FILES: &[&str] = &[
    "bagit.txt",
    "bag-info.txt",
    "manifest-sha256.txt",
    "manifest-sm3.txt",
];

/// A file name safe in a bag and on a disc: no separators, control characters or `%`.
pub fn safe_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_control()
                || matches!(
                    c,
                    '/' | '\\' | '%' | ':' | '*' | '?' | '"' | '<' | '>' | '|'
                )
            {
                '_'
            } else {
                c
            }
        })
        .collect();
    let s = s.trim().trim_start_matches('.').to_owned();
    if s.is_empty() { "original".into() } else { s }
}

pub fn join(dir: &Path, rel: &str) -> PathBuf {
    rel.split('/')
        .fold(dir.to_path_buf(), |p, part| p.join(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_round_trip_and_names_are_safe() {
        let mut m = BTreeMap::new();
        m.insert("data/b.txt".to_owned(), "bb".to_owned());
        m.insert("data/a 文件.mp4".to_owned(), "aa".to_owned());
        let text = manifest_text(&m);
        assert_eq!(text, "aa  data/a 文件.mp4\nbb  data/b.txt\n");
        assert_eq!(parse_manifest(&text).unwrap(), m);
        assert_eq!(safe_name("../a/b\\c%.mp4"), "_a_b_c_.mp4");
        assert_eq!(safe_name("现场 1.MP4"), "现场 1.MP4");
        assert_eq!(safe_name(""), "original");
    }
}
