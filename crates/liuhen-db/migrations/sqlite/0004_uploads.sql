-- Resumable (tus) uploads: one row per upload. The partial bytes live in <data dir>/uploads/.
-- `state`: active | completed | terminated | expired.
CREATE TABLE uploads (
    id            TEXT PRIMARY KEY,
    owner_id      TEXT NOT NULL,
    length        INTEGER NOT NULL,
    upload_offset INTEGER NOT NULL,
    metadata      TEXT NOT NULL,
    created_ms    INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL,
    state         TEXT NOT NULL,
    record_id     TEXT
);
CREATE INDEX uploads_state_updated ON uploads (state, updated_ms);

-- Browser-playable proxies and thumbnails, bound to the original's SHA-256.
-- `status`: ready | failed (then `error` says why and no blob exists).
CREATE TABLE derivatives (
    original_sha256   TEXT NOT NULL,
    kind              TEXT NOT NULL,
    derivative_sha256 TEXT,
    size_bytes        INTEGER,
    status            TEXT NOT NULL,
    error             TEXT,
    created_ms        INTEGER NOT NULL,
    PRIMARY KEY (original_sha256, kind)
);
