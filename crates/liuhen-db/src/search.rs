//! search (filled by its feature).
