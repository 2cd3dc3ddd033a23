//! HTTP tests of the server: real listener on port 0, fresh data directory per test.

mod access_flows;
mod access_links;
mod access_matrix;
mod access_world;
mod archived;
mod auth;
mod bindings;
mod cases;
mod decisions;
mod draws;
mod durability;
mod holds;
mod identity;
mod openapi;
mod packages;
mod playback;
mod records;
mod register;
mod register_contract;
mod requisition;
mod secrets_at_rest;
mod security_edge;
mod support;
mod token_scopes;
mod uploads;
mod use_log;
