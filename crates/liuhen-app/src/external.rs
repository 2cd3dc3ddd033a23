//! Checkpoints kept outside the database (issue 14, `docs/checkpoints.md`).
//!
//! Every checkpoint is written, as it is signed and before its row commits, as a signed
//! note ([`crate::log::checkpoint_note`]) to the blob store (`checkpoints/<size>.note`:
//! 0444 files locally, COMPLIANCE Object Lock on S3) and, when `[checkpoints] witness_dir`
//! is set, to that directory. `verify` takes the newest valid note of each place and
//! checks that the log still produces its root over its size: a database restored from an
//! older copy, a truncated log or a rewritten entry no longer does.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use liuhen_blob::notes::{self, note_name, note_size};
use liuhen_db::StoredCheckpoint;
use liuhen_merkle::{Checkpoint, Hash, SignedCheckpoint};

use crate::verify::VerifyReport;
use crate::{AppError, Custody};

/// One place where checkpoint notes are kept.
#[derive(Clone)]
enum Place {
    Store,
    Witness(PathBuf),
}

impl Place {
    fn describe(&self, name: &str) -> String {
        match self {
            Place::Store => format!("the blob store's {}/{name}", notes::NOTE_AREA),
            Place::Witness(dir) => format!("the witness directory's {}", dir.join(name).display()),
        }
    }
}

/// A note that verified: where it is, and the tree it signs.
struct External {
    place: String,
    size: u64,
    root: Hash,
}

impl Custody {
    fn places(&self) -> Vec<Place> {
        let mut places = vec![Place::Store];
        if let Some(dir) = self.config.checkpoints.witness(&self.data_dir) {
            places.push(Place::Witness(dir));
        }
        places
    }

    /// Keeps `c` outside the database, in every place (idempotent: the same note again is
    /// nothing to do; another note of the same size is refused, `NoteConflict`).
    pub(crate) async fn publish_checkpoint(&self, c: &StoredCheckpoint) -> Result<(), AppError> {
        let name = note_name(c.tree_size);
        let note = crate::log::checkpoint_note(c).into_bytes();
        let years = i64::from(self.config.checkpoints.retain_years);
        let until = self
            .now()
            .checked_add(jiff::SignedDuration::from_hours(years * 366 * 24))
            .unwrap_or(jiff::Timestamp::MAX);
        for place in self.places() {
            let (blobs, name, note) = (self.blobs.clone(), name.clone(), note.clone());
            tokio::task::spawn_blocking(move || match place {
                Place::Store => blobs.put_note(&name, &note, until),
                Place::Witness(dir) => notes::write_once_file(&dir, &name, &note),
            })
            .await??;
        }
        self.published.fetch_max(c.tree_size, Ordering::SeqCst);
        Ok(())
    }

    /// Keeps the newest stored checkpoint outside the database if this process has not yet
    /// done so (checkpoints signed before issue 14, a witness directory added later).
    pub(crate) async fn publish_latest(&self, c: &StoredCheckpoint) -> Result<(), AppError> {
        if self.published.load(Ordering::SeqCst) >= c.tree_size {
            return Ok(());
        }
        self.publish_checkpoint(c).await
    }

    /// `verify`: the log against the newest valid note of each place.
    pub(crate) async fn check_external(
        &self,
        db_latest: Option<u64>,
        report: &mut VerifyReport,
    ) -> Result<(), AppError> {
        let mut externals = Vec::new();
        for place in self.places() {
            match self.newest_note(&place, report).await {
                Ok(Some(e)) => externals.push(e),
                Ok(None) if db_latest.is_some() => report.push_warning(
                    "checkpoint_external_missing",
                    "log",
                    format!(
                        "no checkpoint is kept in {}: a rolled-back or truncated log could not be \
                         told from there (run `liuhen log checkpoint` to write the latest one)",
                        place.describe("")
                    ),
                ),
                Ok(None) => {}
                Err(e) => report.push_problem(
                    "checkpoint_external_unreadable",
                    "log",
                    format!(
                        "the checkpoints kept in {} cannot be read: {}",
                        place.describe(""),
                        crate::ingest::error_chain(&e)
                    ),
                ),
            }
        }
        for e in externals {
            let leaves = self.db.leaf_hashes(e.size).await?;
            let subject = format!("checkpoint:external:{}", e.size);
            if (leaves.len() as u64) < e.size {
                report.push_problem(
                    "checkpoint_external_beyond_log",
                    subject,
                    format!(
                        "the checkpoint kept outside the database in {} covers {} entries, but the \
                         log holds only {}: the database was restored from an older copy or the \
                         log was truncated (rolled back)",
                        e.place,
                        e.size,
                        leaves.len()
                    ),
                );
            } else if liuhen_merkle::root_from_leaf_hashes(&leaves) != e.root {
                report.push_problem(
                    "checkpoint_external_root_mismatch",
                    subject,
                    format!(
                        "the checkpoint kept outside the database in {} signed a root over the first \
                         {} entries that the log no longer produces: entries were rewritten, \
                         deleted or inserted (the chain recomputed, or the log re-signed)",
                        e.place, e.size
                    ),
                );
            }
            if db_latest.is_some_and(|s| s > e.size) {
                report.push_warning(
                    "checkpoint_external_behind",
                    "log",
                    format!(
                        "the newest checkpoint in {} covers {} entries, the database's newest {}: \
                         notes are missing there",
                        e.place,
                        e.size,
                        db_latest.unwrap_or_default()
                    ),
                );
            }
        }
        Ok(())
    }

