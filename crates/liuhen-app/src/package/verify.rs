//! `liuhen verify-package`: checks an export package with nothing but its files — no
//! database, no network — and names every problem: a changed, missing or unlisted file, a
//! manifest that disagrees with itself, a bad inclusion proof, a bad checkpoint signature,
//! a key other than the one the package (or the caller) names, a record whose digest the
//! log does not vouch for. The checks are those of `docs/verifying-a-package.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine as _;
use liuhen_merkle::{Checkpoint, PublicKeys, SignedCheckpoint};
use serde::Serialize;

use super::bag::{self, TAG_FILES};
use super::{CheckpointFile, EntriesFile, FORMAT, Manifest};

/// One problem found, with a stable `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// A file's content differs from its manifest digest (`algorithm`: sha256 or sm3).
    ChangedFile { path: String, algorithm: String },
    /// A file a manifest lists is absent.
    MissingFile { path: String },
    /// A payload file no manifest lists.
    UnlistedFile { path: String },
    /// A required part of the package is absent or unreadable.
    Malformed { part: String, reason: String },
    /// `manifest.json` and the bag disagree about a file or record.
    ManifestMismatch { path: String, reason: String },
    /// A log entry's inclusion proof does not lead to the checkpoint's root.
    BadProof { seq: u64, reason: String },
    /// A checkpoint signature does not verify (`which`: ed25519 or sm2).
    BadSignature { which: String, reason: String },
    /// The public keys are not those the package (or the caller) names.
    ForeignKey {
        which: String,
        expected: String,
        found: String,
    },
    /// No proven `record.ingested` entry vouches for this record's digest.
    UnboundRecord { record: String },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ChangedFile { path, algorithm } => {
                write!(f, "文件已被改动 / changed file ({algorithm}): {path}")
            }
            Self::MissingFile { path } => write!(f, "文件缺失 / missing file: {path}"),
            Self::UnlistedFile { path } => write!(f, "多出未登记的文件 / unlisted file: {path}"),
            Self::Malformed { part, reason } => {
                write!(f, "包结构错误 / malformed {part}: {reason}")
            }
            Self::ManifestMismatch { path, reason } => {
                write!(f, "清单不一致 / manifest mismatch {path}: {reason}")
            }
            Self::BadProof { seq, reason } => {
                write!(f, "日志包含证明无效 / bad proof for entry {seq}: {reason}")
            }
            Self::BadSignature { which, reason } => {
                write!(f, "检查点签名无效 / bad signature ({which}): {reason}")
            }
            Self::ForeignKey {
                which,
                expected,
                found,
            } => write!(
                f,
                "公钥不符 / foreign key ({which}): expected {expected}, found {found}"
            ),
            Self::UnboundRecord { record } => write!(
                f,
                "日志未证明该记录的摘要 / no proven ingest entry for record {record}"
            ),
        }
    }
}

/// The verdict on one package.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub ok: bool,
    pub package: Option<String>,
    pub files_checked: usize,
    pub entries_checked: usize,
    pub problems: Vec<Problem>,
}

fn read(dir: &Path, rel: &str, problems: &mut Vec<Problem>) -> Option<String> {
    match std::fs::read_to_string(bag::join(dir, rel)) {
        Ok(s) => Some(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            problems.push(Problem::MissingFile { path: rel.into() });
            None
        }
        Err(e) => {
            problems.push(Problem::Malformed {
                part: rel.into(),
                reason: e.to_string(),
            });
            None
        }
    }
}

fn json<T: serde::de::DeserializeOwned>(
    dir: &Path,
    rel: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let text = read(dir, rel, problems)?;
    serde_json::from_str(&text)
        .map_err(|e| {
            problems.push(Problem::Malformed {
                part: rel.into(),
                reason: e.to_string(),
            })
        })
        .ok()
}

