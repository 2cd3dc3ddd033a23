//! HTTP tests of the server: real listener on port 0, fresh data directory per test.

mod auth;
mod openapi;
mod playback;
mod records;
mod register;
mod support;
mod uploads;
