-- Read models over the audit log: the access register (R4.1) and misconduct signals
-- (R3.13). Rebuilt from the log at any time; never the source of truth.

CREATE INDEX audit_entries_action_at ON audit_entries (action, at_ms);

-- How far each projection has read the log.
CREATE TABLE projection_cursors (
    name     TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL
);

-- One row per use of one record (an entry naming three records gives three rows).
CREATE TABLE register_rows (
    seq            INTEGER NOT NULL,
    record_id      TEXT NOT NULL,
    at_ms          INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    actor          TEXT NOT NULL,
    actor_name     TEXT NOT NULL,
    actor_unit     TEXT,
    requester_type TEXT,
    approved_by    TEXT,
    record_agency  TEXT,
    record_name    TEXT,
    case_name      TEXT,
    party          TEXT,
    device         TEXT,
    purpose        TEXT,
    request_id     TEXT,
    grant_id       TEXT,
    fee_cents      INTEGER,
    receipt_no     TEXT,
    note           TEXT,
    PRIMARY KEY (seq, record_id)
);
CREATE INDEX register_rows_at ON register_rows (at_ms, seq);
CREATE INDEX register_rows_record ON register_rows (record_id, at_ms);
CREATE INDEX register_rows_agency ON register_rows (record_agency, at_ms);

-- Grants as the log tells them (access.granted / access.revoked / access.approved).
CREATE TABLE register_grants (
    grant_id    TEXT PRIMARY KEY,
    request_id  TEXT,
    user_id     TEXT,
    approved_by TEXT,
    purpose     TEXT,
    records     TEXT NOT NULL,
    granted_ms  INTEGER NOT NULL,
    expires_ms  INTEGER,
    revoked_ms  INTEGER,
    seqs        TEXT NOT NULL
);
CREATE INDEX register_grants_request ON register_grants (request_id);

-- Approvers of a request, in order (access.approved).
CREATE TABLE register_approvals (
    seq        INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL,
    step       TEXT,
    decision   TEXT,
    approver   TEXT NOT NULL
);
CREATE INDEX register_approvals_request ON register_approvals (request_id, seq);

-- A supervisor's acknowledgement of a signal (the signal itself is recomputed).
CREATE TABLE alert_acks (
    alert_key  TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    acked_by   TEXT NOT NULL,
    acked_ms   INTEGER NOT NULL,
    note       TEXT NOT NULL,
    entry_seq  INTEGER NOT NULL
);
