//! End-to-end tests of the `liuhen` binary: ingest, verify, tampering, crashes, the media
//! corpus, the server. Each test gets a fresh data directory.

mod access;
mod backup;
mod cases;
mod corpus;
mod crash;
mod decisions;
mod draws;
mod export;
mod export_sources;
mod fixity;
mod fsync_faults;
mod identity;
mod ingest;
mod migrate;
mod one_identity;
mod operator;
mod outside_verifier;
mod power_loss;
mod read_only;
mod scale_out;
mod serve;
mod station;
mod support;
mod tamper;
mod tamper_external;
mod tus_faults;
