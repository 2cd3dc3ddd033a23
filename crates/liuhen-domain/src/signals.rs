//! Misconduct signals (R3.13): pure detection over plain events read from the audit log.
//! Each signal names the person, what was seen and the log entries behind it. Thresholds
//! come from configuration. A signal's key (kind, person, first evidence entry) is stable
//! as the log grows, so an acknowledgement stays attached to it.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::Offset;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignalKind {
    /// Access refused again and again to the same person.
    RepeatedRefusals,
    /// Use beyond a grant: refused outside its scope after having had one, or used after
    /// it expired or was revoked, or on a record it does not cover.
    OutsideGrant,
    /// Many downloads or copies in a short time.
    BulkTakeaway,
    /// Access outside working hours, on weekends or days off.
    OddHours,
    /// An attempt to delete or alter an original.
    TamperAttempt,
    /// A legal review (法制审核) past its time limit without an outcome: one per
    /// `decision.review_overdue` entry (raised once per round and time limit).
    ReviewOverdue,
    /// An original found altered, missing or unreadable: by a fixity pass, or by a
    /// download cut because it did not hash to its digest (R6.2).
    IntegrityFailure,
}

impl SignalKind {
    pub const ALL: [SignalKind; 7] = [
        Self::RepeatedRefusals,
        Self::OutsideGrant,
        Self::BulkTakeaway,
        Self::OddHours,
        Self::TamperAttempt,
        Self::ReviewOverdue,
        Self::IntegrityFailure,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::RepeatedRefusals => "repeated_refusals",
            Self::OutsideGrant => "outside_grant",
            Self::BulkTakeaway => "bulk_takeaway",
            Self::OddHours => "odd_hours",
            Self::TamperAttempt => "tamper_attempt",
            Self::ReviewOverdue => "review_overdue",
            Self::IntegrityFailure => "integrity_failure",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// An `access.refused` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub seq: u64,
    pub at_ms: i64,
    pub actor: String,
    /// The refused action's code (`record.view`, `record.delete`, …).
    pub action: String,
    /// The policy's reason code (`outside_scope`, `role_not_permitted`, …).
    pub reason: String,
}

/// A use of a record (a row of the access register).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub seq: u64,
    pub at_ms: i64,
    pub actor: String,
    /// Register kind code (`view`, `download`, `copy`, …).
    pub kind: String,
    pub record: Option<String>,
    /// The grant the use was made under, if any.
    pub grant: Option<String>,
}

/// A grant as the log tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: String,
    /// The user it was granted to.
    pub user: Option<String>,
    /// Records it covers (empty: not stated).
    pub records: Vec<String>,
    pub granted_ms: i64,
    pub expires_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
    /// Log entries that created and revoked it.
    pub seqs: Vec<u64>,
}

/// Thresholds, from `[supervision.signals]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    pub refusals_count: usize,
    pub refusals_window_ms: i64,
    /// Refusal reasons that mean "outside what was granted".
    pub outside_grant_reasons: Vec<String>,
    pub bulk_count: usize,
    pub bulk_window_ms: i64,
    /// Register kinds counted as taking material away.
    pub bulk_kinds: Vec<String>,
    /// Local working hours `[start, end)`; uses outside them are odd.
    pub workday_start_hour: u8,
    pub workday_end_hour: u8,
    pub weekends_are_odd: bool,
    /// Extra days off (holidays) and extra working days (调休) in local dates.
    pub days_off: Vec<Date>,
    pub extra_workdays: Vec<Date>,
    pub odd_hours_kinds: Vec<String>,
    /// Refused action codes (or refusal reasons) that are attempts to delete or alter an
    /// original or the rows deciding access.
    pub tamper_actions: Vec<String>,
    /// The bureau's offset from UTC, seconds.
    pub utc_offset_seconds: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    pub kind: SignalKind,
    pub actor: String,
    pub first_ms: i64,
    pub last_ms: i64,
    /// Log entries behind it, in order.
    pub evidence: Vec<u64>,
    /// Entries that explain it without being part of it (the grant and its revocation).
    pub context: Vec<u64>,
    /// What exactly was seen, e.g. `grant_expired`, or the largest count in one window.
    pub detail: String,
}

impl Signal {
    /// Stable identity: kind, person, first evidence entry.
    pub fn key(&self) -> String {
        format!(
            "{}:{}:{}",
            self.kind.code(),
            self.actor,
            self.evidence.first().copied().unwrap_or(0)
        )
    }
}

/// A `fixity.failed` or `record.download_aborted` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityEvent {
    pub seq: u64,
    pub at_ms: i64,
    /// `system` for a scheduled pass; the downloading user for a cut download.
    pub actor: String,
    /// What was found: `blob_corrupt`, `blob_missing`, `blob_unreadable`, `download_aborted`.
    pub outcome: String,
}

