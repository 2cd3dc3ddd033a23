//! Use cases of the register and the alerts on both backends (SQLite, and PostgreSQL when
//! `LIUHEN_TEST_PG_URL` names an admin URL): projection of the audit contract, search,
//! export, scope, signals and acknowledgement; retention following the case (moved clock).

mod archived_cases;
mod bench_retention;
mod burn_form;
mod camera_operator;
mod case_authz;
mod decisions;
mod disposal;
mod disposal_procedure;
mod disposal_tamper;
mod draws;
mod export;
mod fixity;
mod holds;
mod police;
mod register;
mod retention;
mod retention_property;
mod sources;
mod split;
mod station;
mod supervision;
mod support;
mod transfer;
