//! Disposal (R6.3, R2.7): which records are due for the disposal list (销毁清册). Pure: the
//! caller passes the time and the facts. A record is due only when its retention has ended,
//! no preservation hold is in force on it or on one of its cases, and none of its cases is
//! still open (an open case's period has not even started).

use jiff::Timestamp;

/// Where a record stands with respect to disposal; the first reason that keeps it wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// A hold is in force (R3.7): never listed, whatever its retention.
    Held,
    /// Linked to a case not archived yet.
    OpenCase,
    /// Its retention has not ended.
    Kept,
    /// Retention ended, no hold, no open case: listed.
    Due,
}

impl Standing {
    pub fn code(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::OpenCase => "open_case",
            Self::Kept => "kept",
            Self::Due => "due",
        }
    }
}

/// The facts about one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub retain_until: Timestamp,
    pub held: bool,
    pub in_open_case: bool,
}

pub fn standing(facts: Facts, now: Timestamp) -> Standing {
    if facts.held {
        Standing::Held
    } else if facts.in_open_case {
        Standing::OpenCase
    } else if facts.retain_until > now {
        Standing::Kept
    } else {
        Standing::Due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standing_table() {
        let now: Timestamp = "2032-06-01T00:00:00Z".parse().unwrap();
        let past: Timestamp = "2029-12-07T16:00:00Z".parse().unwrap();
        let future: Timestamp = "2056-12-07T16:00:00Z".parse().unwrap();
        // (retain_until, held, in open case, expected)
        let rows = [
            (past, false, false, Standing::Due),
            (now, false, false, Standing::Due),
            (future, false, false, Standing::Kept),
            (past, true, false, Standing::Held),
            (past, true, true, Standing::Held),
            (past, false, true, Standing::OpenCase),
            (future, false, true, Standing::OpenCase),
            (future, true, false, Standing::Held),
        ];
        for (retain_until, held, in_open_case, want) in rows {
            let f = Facts {
                retain_until,
                held,
                in_open_case,
            };
            assert_eq!(standing(f, now), want, "{f:?}");
        }
        assert_eq!(Standing::Due.code(), "due");
    }
}
