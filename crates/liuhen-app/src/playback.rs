//! playback use cases (filled by its feature).
