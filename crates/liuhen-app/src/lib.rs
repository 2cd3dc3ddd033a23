//! Use cases of liuhen. Each one owns its transaction and writes its audit entry in that
//! same transaction. This crate knows nothing about HTTP or terminals: progress goes to an
//! [`ingest::Observer`] and results come back as plain reports.

pub mod access;
pub mod accounts;
pub mod alerts;
pub mod authz;
pub mod binding;
pub mod case_archive;
pub mod case_work;
pub mod cases;
pub mod clock;
mod confidential;
pub mod config;
mod custody;
pub mod dashboard;
pub mod decision_config;
pub mod decisions;
pub mod demo;
mod demo_cases;
pub mod derivatives;
pub mod disposal;
pub mod disposal_execute;
pub mod disposal_list;
pub mod draws;
mod draws_print;
mod error;
pub mod holds;
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
pub mod retention;
pub mod reviews;
pub mod search;
pub mod secrets;
pub mod station;
pub mod supervision_config;
pub mod uploads;
pub mod use_log;
pub mod verify;
mod verify_cases;
mod verify_decisions;
mod verify_disposal;
mod verify_holds;
mod verify_retention;

pub use clock::{Clock, MovableClock, SystemClock};
pub use config::Config;
pub use custody::{Custody, OpenOptions};
pub use error::AppError;
pub use liuhen_db::{DbError, StorageFault};
