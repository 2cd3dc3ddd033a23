//! accounts (filled by its feature).