/// Checks one manifest (payload or tag) against the files; returns path → hex.
fn check_manifest(
    dir: &Path,
    name: &str,
    sm3: bool,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, String> {
    let Some(text) = read(dir, name, problems) else {
        return BTreeMap::new();
    };
    let listed = match bag::parse_manifest(&text) {
        Ok(l) => l,
        Err(reason) => {
            problems.push(Problem::Malformed {
                part: name.into(),
                reason,
            });
            return BTreeMap::new();
        }
    };
    for (path, want) in &listed {
        if path.split('/').any(|p| p == ".." || p.is_empty()) {
            problems.push(Problem::Malformed {
                part: name.into(),
                reason: format!("path {path:?} leaves the bag"),
            });
            continue;
        }
        match bag::hash_file(&bag::join(dir, path)) {
            Ok(d) => {
                let got = if sm3 { d.sm3 } else { d.sha256 };
                if &got != want {
                    problems.push(Problem::ChangedFile {
                        path: path.clone(),
                        algorithm: if sm3 { "sm3" } else { "sha256" }.into(),
                    });
                }
            }
            Err(_) => problems.push(Problem::MissingFile { path: path.clone() }),
        }
    }
    listed
}

/// Verifies the package in `dir`. `trusted_key_ids`, when given, are the Ed25519 and SM2
/// key ids the verifier expects (e.g. read from the bureau's published keys).
pub fn verify_dir(dir: &Path, trusted_key_ids: Option<(&str, &str)>) -> Verdict {
    let mut problems = Vec::new();
    if read(dir, "bagit.txt", &mut problems).is_some_and(|t| !t.starts_with("BagIt-Version: ")) {
        problems.push(Problem::Malformed {
            part: "bagit.txt".into(),
            reason: "no BagIt-Version line".into(),
        });
    }
    let sha = check_manifest(dir, "manifest-sha256.txt", false, &mut problems);
    let _ = check_manifest(dir, "manifest-sm3.txt", true, &mut problems);
    let tags = check_manifest(dir, "tagmanifest-sha256.txt", false, &mut problems);
    let _ = check_manifest(dir, "tagmanifest-sm3.txt", true, &mut problems);
    for tag in TAG_FILES {
        if !tags.contains_key(*tag) && dir.join(tag).exists() {
            problems.push(Problem::UnlistedFile {
                path: (*tag).into(),
            });
        }
    }
    let files = bag::files_under(dir, "data").unwrap_or_default();
    for f in &files {
        if !sha.contains_key(f) {
            problems.push(Problem::UnlistedFile { path: f.clone() });
        }
    }
    let mut verdict = Verdict {
        ok: false,
        package: None,
        files_checked: sha.len(),
        entries_checked: 0,
        problems: Vec::new(),
    };
    if let Some(m) = json::<Manifest>(dir, "data/manifest.json", &mut problems) {
        verdict.package = Some(m.package.clone());
        let elsewhere = disc_elsewhere(dir, &m, &sha, &mut problems);
        let sha: BTreeMap<String, String> = sha
            .into_iter()
            .chain(elsewhere.into_iter().filter_map(|p| {
                let want = m.records.iter().find(|r| r.path == p)?.sha256.clone();
                Some((p, want))
            }))
            .collect();
        verdict.entries_checked = check_contents(dir, &m, &sha, trusted_key_ids, &mut problems);
    }
    verdict.ok = problems.is_empty();
    verdict.problems = problems;
    verdict
}

/// The originals of the set that `data/disc.json` (a disc of a split package) places on
/// other discs: they are not on this disc, so their manifest lines are taken as written.
/// A disc file of another set, or one that claims a file present here, is a problem.
fn disc_elsewhere(
    dir: &Path,
    m: &Manifest,
    sha: &BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    if !bag::join(dir, super::split::DISC_FILE).exists() {
        return Vec::new();
    }
    let Some(d) = json::<super::split::DiscFile>(dir, super::split::DISC_FILE, problems) else {
        return Vec::new();
    };
    let bad = |reason: String| Problem::Malformed {
        part: super::split::DISC_FILE.into(),
        reason,
    };
    if d.set != m.package || d.disc == 0 || d.disc > d.discs {
        problems.push(bad(format!(
            "disc {} of {} of set {}, the manifest is of {}",
            d.disc, d.discs, d.set, m.package
        )));
        return Vec::new();
    }
    let mut out = Vec::new();
    for e in d.elsewhere {
        if sha.contains_key(&e.path) || !m.records.iter().any(|r| r.path == e.path) {
            problems.push(bad(format!(
                "{} is not an original on another disc",
                e.path
            )));
        } else {
            out.push(e.path);
        }
    }
    out
}

fn check_contents(
    dir: &Path,
    m: &Manifest,
    sha: &BTreeMap<String, String>,
    trusted: Option<(&str, &str)>,
    problems: &mut Vec<Problem>,
) -> usize {
    if m.format != FORMAT {
        problems.push(Problem::Malformed {
            part: "data/manifest.json".into(),
            reason: format!("format {:?}, expected {FORMAT:?}", m.format),
        });
    }
    for f in &m.files {
        if sha.get(&f.path) != Some(&f.sha256) {
            problems.push(Problem::ManifestMismatch {
                path: f.path.clone(),
                reason: "SHA-256 differs from manifest-sha256.txt".into(),
            });
        }
    }
    for r in &m.records {
        if sha.get(&r.path) != Some(&r.sha256) {
            problems.push(Problem::ManifestMismatch {
                path: r.path.clone(),
                reason: format!(
                    "record {} SHA-256 differs from manifest-sha256.txt",
                    r.record
                ),
            });
        }
    }
    // Keys: those in the package must be the ones the manifest (and the caller) names.
    let keys = match (
        read(dir, &m.keys.ed25519, problems),
        read(dir, &m.keys.sm2, problems),
    ) {
        (Some(ed), Some(sm)) => match PublicKeys::from_pem(&ed, &sm) {
            Ok(k) => Some(k),
            Err(e) => {
                problems.push(Problem::Malformed {
                    part: "data/keys".into(),
                    reason: e.to_string(),
                });
                None
            }
        },
        _ => None,
    };
    let Some(keys) = keys else { return 0 };
    let mut expect = vec![
        (
            "ed25519",
            m.keys.ed25519_key_id.clone(),
            keys.ed25519_key_id(),
        ),
        ("sm2", m.keys.sm2_key_id.clone(), keys.sm2_key_id()),
    ];
    if let Some((ed, sm)) = trusted {
        expect.push(("ed25519 (trusted)", ed.to_owned(), keys.ed25519_key_id()));
        expect.push(("sm2 (trusted)", sm.to_owned(), keys.sm2_key_id()));
    }
    for (which, expected, found) in expect {
        if expected != found {
            problems.push(Problem::ForeignKey {
                which: which.into(),
                expected,
                found,
            });
        }
    }
    // The checkpoint and its signatures.
    let Some(cpf) = json::<CheckpointFile>(dir, &m.log.checkpoint, problems) else {
        return 0;
    };
    let checkpoint = match Checkpoint::parse_body(&cpf.body) {
        Ok(c) => c,
        Err(e) => {
            problems.push(Problem::Malformed {
                part: m.log.checkpoint.clone(),
                reason: e.to_string(),
            });
            return 0;
        }
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let signed = SignedCheckpoint {
        checkpoint: checkpoint.clone(),
        ed25519_sig: b64.decode(&cpf.ed25519_sig).unwrap_or_default(),
        sm2_sig: b64.decode(&cpf.sm2_sig).unwrap_or_default(),
    };
    if let Err(e) = keys.verify(&signed) {
        let which = if e.to_string().contains("SM2") {
            "sm2"
        } else {
            "ed25519"
        };
        problems.push(Problem::BadSignature {
            which: which.into(),
            reason: e.to_string(),
        });
    }
    // The entries and their proofs.
    let Some(ef) = json::<EntriesFile>(dir, &m.log.entries, problems) else {
        return 0;
    };
    if ef.tree_size != checkpoint.size || m.log.tree_size != checkpoint.size {
        problems.push(Problem::ManifestMismatch {
            path: m.log.entries.clone(),
            reason: format!(
                "tree size {} / {} but the checkpoint says {}",
                ef.tree_size, m.log.tree_size, checkpoint.size
            ),
        });
    }
    let mut vouched: BTreeSet<(String, String)> = BTreeSet::new();
    for e in &ef.entries {
        let proof: Result<Vec<[u8; 32]>, _> = e
            .proof
            .iter()
            .map(|h| {
                hex::decode(h)
                    .ok()
                    .and_then(|v| <[u8; 32]>::try_from(v).ok())
                    .ok_or("a proof hash is not 32 bytes of hex")
            })
            .collect();
        let leaf = liuhen_merkle::leaf_hash(e.body.as_bytes());
        let body: Option<serde_json::Value> = serde_json::from_str(&e.body).ok();
        let seq_ok = body.as_ref().and_then(|b| b["seq"].as_u64()) == Some(e.seq);
        let res = proof.map_err(str::to_owned).and_then(|p| {
            liuhen_merkle::verify_inclusion(&leaf, e.seq, checkpoint.size, &p, &checkpoint.root)
                .map_err(|e| e.to_string())
        });
        match (res, seq_ok) {
            (Err(reason), _) => problems.push(Problem::BadProof { seq: e.seq, reason }),
            (Ok(()), false) => problems.push(Problem::BadProof {
                seq: e.seq,
                reason: "the body names another sequence number".into(),
            }),
            (Ok(()), true) => {
                let b = body.unwrap_or_default();
                let record = &b["details"]["record"];
                if b["action"] == "record.ingested"
                    && let (Some(id), Some(sha)) =
                        (record["id"].as_str(), record["sha256"].as_str())
                {
                    vouched.insert((id.to_owned(), sha.to_owned()));
                }
            }
        }
    }
    for r in &m.records {
        if !vouched.contains(&(r.record.clone(), r.sha256.clone())) {
            problems.push(Problem::UnboundRecord {
                record: r.record.clone(),
            });
        }
    }
    ef.entries.len()
}