pub struct Input<'a> {
    pub refusals: &'a [Refusal],
    pub uses: &'a [Use],
    pub grants: &'a [Grant],
    pub integrity: &'a [IntegrityEvent],
}

/// All signals, newest first.
pub fn detect(input: &Input<'_>, t: &Thresholds) -> Vec<Signal> {
    let mut out = repeated_refusals(input.refusals, t);
    out.extend(outside_grant(input, t));
    out.extend(bulk_takeaway(input.uses, t));
    out.extend(odd_hours(input.uses, t));
    out.extend(tamper_attempts(input.refusals, t));
    out.extend(integrity_failures(input.integrity));
    out.sort_by_key(|s| std::cmp::Reverse((s.last_ms, s.kind)));
    out
}

/// Events of one person chained while consecutive gaps stay within `window_ms`; a chain
/// is a signal when some `window_ms` span of it holds at least `count` events. Returns
/// (evidence, largest count in one window) per signal.
fn bursts(events: &[(u64, i64)], count: usize, window_ms: i64) -> Vec<(Vec<(u64, i64)>, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < events.len() {
        let mut end = start + 1;
        while end < events.len() && events[end].1 - events[end - 1].1 <= window_ms {
            end += 1;
        }
        let chain = &events[start..end];
        let (mut lo, mut best) = (0, 0);
        for hi in 0..chain.len() {
            while chain[hi].1 - chain[lo].1 > window_ms {
                lo += 1;
            }
            best = best.max(hi - lo + 1);
        }
        if count > 0 && best >= count {
            out.push((chain.to_vec(), best));
        }
        start = end;
    }
    out
}

fn by_actor<'a, T>(
    items: impl Iterator<Item = &'a T>,
    actor: impl Fn(&T) -> &str,
    at: impl Fn(&T) -> (u64, i64),
) -> BTreeMap<String, Vec<(u64, i64)>>
where
    T: 'a,
{
    let mut map: BTreeMap<String, Vec<(u64, i64)>> = BTreeMap::new();
    for item in items {
        map.entry(actor(item).to_owned())
            .or_default()
            .push(at(item));
    }
    for v in map.values_mut() {
        v.sort();
    }
    map
}

fn burst_signals(
    kind: SignalKind,
    map: BTreeMap<String, Vec<(u64, i64)>>,
    count: usize,
    window_ms: i64,
) -> Vec<Signal> {
    let mut out = Vec::new();
    for (actor, events) in map {
        for (chain, best) in bursts(&events, count, window_ms) {
            out.push(Signal {
                kind,
                actor: actor.clone(),
                first_ms: chain[0].1,
                last_ms: chain[chain.len() - 1].1,
                evidence: chain.iter().map(|e| e.0).collect(),
                context: Vec::new(),
                detail: best.to_string(),
            });
        }
    }
    out
}

pub fn repeated_refusals(refusals: &[Refusal], t: &Thresholds) -> Vec<Signal> {
    let map = by_actor(refusals.iter(), |r| &r.actor, |r| (r.seq, r.at_ms));
    burst_signals(
        SignalKind::RepeatedRefusals,
        map,
        t.refusals_count,
        t.refusals_window_ms,
    )
}

pub fn bulk_takeaway(uses: &[Use], t: &Thresholds) -> Vec<Signal> {
    let taken = uses.iter().filter(|u| t.bulk_kinds.contains(&u.kind));
    let map = by_actor(taken, |u| &u.actor, |u| (u.seq, u.at_ms));
    burst_signals(
        SignalKind::BulkTakeaway,
        map,
        t.bulk_count,
        t.bulk_window_ms,
    )
}

fn local_date(at_ms: i64, t: &Thresholds) -> Option<(Date, u8)> {
    let offset = Offset::from_seconds(t.utc_offset_seconds).ok()?;
    let dt = offset.to_datetime(Timestamp::from_millisecond(at_ms).ok()?);
    Some((dt.date(), dt.hour() as u8))
}

/// Whether a moment falls outside working time in the bureau's local time.
pub fn is_odd_time(at_ms: i64, t: &Thresholds) -> bool {
    let Some((date, hour)) = local_date(at_ms, t) else {
        return false;
    };
    let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
    let day_off = (t.weekends_are_odd && weekend && !t.extra_workdays.contains(&date))
        || t.days_off.contains(&date);
    day_off || hour < t.workday_start_hour || hour >= t.workday_end_hour
}

/// A flagged event: seq, time, what was seen.
type Flagged = (u64, i64, String);

