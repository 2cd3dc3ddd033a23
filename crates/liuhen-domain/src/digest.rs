//! Content digests. Both are 32 bytes; they are distinct types so that one can
//! never be stored or compared where the other is meant.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestParseError {
    #[error("digest must be 64 hexadecimal characters, got {0} characters")]
    Length(usize),
    #[error("digest contains a character that is not hexadecimal")]
    NotHex,
}

macro_rules! digest_type {
    ($name:ident, $algo:literal) => {
        #[doc = concat!("A ", $algo, " digest (32 bytes).")]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; 32]);

        impl $name {
            pub const ALGORITHM: &'static str = $algo;

            pub const fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            pub fn from_slice(bytes: &[u8]) -> Result<Self, DigestParseError> {
                let arr: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| DigestParseError::Length(bytes.len() * 2))?;
                Ok(Self(arr))
            }
        }

        impl FromStr for $name {
            type Err = DigestParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                if s.len() != 64 {
                    return Err(DigestParseError::Length(s.len()));
                }
                let mut out = [0u8; 32];
                hex::decode_to_slice(s, &mut out).map_err(|_| DigestParseError::NotHex)?;
                Ok(Self(out))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", $algo, self.to_hex())
            }
        }
    };
}

digest_type!(Sha256Digest, "SHA-256");
digest_type!(Sm3Digest, "SM3");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let d: Sha256Digest = hex.parse().unwrap();
        assert_eq!(d.to_string(), hex);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!("abc".parse::<Sm3Digest>(), Err(DigestParseError::Length(3)));
        let bad = "z".repeat(64);
        assert_eq!(bad.parse::<Sm3Digest>(), Err(DigestParseError::NotHex));
    }
}
