//! Integration tests for liuhen-merkle (one test binary, several modules).

mod checkpoint_keys;
mod mutations;
mod proofs;
mod vectors;

use liuhen_merkle::Hash;

/// Decode a 32-byte hex string.
pub fn h(s: &str) -> Hash {
    hex::decode(s).unwrap().try_into().unwrap()
}

pub use liuhen_test_support::{missing, require_tool};