    /// The newest note of `place` that is well-formed, of this log and signed by its keys;
    /// every newer one that is not is a problem.
    async fn newest_note(
        &self,
        place: &Place,
        report: &mut VerifyReport,
    ) -> Result<Option<External>, AppError> {
        let (blobs, p) = (self.blobs.clone(), place.clone());
        let names = tokio::task::spawn_blocking(move || match p {
            Place::Store => blobs.note_names(),
            Place::Witness(dir) => notes::list_note_files(&dir),
        })
        .await??;
        let public = self.keys.public_keys();
        for name in names.into_iter().rev() {
            let (blobs, p, n) = (self.blobs.clone(), place.clone(), name.clone());
            let bytes = tokio::task::spawn_blocking(move || match p {
                Place::Store => blobs.read_note(&n),
                Place::Witness(dir) => notes::read_note_file(&dir, &n),
            })
            .await??;
            let Some(bytes) = bytes else { continue };
            let where_ = place.describe(&name);
            let subject = format!("checkpoint:external:{}", note_size(&name).unwrap_or(0));
            let signed = match parse_note(&bytes) {
                Ok(s) if Some(s.checkpoint.size) == note_size(&name) => s,
                Ok(s) => {
                    report.push_problem(
                        "checkpoint_external_invalid",
                        subject,
                        format!("{where_} holds a checkpoint of size {}", s.checkpoint.size),
                    );
                    continue;
                }
                Err(e) => {
                    report.push_problem(
                        "checkpoint_external_invalid",
                        subject,
                        format!("{where_} is not a signed checkpoint note: {e}"),
                    );
                    continue;
                }
            };
            if signed.checkpoint.origin != self.origin {
                report.push_problem(
                    "checkpoint_external_foreign",
                    subject,
                    format!(
                        "{where_} is a checkpoint of the log {:?}, not of this log {:?}",
                        signed.checkpoint.origin, self.origin
                    ),
                );
                continue;
            }
            if let Err(e) = public.verify(&signed) {
                report.push_problem(
                    "checkpoint_external_signature",
                    subject,
                    format!(
                        "{where_} does not verify under this log's keys ({e}): the keys were \
                         replaced, or the note forged"
                    ),
                );
                continue;
            }
            return Ok(Some(External {
                place: where_,
                size: signed.checkpoint.size,
                root: signed.checkpoint.root,
            }));
        }
        Ok(None)
    }
}

/// Parses a signed note as [`crate::log::checkpoint_note`] writes it: the four body lines,
/// an empty line, `— ed25519 <base64>`, `— sm2 <base64>`.
pub fn parse_note(bytes: &[u8]) -> Result<SignedCheckpoint, String> {
    use base64::Engine as _;
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_owned())?;
    let (body, sigs) = text
        .split_once("\n\n")
        .ok_or_else(|| "no empty line after the body".to_owned())?;
    let checkpoint = Checkpoint::parse_body(&format!("{body}\n")).map_err(|e| e.to_string())?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut ed = None;
    let mut sm2 = None;
    for line in sigs.lines() {
        let sig = |prefix: &str| {
            line.strip_prefix(prefix)
                .map(|s| b64.decode(s).map_err(|e| format!("{prefix}: {e}")))
        };
        if let Some(s) = sig("— ed25519 ") {
            ed = Some(s?);
        } else if let Some(s) = sig("— sm2 ") {
            sm2 = Some(s?);
        } else {
            return Err(format!("unexpected line {line:?}"));
        }
    }
    Ok(SignedCheckpoint {
        checkpoint,
        ed25519_sig: ed.ok_or("no Ed25519 signature")?,
        sm2_sig: sm2.ok_or("no SM2 signature")?,
    })
}
