//! Link proposals: which records probably belong to a step, ranked by time overlap with
//! the step window, the officer and the device. A person confirms each proposal; nothing
//! is linked here.

use jiff::{SignedDuration, Timestamp};

use crate::RecordId;
use crate::case::{LinkedRecording, Step};

/// A record proposed for a step, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub record_id: RecordId,
    /// Higher is more likely; 0–180.
    pub score: u32,
    /// How long the recording overlaps the step window.
    pub overlap: SignedDuration,
    pub officer_matches: bool,
    pub device_matches: bool,
    /// The reasons, in Chinese, for the person who confirms.
    pub reasons_zh: Vec<String>,
}

fn minutes(d: SignedDuration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s} 秒")
    } else {
        format!("{} 分钟", s / 60)
    }
}

/// Ranks `candidates` for `step`. A candidate is proposed only when it overlaps the step
/// window widened by `slack` on both sides (a photo: lies within it), and is not already
/// linked. `linked` are the step's confirmed recordings (their devices count as the
/// step's devices). Score: up to 100 for the share of the window covered, 50 when the
/// officer is one of the step's officers, 30 when the device already recorded this step.
pub fn propose(
    step: &Step,
    linked: &[LinkedRecording],
    candidates: &[LinkedRecording],
    slack: SignedDuration,
) -> Vec<Proposal> {
    let (w0, w1) = step.window;
    let lo = w0.checked_sub(slack).unwrap_or(w0);
    let hi = w1.checked_add(slack).unwrap_or(w1);
    let window = w0.duration_until(w1).max(SignedDuration::from_secs(1));
    let mut out: Vec<(Proposal, Timestamp)> = Vec::new();
    for c in candidates {
        if linked.iter().any(|l| l.record_id == c.record_id)
            || out.iter().any(|(p, _)| p.record_id == c.record_id)
        {
            continue;
        }
        let touches = if c.start == c.end {
            c.start >= lo && c.start <= hi
        } else {
            c.start < hi && c.end > lo
        };
        if !touches {
            continue;
        }
        let overlap = c
            .start
            .max(w0)
            .duration_until(c.end.min(w1))
            .max(SignedDuration::ZERO);
        let share = (overlap.as_millis() * 100 / window.as_millis()).clamp(0, 100) as u32;
        let officer_matches = !c.officer.is_empty() && step.officers.contains(&c.officer);
        let device_matches = !c.device.is_empty() && linked.iter().any(|l| l.device == c.device);
        let mut reasons_zh = Vec::new();
        if c.start == c.end {
            reasons_zh.push("拍摄时间在环节时间内".to_owned());
        } else if overlap > SignedDuration::ZERO {
            reasons_zh.push(format!(
                "与环节时间重叠 {}（占环节时长 {share}%）",
                minutes(overlap)
            ));
        } else {
            reasons_zh.push("紧邻环节时间".to_owned());
        }
        if officer_matches {
            reasons_zh.push(format!("执法人员{}是本环节执法人员", c.officer));
        }
        if device_matches {
            reasons_zh.push(format!("设备 {} 已有本环节的记录", c.device));
        }
        let photo_bonus = if c.start == c.end { 20 } else { 0 };
        let score = share
            + photo_bonus
            + if officer_matches { 50 } else { 0 }
            + if device_matches { 30 } else { 0 };
        out.push((
            Proposal {
                record_id: c.record_id.clone(),
                score: score.min(180),
                overlap,
                officer_matches,
                device_matches,
                reasons_zh,
            },
            c.start,
        ));
    }
    out.sort_by(|(a, at), (b, bt)| b.score.cmp(&a.score).then(at.cmp(bt)));
    out.into_iter().map(|(p, _)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MediaKind;
    use crate::case::RecordingMode;

    fn t(s: &str) -> Timestamp {
        format!("2026-03-01T{s}:00Z").parse().unwrap()
    }

    fn rec(n: u8, officer: &str, device: &str, start: &str, end: &str) -> LinkedRecording {
        LinkedRecording {
            record_id: RecordId::parse(&format!("0190f3a0-0000-7000-8000-0000000000{n:02x}"))
                .unwrap(),
            kind: MediaKind::Video,
            mode: RecordingMode::Video,
            officer: officer.into(),
            device: device.into(),
            start: t(start),
            end: t(end),
        }
    }

    fn step() -> Step {
        Step {
            id: "s".into(),
            checklist_row: Some("1.7".into()),
            name: "听证".into(),
            window: (t("10:00"), t("11:00")),
            place: "听证室".into(),
            officers: vec!["张伟".into()],
            on_site: false,
            disputed: false,
        }
    }

    #[test]
    fn ranking_table() {
        let linked = vec![rec(1, "张伟", "DSJ-1", "10:00", "10:10")];
        let slack = SignedDuration::from_mins(5);
        // (candidate, proposed?, expected score)
        let rows = [
            (rec(1, "张伟", "DSJ-1", "10:00", "10:10"), None), // already linked
            (
                rec(2, "张伟", "DSJ-1", "10:10", "11:00"),
                Some(83 + 50 + 30),
            ),
            (rec(3, "李娜", "DSJ-9", "10:00", "11:00"), Some(100)),
            (rec(4, "张伟", "DSJ-2", "09:00", "09:30"), None), // before the window
            (rec(5, "张伟", "DSJ-2", "11:02", "11:20"), Some(50)), // within the slack
            (rec(6, "王芳", "DSJ-3", "12:00", "12:30"), None),
            (rec(7, "", "", "10:30", "10:30"), Some(20)), // a photo inside
        ];
        for (c, expected) in &rows {
            let got = propose(&step(), &linked, std::slice::from_ref(c), slack);
            assert_eq!(got.first().map(|p| p.score), *expected, "{}", c.record_id);
        }
        let all: Vec<LinkedRecording> = rows.iter().map(|(c, _)| c.clone()).collect();
        let ranked: Vec<u32> = propose(&step(), &linked, &all, slack)
            .iter()
            .map(|p| p.score)
            .collect();
        assert_eq!(ranked, vec![163, 100, 50, 20]);
        let best = &propose(&step(), &linked, &all, slack)[0];
        assert!(best.officer_matches && best.device_matches);
        assert_eq!(best.reasons_zh.len(), 3);
        assert!(best.reasons_zh[0].contains("50 分钟"));
    }
}
