//! Use cases of liuhen. Each one owns its transaction and writes its audit entry in that
//! same transaction. This crate knows nothing about HTTP or terminals: progress goes to an
//! [`ingest::Observer`] and results come back as plain reports.

pub mod access;
pub mod accounts;
pub mod alerts;
pub mod authz;
pub mod case_work;
pub mod cases;
mod confidential;
pub mod config;
mod custody;
pub mod dashboard;
pub mod demo;
mod demo_cases;
pub mod derivatives;
pub mod draws;
mod draws_print;
mod error;
pub mod identity;
pub mod ingest;
mod journal;
pub mod log;
pub mod package;
pub mod pdf;
pub mod playback;
mod projection;
pub mod records;
pub mod register;
pub mod reviews;
pub mod search;
pub mod station;
pub mod supervision_config;
pub mod uploads;
pub mod verify;
mod verify_cases;

pub use config::Config;
pub use custody::{Custody, OpenOptions};
pub use error::AppError;
pub use liuhen_db::DbError;
