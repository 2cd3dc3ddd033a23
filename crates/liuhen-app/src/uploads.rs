//! uploads use cases (filled by its feature).
