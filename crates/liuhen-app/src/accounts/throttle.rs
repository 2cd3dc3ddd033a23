//! Sign-in throttling (issue 10, item 4). Three failure counters, all in `login_failures`
//! and all configured in `[security]`:
//! - per (user name, client address): `lockout_failures` consecutive failures lock that
//!   name **for that address only**, for `lockout_minutes`; so nobody can lock the system
//!   administrator out by failing from elsewhere;
//! - per client address, whatever the names: `address_lockout_failures` failures lock the
//!   address for `address_lockout_minutes` (password spraying, log flooding);
//! - per user name, from anywhere: after `account_delay_after_failures` consecutive
//!   failures every further attempt on the name is answered only after
//!   `account_delay_ms` — a delay, never a lock. A successful sign-in resets it.
//!
//! A user name that is not a valid one (too long, odd characters) is counted and logged
//! as a bounded form: its first characters and its SHA-256.

use liuhen_domain::auth::{FailureCounter, Username};
use sha2::{Digest, Sha256};

use crate::Custody;

/// Separates the name from the address in the keys of the counters; no user name holds it.
const SEP: char = '\u{1f}';
/// How many characters of an invalid user name go into the log.
const LOGGED_CHARS: usize = 32;
/// How many characters of a client address are kept (an IPv6 address has at most 45).
const ADDRESS_CHARS: usize = 64;

/// The counters one sign-in attempt touches, and how its user name is logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Attempt {
    /// The user name as counted: a valid name, or `invalid:<hash prefix>`.
    pub name: String,
    /// The client address (bounded).
    pub client: String,
    /// The user name as it goes into the log entry (bounded).
    pub logged: serde_json::Value,
}

impl Attempt {
    pub fn new(raw_name: &str, client: &str) -> Self {
        let client: String = client.chars().take(ADDRESS_CHARS).collect();
        match Username::parse(raw_name) {
            Ok(u) => Self {
                name: u.as_str().to_owned(),
                client,
                logged: serde_json::Value::String(u.as_str().to_owned()),
            },
            Err(_) => {
                let hash = hex::encode(Sha256::digest(raw_name.as_bytes()));
                let mut shown: String = raw_name.chars().take(LOGGED_CHARS).collect();
                if raw_name.chars().nth(LOGGED_CHARS).is_some() {
                    shown.push('…');
                }
                Self {
                    name: format!("invalid:{}", &hash[..32]),
                    client,
                    logged: serde_json::json!({
                        "shown": shown,
                        "sha256": hash,
                        "chars": raw_name.chars().count(),
                    }),
                }
            }
        }
    }

    /// The key of the (name, address) counter.
    pub fn pair_key(&self) -> String {
        format!("{}{SEP}{}", self.name, self.client)
    }

    /// The key of the address counter.
    pub fn address_key(&self) -> String {
        format!("{SEP}{}", self.client)
    }

    /// The key of the account counter (the delay).
    pub fn account_key(&self) -> &str {
        &self.name
    }
}

/// The prefix of every (name, address) counter of a user name.
pub(super) fn pair_prefix(name: &str) -> String {
    format!("{name}{SEP}")
}

/// The counters of one attempt as read before it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counters {
    pub pair: FailureCounter,
    pub address: FailureCounter,
    pub account: FailureCounter,
}

impl Counters {
    pub fn locked(&self, now_ms: i64) -> bool {
        self.pair.is_locked(now_ms) || self.address.is_locked(now_ms)
    }
}

impl Custody {
    pub(super) async fn counters(
        &self,
        tx: Option<&mut liuhen_db::Tx>,
        a: &Attempt,
    ) -> Result<Counters, crate::AppError> {
        Ok(match tx {
            Some(tx) => Counters {
                pair: tx.login_failures(&a.pair_key()).await?,
                address: tx.login_failures(&a.address_key()).await?,
                account: tx.login_failures(a.account_key()).await?,
            },
            None => Counters {
                pair: self.db.login_failures(&a.pair_key()).await?,
                address: self.db.login_failures(&a.address_key()).await?,
                account: self.db.login_failures(a.account_key()).await?,
            },
        })
    }

    /// Waits before answering an attempt on a name that has failed too often (the delay).
    pub(super) async fn account_delay(&self, c: &Counters) {
        let sec = &self.config.security;
        if c.account.failures >= sec.account_delay_after_failures && sec.account_delay_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(sec.account_delay_ms)).await;
        }
    }

    /// Counts one failure on every counter of the attempt; returns the counters after it.
    pub(super) async fn count_failure(
        &self,
        tx: &mut liuhen_db::Tx,
        a: &Attempt,
        before: Counters,
        now_ms: i64,
    ) -> Result<Counters, crate::AppError> {
        let sec = &self.config.security;
        let after = Counters {
            pair: before.pair.after_failure(sec.lockout(), now_ms),
            address: before.address.after_failure(sec.address_lockout(), now_ms),
            account: FailureCounter {
                failures: before.account.failures.saturating_add(1),
                locked_until_ms: None,
            },
        };
        tx.set_login_failures(&a.pair_key(), after.pair).await?;
        tx.set_login_failures(&a.address_key(), after.address)
            .await?;
        tx.set_login_failures(a.account_key(), after.account)
            .await?;
        Ok(after)
    }

    /// A successful sign-in: the name's counters from this address and its delay end.
    pub(super) async fn clear_failures(
        &self,
        tx: &mut liuhen_db::Tx,
        a: &Attempt,
    ) -> Result<(), crate::AppError> {
        tx.set_login_failures(&a.pair_key(), FailureCounter::default())
            .await?;
        tx.set_login_failures(a.account_key(), FailureCounter::default())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_counted_and_logged_bounded() {
        let a = Attempt::new(" ZhangWei ", "10.0.0.1");
        assert_eq!(a.name, "zhangwei");
        assert_eq!(a.logged, serde_json::json!("zhangwei"));
        assert_eq!(a.pair_key(), "zhangwei\u{1f}10.0.0.1");
        assert_eq!(a.address_key(), "\u{1f}10.0.0.1");
        let long = "a".repeat(1_500_000);
        let b = Attempt::new(&long, "10.0.0.1");
        assert!(
            b.name.starts_with("invalid:") && b.name.len() == 40,
            "{}",
            b.name
        );
        assert_eq!(b.logged["shown"], format!("{}…", "a".repeat(32)));
        assert_eq!(b.logged["chars"], 1_500_000);
        assert!(b.logged.to_string().len() < 200);
        assert_eq!(Attempt::new(&long, "x").name, b.name);
        assert_ne!(Attempt::new("a b", "x").name, b.name);
    }
}
