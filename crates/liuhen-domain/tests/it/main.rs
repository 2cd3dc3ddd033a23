//! One integration binary for the domain crate: tests that use only the public API.

mod checklist;
mod compliance;
mod decision;
mod draw;
mod no_presentation;
mod recording_modes;
mod requirements_trace;
