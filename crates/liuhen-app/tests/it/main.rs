//! Use cases of the register and the alerts on both backends (SQLite, and PostgreSQL when
//! `LIUHEN_TEST_PG_URL` names an admin URL): projection of the audit contract, search,
//! export, scope, signals and acknowledgement.

mod draws;
mod export;
mod register;
mod station;
mod support;
