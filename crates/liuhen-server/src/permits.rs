//! Playback asks for the same record many times a second: every seek and every buffered
//! stretch of a video is a `Range` request. The first request of a credential for a
//! record goes the whole way (credential, record, the access policy at the single
//! authorization point, refusals logged); the permission it found is reused for at most
//! [`REUSE_FOR`], and never after this process has committed any change (sign-out, a
//! revoked token or grant, a disabled user, a reclassified record …): every such change is
//! a committed `liuhen_db::Tx`, which advances `Db::commits`. Changes committed by another
//! process (the CLI, another instance on the same PostgreSQL) take effect within
//! [`REUSE_FOR`]. Only permissions are kept, never refusals.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use liuhen_app::playback::Playable;

/// How long a permission found for one request may serve the next ones.
pub const REUSE_FOR: Duration = Duration::from_secs(1);
/// Beyond this many entries, stale ones are dropped (and all of them if none is stale).
const MAX_ENTRIES: usize = 4096;

/// What a permit lets the credential fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fetch {
    Media,
    Thumbnail,
}

#[derive(Default)]
pub struct Permits {
    map: Mutex<HashMap<Key, Permit>>,
}

type Key = (String, String, Fetch);

struct Permit {
    playable: Playable,
    commits: u64,
    at: Instant,
}

impl Permits {
    /// The blob `credential` may fetch for `record`, if a permission found since the
    /// `commits`-th commit and less than [`REUSE_FOR`] ago says so.
    pub fn get(
        &self,
        credential: &str,
        record: &str,
        fetch: Fetch,
        commits: u64,
    ) -> Option<Playable> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let key = (credential.to_owned(), record.to_owned(), fetch);
        map.get(&key)
            .filter(|p| p.commits == commits && p.at.elapsed() < REUSE_FOR)
            .map(|p| p.playable.clone())
    }

    /// Keeps a permission found after reading `commits` (read before the checks began).
    pub fn put(
        &self,
        credential: &str,
        record: &str,
        fetch: Fetch,
        commits: u64,
        playable: Playable,
    ) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, p| p.at.elapsed() < REUSE_FOR);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        let permit = Permit {
            playable,
            commits,
            at: Instant::now(),
        };
        map.insert((credential.to_owned(), record.to_owned(), fetch), permit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liuhen_domain::Sha256Digest;

    fn playable() -> Playable {
        Playable {
            sha256: Sha256Digest::from_bytes([7; 32]),
            size: 10,
            content_type: "video/mp4",
            derived: false,
        }
    }

    #[test]
    fn a_permit_serves_the_same_credential_record_and_fetch_until_a_commit() {
        let permits = Permits::default();
        permits.put("tok", "r1", Fetch::Media, 5, playable());
        assert_eq!(permits.get("tok", "r1", Fetch::Media, 5), Some(playable()));
        assert_eq!(
            permits.get("tok", "r1", Fetch::Media, 6),
            None,
            "a commit since"
        );
        assert_eq!(
            permits.get("tok", "r2", Fetch::Media, 5),
            None,
            "another record"
        );
        assert_eq!(
            permits.get("other", "r1", Fetch::Media, 5),
            None,
            "another credential"
        );
        assert_eq!(
            permits.get("tok", "r1", Fetch::Thumbnail, 5),
            None,
            "another fetch"
        );
    }

    #[test]
    fn the_map_stays_bounded() {
        let permits = Permits::default();
        for i in 0..(MAX_ENTRIES + 10) {
            permits.put(&format!("t{i}"), "r", Fetch::Media, 0, playable());
        }
        assert!(permits.map.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
