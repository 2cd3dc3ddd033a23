//! search use cases (filled by its feature).
