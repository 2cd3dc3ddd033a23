//! Checkpoints (signed tree heads) in the style of C2SP `tlog-checkpoint`.
//!
//! The signed body is exactly four lines, each ended by `\n`:
//!
//! ```text
//! <origin>\n            e.g. "liuhen.example/evidence-log", non-empty, no control characters
//! <size>\n              decimal tree size, no sign, no leading zeros
//! <root>\n              standard base64 (with padding) of the 32-byte root hash
//! <timestamp_ms>\n      decimal milliseconds since the Unix epoch (may be negative)
//! ```
//!
//! The first three lines are those of C2SP `tlog-checkpoint`; the timestamp is
//! liuhen's single extension line. Parsing is strict: `parse_body(body())`
//! round-trips and nothing else is accepted, so one checkpoint has exactly one
//! encoding.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::tree::Hash;

/// A tree head: the state of the log at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Identifies the log; must be non-empty and contain no control characters.
    pub origin: String,
    /// Number of leaves in the tree.
    pub size: u64,
    /// Merkle Tree Hash of those leaves.
    pub root: Hash,
    /// When the checkpoint was made, milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
}

/// A checkpoint signed with both liuhen log keys (see [`crate::keys`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    /// Ed25519 signature (64 bytes) over [`Checkpoint::body`].
    pub ed25519_sig: Vec<u8>,
    /// SM2-with-SM3 signature (ASN.1 DER `SEQUENCE { r, s }`, distinguishing
    /// id `1234567812345678`) over [`Checkpoint::body`].
    pub sm2_sig: Vec<u8>,
}

/// Why a checkpoint body is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    #[error("checkpoint body must end with a newline")]
    MissingFinalNewline,
    #[error("checkpoint body has {0} lines, expected 4 (origin, size, root, timestamp)")]
    WrongLineCount(usize),
    #[error("checkpoint origin is empty")]
    EmptyOrigin,
    #[error("checkpoint origin contains a control character")]
    OriginControlChar,
    #[error("checkpoint size {0:?} is not a canonical unsigned decimal")]
    BadSize(String),
    #[error("checkpoint root {0:?} is not canonical base64 of 32 bytes")]
    BadRoot(String),
    #[error("checkpoint timestamp {0:?} is not a canonical decimal integer")]
    BadTimestamp(String),
}

impl Checkpoint {
    /// The exact bytes that are signed (see the module documentation).
    #[must_use]
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root),
            self.timestamp_ms
        )
    }

    /// Check the invariants that make [`Checkpoint::body`] unambiguous.
    ///
    /// # Errors
    /// [`CheckpointError::EmptyOrigin`] or [`CheckpointError::OriginControlChar`].
    pub fn validate(&self) -> Result<(), CheckpointError> {
        if self.origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        if self.origin.chars().any(char::is_control) {
            return Err(CheckpointError::OriginControlChar);
        }
        Ok(())
    }

    /// Parse a body produced by [`Checkpoint::body`].
    ///
    /// # Errors
    /// A [`CheckpointError`] naming the first problem found.
    pub fn parse_body(body: &str) -> Result<Self, CheckpointError> {
        let Some(body) = body.strip_suffix('\n') else {
            return Err(CheckpointError::MissingFinalNewline);
        };
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root, ts] = lines[..] else {
            return Err(CheckpointError::WrongLineCount(lines.len()));
        };

        let size_ok = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size = size_ok
            .then(|| size.parse::<u64>().ok())
            .flatten()
            .ok_or_else(|| CheckpointError::BadSize(size.to_owned()))?;

        let root = STANDARD
            .decode(root)
            .ok()
            .and_then(|v| Hash::try_from(v).ok())
            .filter(|h| STANDARD.encode(h) == root)
            .ok_or_else(|| CheckpointError::BadRoot(root.to_owned()))?;

        let timestamp_ms = ts
            .parse::<i64>()
            .ok()
            .filter(|t| t.to_string() == ts)
            .ok_or_else(|| CheckpointError::BadTimestamp(ts.to_owned()))?;

        let cp = Self {
            origin: origin.to_owned(),
            size,
            root,
            timestamp_ms,
        };
        cp.validate()?;
        Ok(cp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            origin: "liuhen.example/log 证据".to_owned(),
            size: 8,
            root: crate::tree::leaf_hash(b"x"),
            timestamp_ms: 1_700_000_000_123,
        }
    }

    #[test]
    fn body_round_trips() {
        let cp = sample();
        let body = cp.body();
        assert_eq!(body.lines().count(), 4);
        assert!(body.ends_with("\n1700000000123\n"));
        assert_eq!(Checkpoint::parse_body(&body).unwrap(), cp);
        let neg = Checkpoint {
            timestamp_ms: -5,
            size: 0,
            ..cp
        };
        assert_eq!(Checkpoint::parse_body(&neg.body()).unwrap(), neg);
    }

    #[test]
    fn known_body() {
        let cp = Checkpoint {
            origin: "o".into(),
            size: 1,
            root: [0; 32],
            timestamp_ms: 2,
        };
        assert_eq!(
            cp.body(),
            "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n2\n"
        );
    }

    #[test]
    fn rejects_malformed_bodies() {
        use CheckpointError as E;
        let root = STANDARD.encode([7u8; 32]);
        type Check = fn(&E) -> bool;
        let cases: Vec<(String, Check)> = vec![
            (format!("o\n1\n{root}\n2"), |e| *e == E::MissingFinalNewline),
            (format!("o\n1\n{root}\n"), |e| *e == E::WrongLineCount(3)),
            (format!("o\n1\n{root}\n2\n\n"), |e| {
                *e == E::WrongLineCount(5)
            }),
            (format!("\n1\n{root}\n2\n"), |e| *e == E::EmptyOrigin),
            (format!("o\r\n1\n{root}\n2\n"), |e| {
                *e == E::OriginControlChar
            }),
            (format!("o\n01\n{root}\n2\n"), |e| {
                matches!(e, E::BadSize(_))
            }),
            (format!("o\n+1\n{root}\n2\n"), |e| {
                matches!(e, E::BadSize(_))
            }),
            (format!("o\n-1\n{root}\n2\n"), |e| {
                matches!(e, E::BadSize(_))
            }),
            (format!("o\n\n{root}\n2\n"), |e| matches!(e, E::BadSize(_))),
            (format!("o\n99999999999999999999\n{root}\n2\n"), |e| {
                matches!(e, E::BadSize(_))
            }),
            ("o\n1\nAAAA\n2\n".to_owned(), |e| matches!(e, E::BadRoot(_))),
            (format!("o\n1\n{}\n2\n", &root[..root.len() - 1]), |e| {
                matches!(e, E::BadRoot(_))
            }),
            // Non-canonical base64: "c=" -> "d=" differs only in unused bits.
            (format!("o\n1\n{}d=\n2\n", &root[..root.len() - 2]), |e| {
                matches!(e, E::BadRoot(_))
            }),
            (format!("o\n1\n{root}\n02\n"), |e| {
                matches!(e, E::BadTimestamp(_))
            }),
            (format!("o\n1\n{root}\n+2\n"), |e| {
                matches!(e, E::BadTimestamp(_))
            }),
            (format!("o\n1\n{root}\n2.0\n"), |e| {
                matches!(e, E::BadTimestamp(_))
            }),
        ];
        for (body, ok) in cases {
            let err = Checkpoint::parse_body(&body).expect_err(&body);
            assert!(ok(&err), "{body:?} gave {err:?}");
            assert!(!err.to_string().is_empty());
        }
    }
}
