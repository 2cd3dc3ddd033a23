//! Interruptions of full-process recording and their explanations (R2.5).

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::RecordId;
use crate::case::{Explanation, LinkedRecording};
use crate::lists::Lists;

/// A gap beyond the tolerance between consecutive recordings of one officer's device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interruption {
    pub officer: String,
    pub device: String,
    /// The recording before the gap and the one in which recording resumed.
    pub before: RecordId,
    pub after: RecordId,
    pub gap_start: Timestamp,
    pub gap_end: Timestamp,
    /// Length of the resumed recording: the explanation must be spoken within it.
    pub after_duration: SignedDuration,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplanationError {
    #[error(
        "说明应附在中断后重新开始的记录 {expected} 上，而不是 {got} / the explanation belongs to the resumed recording {expected}, not {got}"
    )]
    WrongRecording { expected: RecordId, got: RecordId },
    #[error(
        "语音说明位置第 {offset_s} 秒不在中断后的下一段记录内（该记录长 {duration_s} 秒） / the spoken explanation at {offset_s} s lies outside the next recording ({duration_s} s long)"
    )]
    OutsideNextRecording { offset_s: u32, duration_s: i64 },
    #[error("中断原因为“其他”时必须填写说明 / reason \"other\" needs a text")]
    MissingText,
    #[error("未知的中断原因 {0:?} / unknown interruption reason")]
    UnknownReason(String),
}

impl Interruption {
    pub fn gap(&self) -> SignedDuration {
        self.gap_start.duration_until(self.gap_end)
    }

    /// Whether `e` may be recorded as the explanation of this interruption (R2.5): it is
    /// attached to the resumed recording, spoken within it, its reason is one of `lists`,
    /// and a reason that needs words ("other") carries a text.
    pub fn accept(&self, e: &Explanation, lists: &Lists) -> Result<(), ExplanationError> {
        if e.resumed_record != self.after {
            return Err(ExplanationError::WrongRecording {
                expected: self.after.clone(),
                got: e.resumed_record.clone(),
            });
        }
        let Some(reason) = lists.reason_entry(&e.reason) else {
            return Err(ExplanationError::UnknownReason(e.reason.code().to_owned()));
        };
        if reason.note_required && e.text.trim().is_empty() {
            return Err(ExplanationError::MissingText);
        }
        if SignedDuration::from_secs(i64::from(e.spoken_at_offset_s)) > self.after_duration {
            return Err(ExplanationError::OutsideNextRecording {
                offset_s: e.spoken_at_offset_s,
                duration_s: self.after_duration.as_secs(),
            });
        }
        Ok(())
    }
}

/// Interruptions among `recordings` (those in `modes`, overlapping the step window),
/// chained per officer and device, with gaps longer than `tolerance`.
pub fn find_interruptions(
    window: (Timestamp, Timestamp),
    recordings: &[&LinkedRecording],
    tolerance: SignedDuration,
) -> Vec<Interruption> {
    let mut chains: BTreeMap<(&str, &str), Vec<&LinkedRecording>> = BTreeMap::new();
    for r in recordings {
        if r.start <= window.1 && r.end >= window.0 {
            chains.entry((&r.officer, &r.device)).or_default().push(r);
        }
    }
    let mut out = Vec::new();
    for ((officer, device), mut chain) in chains {
        chain.sort_by_key(|r| (r.start, r.end));
        let mut reach = chain[0];
        for next in &chain[1..] {
            if reach.end.duration_until(next.start) > tolerance {
                out.push(Interruption {
                    officer: officer.to_owned(),
                    device: device.to_owned(),
                    before: reach.record_id.clone(),
                    after: next.record_id.clone(),
                    gap_start: reach.end,
                    gap_end: next.start,
                    after_duration: next.start.duration_until(next.end),
                });
            }
            if next.end > reach.end {
                reach = next;
            }
        }
    }
    out.sort_by_key(|i| i.gap_start);
    out
}
