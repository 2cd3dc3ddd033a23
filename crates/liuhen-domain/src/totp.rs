//! Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 30-second steps,
//! six digits, one step of drift either way, and no code accepted twice.

use hmac::{KeyInit, Mac};

use crate::uri::encode as pct;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;

/// A shared secret (at least 16 bytes), stored and shown as unpadded base32.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(…)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("动态口令应为6位数字")]
    Malformed,
    #[error("动态口令不正确或已过期")]
    Wrong,
    #[error("该动态口令已使用过，请等待下一个口令")]
    Replayed,
    #[error("second-factor secret is not valid base32 of at least 16 bytes")]
    BadSecret,
}

impl TotpSecret {
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, TotpError> {
        if bytes.len() < 16 {
            return Err(TotpError::BadSecret);
        }
        Ok(Self(bytes))
    }

    pub fn parse_base32(s: &str) -> Result<Self, TotpError> {
        let clean: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = data_encoding::BASE32_NOPAD
            .decode(clean.as_bytes())
            .map_err(|_| TotpError::BadSecret)?;
        Self::from_bytes(bytes)
    }

    pub fn to_base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }

    /// The `otpauth://` URI authenticator apps read (usually from a QR code).
    pub fn uri(&self, issuer: &str, account: &str) -> String {
        let label = format!("{}:{}", pct(issuer), pct(account));
        format!(
            "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            self.to_base32(),
            pct(issuer)
        )
    }

    /// The code of one time step (RFC 4226 HOTP with counter = step).
    pub fn code_at_step(&self, step: i64, digits: u32) -> u32 {
        let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(&self.0)
            .expect("HMAC accepts keys of any length");
        mac.update(&(step as u64).to_be_bytes());
        let h = mac.finalize().into_bytes();
        let offset = usize::from(h[h.len() - 1] & 0x0f);
        let bin = (u32::from(h[offset]) & 0x7f) << 24
            | u32::from(h[offset + 1]) << 16
            | u32::from(h[offset + 2]) << 8
            | u32::from(h[offset + 3]);
        bin % 10u32.pow(digits)
    }

    /// The six-digit code for a moment, zero-padded.
    pub fn code_at(&self, unix_seconds: i64) -> String {
        format!("{:06}", self.code_at_step(step_of(unix_seconds), DIGITS))
    }

    /// Checks a code at `unix_seconds`, allowing one step either way. `last_step` is the
    /// step of the last accepted code: that step and earlier ones are refused (replay).
    /// Returns the step of the accepted code, to be remembered.
    pub fn verify(
        &self,
        code: &str,
        unix_seconds: i64,
        last_step: Option<i64>,
    ) -> Result<i64, TotpError> {
        let code = code.trim();
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TotpError::Malformed);
        }
        let given: u32 = code.parse().map_err(|_| TotpError::Malformed)?;
        let now = step_of(unix_seconds);
        let mut replayed = false;
        for step in [now - 1, now, now + 1] {
            if !constant_eq(self.code_at_step(step, DIGITS), given) {
                continue;
            }
            if last_step.is_some_and(|last| step <= last) {
                replayed = true;
                continue;
            }
            return Ok(step);
        }
        Err(if replayed {
            TotpError::Replayed
        } else {
            TotpError::Wrong
        })
    }
}

pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

fn constant_eq(a: u32, b: u32) -> bool {
    (a ^ b) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 column (8 digits), secret "12345678901234567890".
    #[test]
    fn rfc6238_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        let cases: &[(i64, u32)] = &[
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ];
        for (t, expected) in cases {
            assert_eq!(secret.code_at_step(step_of(*t), 8), *expected, "T={t}");
        }
        // Six digits are the low six of the eight.
        assert_eq!(secret.code_at(59), "287082");
        assert_eq!(secret.code_at(1111111109), "081804");
    }

    #[test]
    fn verify_window_and_replay() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        let t = 1_111_111_111;
        let now = step_of(t);
        let code = |s: i64| format!("{:06}", secret.code_at_step(s, 6));
        let cases: Vec<(String, Option<i64>, Result<i64, TotpError>)> = vec![
            (code(now), None, Ok(now)),
            (code(now - 1), None, Ok(now - 1)),
            (code(now + 1), None, Ok(now + 1)),
            (code(now - 2), None, Err(TotpError::Wrong)),
            (code(now + 2), None, Err(TotpError::Wrong)),
            (code(now), Some(now), Err(TotpError::Replayed)),
            (code(now), Some(now - 1), Ok(now)),
            (code(now + 1), Some(now), Ok(now + 1)),
            ("12345".into(), None, Err(TotpError::Malformed)),
            ("abcdef".into(), None, Err(TotpError::Malformed)),
        ];
        for (c, last, expected) in cases {
            assert_eq!(secret.verify(&c, t, last), expected, "{c} {last:?}");
        }
    }

    #[test]
    fn base32_round_trip_and_uri() {
        let s = TotpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        assert_eq!(s.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            TotpSecret::parse_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap(),
            s
        );
        assert!(TotpSecret::parse_base32("GEZDGNBV").is_err());
        assert_eq!(
            s.uri("留痕", "sysadmin"),
            "otpauth://totp/%E7%95%99%E7%97%95:sysadmin?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=%E7%95%99%E7%97%95&algorithm=SHA1&digits=6&period=30"
        );
    }
}
