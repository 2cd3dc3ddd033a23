//! uploads (filled by its feature).
