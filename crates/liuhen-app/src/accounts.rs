//! accounts use cases (filled by its feature).