/// Groups flagged events per person and local day into one signal each.
fn per_day(
    kind: SignalKind,
    flagged: Vec<(String, u64, i64, String)>,
    t: &Thresholds,
) -> Vec<Signal> {
    let mut groups: BTreeMap<(String, Option<Date>), Vec<Flagged>> = BTreeMap::new();
    for (actor, seq, at, detail) in flagged {
        let day = local_date(at, t).map(|d| d.0);
        groups
            .entry((actor, day))
            .or_default()
            .push((seq, at, detail));
    }
    groups
        .into_iter()
        .map(|((actor, _), mut ev)| {
            ev.sort();
            let mut details: Vec<&str> = Vec::new();
            for (_, _, d) in &ev {
                if !details.contains(&d.as_str()) {
                    details.push(d);
                }
            }
            Signal {
                kind,
                actor,
                first_ms: ev.iter().map(|e| e.1).min().unwrap_or(0),
                last_ms: ev.iter().map(|e| e.1).max().unwrap_or(0),
                evidence: ev.iter().map(|e| e.0).collect(),
                context: Vec::new(),
                detail: details.join(","),
            }
        })
        .collect()
}

pub fn odd_hours(uses: &[Use], t: &Thresholds) -> Vec<Signal> {
    let flagged = uses
        .iter()
        .filter(|u| t.odd_hours_kinds.contains(&u.kind) && is_odd_time(u.at_ms, t))
        .map(|u| (u.actor.clone(), u.seq, u.at_ms, u.kind.clone()))
        .collect();
    per_day(SignalKind::OddHours, flagged, t)
}

pub fn tamper_attempts(refusals: &[Refusal], t: &Thresholds) -> Vec<Signal> {
    let flagged = refusals
        .iter()
        .filter(|r| t.tamper_actions.contains(&r.action) || t.tamper_actions.contains(&r.reason))
        .map(|r| (r.actor.clone(), r.seq, r.at_ms, r.action.clone()))
        .collect();
    per_day(SignalKind::TamperAttempt, flagged, t)
}

/// Every integrity event is an alert of its own: nothing about an altered original may be
/// merged away or wait for a threshold.
pub fn integrity_failures(events: &[IntegrityEvent]) -> Vec<Signal> {
    events
        .iter()
        .map(|e| Signal {
            kind: SignalKind::IntegrityFailure,
            actor: e.actor.clone(),
            first_ms: e.at_ms,
            last_ms: e.at_ms,
            evidence: vec![e.seq],
            context: Vec::new(),
            detail: e.outcome.clone(),
        })
        .collect()
}

/// Why a use falls outside its grant, if it does.
pub fn grant_breach(u: &Use, grant: Option<&Grant>) -> Option<&'static str> {
    u.grant.as_ref()?;
    let Some(g) = grant else {
        return Some("grant_unknown");
    };
    if g.revoked_ms.is_some_and(|r| u.at_ms >= r) {
        Some("grant_revoked")
    } else if g.expires_ms.is_some_and(|e| u.at_ms >= e) {
        Some("grant_expired")
    } else if g.user.as_ref().is_some_and(|user| *user != u.actor) {
        Some("grant_other_user")
    } else if !g.records.is_empty() && u.record.as_ref().is_some_and(|r| !g.records.contains(r)) {
        Some("record_not_granted")
    } else if u.at_ms < g.granted_ms {
        Some("before_grant")
    } else {
        None
    }
}

pub fn outside_grant(input: &Input<'_>, t: &Thresholds) -> Vec<Signal> {
    let grants: HashMap<&str, &Grant> = input.grants.iter().map(|g| (g.id.as_str(), g)).collect();
    let mut first_grant: HashMap<&str, i64> = HashMap::new();
    for g in input.grants {
        if let Some(user) = &g.user {
            let e = first_grant.entry(user.as_str()).or_insert(g.granted_ms);
            *e = (*e).min(g.granted_ms);
        }
    }
    let mut flagged = Vec::new();
    let mut seen = HashSet::new();
    for r in input.refusals {
        let had_grant = first_grant
            .get(r.actor.as_str())
            .is_some_and(|g| *g <= r.at_ms);
        if had_grant && t.outside_grant_reasons.contains(&r.reason) && seen.insert(r.seq) {
            flagged.push((r.actor.clone(), r.seq, r.at_ms, r.reason.clone()));
        }
    }
    for u in input.uses {
        let grant = u.grant.as_deref().and_then(|g| grants.get(g).copied());
        if let Some(why) = grant_breach(u, grant)
            && seen.insert(u.seq)
        {
            flagged.push((u.actor.clone(), u.seq, u.at_ms, why.to_owned()));
        }
    }
    let mut out = per_day(SignalKind::OutsideGrant, flagged, t);
    let grant_of: HashMap<u64, &Grant> = input
        .uses
        .iter()
        .filter_map(|u| Some((u.seq, *grants.get(u.grant.as_deref()?)?)))
        .collect();
    for s in &mut out {
        let mut context: Vec<u64> = s
            .evidence
            .iter()
            .filter_map(|seq| grant_of.get(seq))
            .flat_map(|g| g.seqs.iter().copied())
            .collect();
        context.sort_unstable();
        context.dedup();
        s.context = context;
    }
    out
}

#[cfg(test)]
#[path = "signals_tests.rs"]
mod tests;
