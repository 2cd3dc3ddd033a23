CREATE TABLE records (
    id              TEXT PRIMARY KEY,
    sha256          TEXT NOT NULL UNIQUE,
    sm3             TEXT NOT NULL,
    size_bytes      INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    original_name   TEXT NOT NULL,
    container       TEXT,
    video_codec     TEXT,
    audio_codec     TEXT,
    width           INTEGER,
    height          INTEGER,
    duration_ms     INTEGER,
    capture_start_ms INTEGER,
    capture_end_ms  INTEGER,
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
    stored_at_ms    INTEGER NOT NULL,
    returned_at_ms  INTEGER,
    lateness_ms     INTEGER,
    late            INTEGER NOT NULL,
    retain_until_ms INTEGER NOT NULL,
    entry_seq       INTEGER NOT NULL
);
CREATE INDEX records_record_date ON records (record_date);
CREATE INDEX records_stored_at ON records (stored_at_ms);
CREATE INDEX records_officer ON records (officer);
CREATE INDEX records_agency ON records (agency);
CREATE INDEX records_device ON records (device);

CREATE TABLE audit_entries (
    seq       INTEGER PRIMARY KEY,
    at_ms     INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT,
    body      TEXT NOT NULL,
    leaf_hash BLOB NOT NULL
);
CREATE INDEX audit_entries_subject ON audit_entries (subject, seq);

-- One row. Appending takes this row first, which serialises writers on both backends.
CREATE TABLE log_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    size      INTEGER NOT NULL,
    last_leaf BLOB NOT NULL
);
INSERT INTO log_head (id, size, last_leaf) VALUES (1, 0, X'0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE checkpoints (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tree_size    INTEGER NOT NULL,
    root         BLOB NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    body         TEXT NOT NULL,
    ed25519_sig  BLOB NOT NULL,
    sm2_sig      BLOB NOT NULL
);

-- Where each original came from, so a rerun after a crash skips what is done.
CREATE TABLE ingest_sources (
    source_key TEXT PRIMARY KEY,
    record_id  TEXT NOT NULL,
    at_ms      INTEGER NOT NULL
);
