-- Access control (issue 5): requests to view, copy, borrow and outside requests with their
-- approval trail, grants, copies, loans, outside visits, papers (scans are blobs),
-- confidentiality labels and the conclusive-document mark (R2.8, R2.11, R3.9–R3.11, R4).
-- Every row is written in the same transaction as its audit entry.
CREATE TABLE access_requests (
    id              TEXT PRIMARY KEY,
    -- view | copy | loan | outside
    kind            TEXT NOT NULL,
    -- outside requests: view | copy
    outside_action  TEXT,
    -- step codes, comma-separated, fixed when filed
    flow            TEXT NOT NULL,
    filed_by        TEXT NOT NULL,
    requester_name  TEXT NOT NULL,
    -- internal | an outside requester type of the policy
    requester_type  TEXT NOT NULL,
    requester_unit  TEXT,
    requester_id_no TEXT,
    purpose         TEXT NOT NULL,
    -- R4.5: reconsideration or litigation under way
    legal_basis     TEXT,
    agency          TEXT NOT NULL,
    case_id         TEXT,
    department      TEXT,
    discs           INTEGER NOT NULL,
    pages           INTEGER NOT NULL,
    due_ms          INTEGER,
    -- SHA-256 of what is asked: approvals are bound to it
    basis           TEXT NOT NULL,
    -- pending | approved | rejected | expired | done
    status          TEXT NOT NULL,
    filed_ms        INTEGER NOT NULL,
    closed_ms       INTEGER,
    fee_cents       INTEGER,
    receipt_no      TEXT,
    paid_ms         INTEGER
);
CREATE INDEX access_requests_status ON access_requests (status, filed_ms);
CREATE INDEX access_requests_filer ON access_requests (filed_by, filed_ms);

CREATE TABLE access_request_records (
    request_id TEXT NOT NULL REFERENCES access_requests (id),
    record_id  TEXT NOT NULL REFERENCES records (id),
    PRIMARY KEY (request_id, record_id)
);

CREATE TABLE access_approvals (
    request_id    TEXT NOT NULL REFERENCES access_requests (id),
    step          TEXT NOT NULL,
    -- approve | reject
    decision      TEXT NOT NULL,
    approver_id   TEXT NOT NULL,
    approver_name TEXT NOT NULL,
    basis         TEXT NOT NULL,
    comment       TEXT NOT NULL,
    decided_ms    INTEGER NOT NULL,
    PRIMARY KEY (request_id, step)
);

CREATE TABLE access_papers (
    request_id  TEXT NOT NULL REFERENCES access_requests (id),
    paper       TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL,
    attached_ms INTEGER NOT NULL,
    attached_by TEXT NOT NULL,
    PRIMARY KEY (request_id, paper)
);

CREATE TABLE access_grants (
    id            TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL REFERENCES access_requests (id),
    grantee_id    TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    can_view      INTEGER NOT NULL,
    can_play      INTEGER NOT NULL,
    can_download  INTEGER NOT NULL,
    expires_ms    INTEGER NOT NULL,
    created_ms    INTEGER NOT NULL,
    revoked_ms    INTEGER,
    revoked_by    TEXT,
    revoke_reason TEXT
);
CREATE INDEX access_grants_grantee ON access_grants (grantee_id, expires_ms);

CREATE TABLE access_grant_records (
    grant_id  TEXT NOT NULL REFERENCES access_grants (id),
    record_id TEXT NOT NULL REFERENCES records (id),
    PRIMARY KEY (grant_id, record_id)
);
CREATE INDEX access_grant_records_record ON access_grant_records (record_id);

-- One row per record copied; the statement (R3.10) is a blob of its own.
CREATE TABLE access_copies (
    id               TEXT PRIMARY KEY,
    request_id       TEXT NOT NULL REFERENCES access_requests (id),
    record_id        TEXT NOT NULL REFERENCES records (id),
    original_sha256  TEXT NOT NULL,
    statement_sha256 TEXT NOT NULL,
    maker_id         TEXT NOT NULL,
    maker_name       TEXT NOT NULL,
    extractor        TEXT NOT NULL,
    extracted_ms     INTEGER NOT NULL,
    proves           TEXT NOT NULL,
    created_ms       INTEGER NOT NULL
);
CREATE INDEX access_copies_request ON access_copies (request_id);

CREATE TABLE access_loans (
    request_id  TEXT PRIMARY KEY REFERENCES access_requests (id),
    borrower_id TEXT NOT NULL,
    grant_id    TEXT NOT NULL REFERENCES access_grants (id),
    issued_ms   INTEGER NOT NULL,
    issued_by   TEXT NOT NULL,
    due_ms      INTEGER NOT NULL,
    returned_ms INTEGER,
    returned_by TEXT
);

CREATE TABLE access_visits (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL REFERENCES access_requests (id),
    visited_ms  INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    note        TEXT NOT NULL
);

-- The list query's department branch looks cases up by this (case_team_officer: 0006).
CREATE INDEX cases_department ON cases (department);

CREATE TABLE record_labels (
    record_id TEXT NOT NULL REFERENCES records (id),
    label     TEXT NOT NULL,
    set_ms    INTEGER NOT NULL,
    set_by    TEXT NOT NULL,
    PRIMARY KEY (record_id, label)
);

CREATE TABLE case_labels (
    case_id TEXT NOT NULL REFERENCES cases (id),
    label   TEXT NOT NULL,
    set_ms  INTEGER NOT NULL,
    set_by  TEXT NOT NULL,
    PRIMARY KEY (case_id, label)
);

-- R4.4: conclusive documents (e.g. the penalty decision), the only ones parties and
-- lawyers may view and copy.
CREATE TABLE conclusive_records (
    record_id TEXT PRIMARY KEY REFERENCES records (id),
    set_ms    INTEGER NOT NULL,
    set_by    TEXT NOT NULL
);
