//! The time of the use cases. Every use case asks its [`Custody`](crate::Custody) for the
//! time (`Custody::now`), never the system directly, so tests can move a store forward by
//! years (retention, disposal, expiry) without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The system's clock: production.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// The system's clock moved by an offset that only grows ([`MovableClock::advance`]): time
/// still passes (log entries stay in order), and a test jumps years ahead at once.
#[derive(Debug, Default)]
pub struct MovableClock {
    offset_ms: AtomicI64,
}

impl MovableClock {
    pub fn new() -> Arc<MovableClock> {
        Arc::new(MovableClock::default())
    }

    /// Moves the clock forward by `by` (a negative duration is ignored: time never goes back).
    pub fn advance(&self, by: SignedDuration) {
        let ms = by.as_millis().clamp(0, i64::MAX as i128) as i64;
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// Moves the clock forward by whole calendar years of 365.25 days.
    pub fn advance_years(&self, years: u32) {
        self.advance(SignedDuration::from_hours(i64::from(years) * 8766));
    }
}

impl Clock for MovableClock {
    fn now(&self) -> Timestamp {
        let ms = Timestamp::now().as_millisecond() + self.offset_ms.load(Ordering::SeqCst);
        Timestamp::from_millisecond(ms).unwrap_or(Timestamp::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movable_clock_only_moves_forward() {
        let c = MovableClock::new();
        let t0 = c.now();
        c.advance_years(6);
        let t1 = c.now();
        let moved = t1.duration_since(t0);
        assert!(moved >= SignedDuration::from_hours(6 * 8766), "{moved:?}");
        assert!(
            moved < SignedDuration::from_hours(6 * 8766 + 1),
            "{moved:?}"
        );
        c.advance(SignedDuration::from_hours(-100_000));
        assert!(c.now() >= t1);
    }
}
