//! End-to-end tests of the `liuhen` binary: ingest, verify, tampering, crashes, the media
//! corpus, the server. Each test gets a fresh data directory.

mod access;
mod cases;
mod corpus;
mod crash;
mod draws;
mod export;
mod identity;
mod ingest;
mod scale_out;
mod serve;
mod station;
mod support;
mod tamper;
