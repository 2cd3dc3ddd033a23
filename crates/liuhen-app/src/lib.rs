//! Use cases of liuhen. Each one owns its transaction and writes its audit entry in that
//! same transaction. This crate knows nothing about HTTP or terminals: progress goes to an
//! [`ingest::Observer`] and results come back as plain reports.

/// Declares a method `pub` for tests (this crate's and, with the `testing` feature, the
/// other crates' fixtures) and `pub(crate)` otherwise: the `actor`-string twins of the use
/// cases that authorize themselves (issue 11), which the server and the CLI never call.
macro_rules! testing_pub {
    ($(#[$m:meta])* async fn $($rest:tt)*) => {
        #[cfg(any(test, feature = "testing"))]
        $(#[$m])* pub async fn $($rest)*
        #[cfg(not(any(test, feature = "testing")))]
        $(#[$m])* pub(crate) async fn $($rest)*
    };
}

pub mod access;
pub mod accounts;
pub mod alerts;
pub mod assessment;
pub mod authz;
pub mod backup;
pub mod binding;
pub mod case_acts;
pub mod case_archive;
pub mod case_work;
pub mod cases;
pub mod clock;
mod confidential;
pub mod config;
pub mod consequences;
pub mod csv;
mod custody;
pub mod dashboard;
pub mod decision_config;
pub mod decisions;
pub mod demo;
mod demo_cases;
pub mod derivatives;
pub mod disposal;
mod disposal_certificate;
pub mod disposal_execute;
pub mod disposal_list;
pub mod draws;
mod draws_print;
mod error;
pub mod external;
pub mod fixity;
pub mod holds;
pub mod home;
pub mod identity;
pub mod identity_admin;
pub mod ingest;
mod journal;
pub mod log;
pub mod log_snapshot;
pub mod package;
pub mod pdf;
pub mod period;
pub mod playback;
pub mod police;
mod projection;
pub mod records;
pub mod register;
pub mod retention;
pub mod reviews;
pub mod search;
pub mod secrets;
pub mod signing_identity;
pub mod station;
pub mod supervision;
pub mod supervision_config;
pub mod uploads;
pub mod use_log;
pub mod verify;
mod verify_access;
mod verify_cases;
mod verify_decisions;
mod verify_disposal;
mod verify_disposal_lists;
mod verify_holds;
mod verify_retention;

pub use clock::{Clock, MovableClock, SystemClock};
pub use config::Config;
pub use custody::{Custody, OpenOptions};
pub use error::{AppError, chain as error_chain};
pub use liuhen_db::{DbError, StorageFault, WriteFault};
