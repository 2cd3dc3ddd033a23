//! The domain of liuhen: plain types and pure rules. This crate performs no IO and
//! knows nothing about HTTP, SQL, files or clocks; callers pass the time in.

pub mod digest;
pub mod media;

pub use digest::{DigestParseError, Sha256Digest, Sm3Digest};
pub use media::{MediaKind, UnknownMediaKind};
