//! HTTP tests of the server: real listener on port 0, fresh data directory per test.

mod access_flows;
mod access_links;
mod access_matrix;
mod access_world;
mod auth;
mod cases;
mod draws;
mod identity;
mod openapi;
mod packages;
mod playback;
mod records;
mod register;
mod register_contract;
mod support;
mod uploads;
