//! One integration binary for the domain crate: tests that use only the public API.

mod checklist;
mod compliance;
mod draw;
