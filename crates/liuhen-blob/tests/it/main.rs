//! One integration-test binary for liuhen-blob: a conformance suite run against every backend.

mod bench;
mod conformance;
mod local;
mod memory;
mod s3;
