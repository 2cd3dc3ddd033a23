//! The domain of liuhen: plain types and pure rules. This crate performs no IO and
//! knows nothing about HTTP, SQL, files or clocks; callers pass the time in.

pub mod digest;
pub mod media;
pub mod message;
pub mod record;
pub mod rules;

pub use digest::{DigestParseError, Sha256Digest, Sm3Digest};
pub use media::{MediaKind, UnknownMediaKind};
pub use message::{Arg, Message};
pub use record::{BadRecordId, Classification, Record, RecordId, TechnicalMetadata};
pub mod access;
pub mod approval;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod binding;
pub mod case;
pub mod checklist;
pub mod compliance;
pub mod decision;
pub mod disposal;
pub mod disposal_list;
pub mod draw;
pub mod headers;
pub mod hold;
pub mod lists;
pub mod numbering;
pub mod org;
pub mod playback;
pub mod proposal;
pub mod register;
pub mod retention;
pub mod review;
pub mod rollup;
pub mod signals;
pub mod station;
pub mod supervision;
pub mod totp;
pub mod uri;

pub use audit::AuditAction;
pub use org::{Role, RoleSetError, UnknownRole, check_roles, requires_second_factor};
