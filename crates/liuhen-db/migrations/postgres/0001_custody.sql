CREATE TABLE records (
    id              TEXT PRIMARY KEY,
    sha256          TEXT NOT NULL UNIQUE,
    sm3             TEXT NOT NULL,
    size_bytes      BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    original_name   TEXT NOT NULL,
    container       TEXT,
    video_codec     TEXT,
    audio_codec     TEXT,
    width           BIGINT,
    height          BIGINT,
    duration_ms     BIGINT,
    capture_start_ms BIGINT,
    capture_end_ms  BIGINT,
    device_make     TEXT,
    device_model    TEXT,
    device_serial   TEXT,
    prober          TEXT NOT NULL,
    probe_error     TEXT,
    agency          TEXT,
    device          TEXT,
    officer         TEXT,
    case_name       TEXT,
    party           TEXT,
    record_date     TEXT,
    stored_at_ms    BIGINT NOT NULL,
    returned_at_ms  BIGINT,
    lateness_ms     BIGINT,
    late            BIGINT NOT NULL,
    retain_until_ms BIGINT NOT NULL,
    entry_seq       BIGINT NOT NULL
);
CREATE INDEX records_record_date ON records (record_date);
CREATE INDEX records_stored_at ON records (stored_at_ms);
CREATE INDEX records_officer ON records (officer);
CREATE INDEX records_agency ON records (agency);
CREATE INDEX records_device ON records (device);

CREATE TABLE audit_entries (
    seq       BIGINT PRIMARY KEY,
    at_ms     BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT,
    body      TEXT NOT NULL,
    leaf_hash BYTEA NOT NULL
);
CREATE INDEX audit_entries_subject ON audit_entries (subject, seq);

-- One row. Appending takes this row first, which serialises writers on both backends.
CREATE TABLE log_head (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    size      BIGINT NOT NULL,
    last_leaf BYTEA NOT NULL
);
INSERT INTO log_head (id, size, last_leaf) VALUES (1, 0, decode('0000000000000000000000000000000000000000000000000000000000000000', 'hex'));

CREATE TABLE checkpoints (
    id           BIGSERIAL PRIMARY KEY,
    tree_size    BIGINT NOT NULL,
    root         BYTEA NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    body         TEXT NOT NULL,
    ed25519_sig  BYTEA NOT NULL,
    sm2_sig      BYTEA NOT NULL
);

-- Where each original came from, so a rerun after a crash skips what is done.
CREATE TABLE ingest_sources (
    source_key TEXT PRIMARY KEY,
    record_id  TEXT NOT NULL,
    at_ms      BIGINT NOT NULL
);
