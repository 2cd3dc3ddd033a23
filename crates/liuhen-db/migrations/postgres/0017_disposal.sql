-- Disposal (销毁清册, R6.3, issue 12). A list is drafted by a keeper with an appraisal note
-- per item, decided step by step through the chain it was drafted with (`chain`: the roles,
-- comma-separated), and executed once every step approved. Executing deletes each item's
-- original and derivatives from the store and leaves a tombstone row; rows are never
-- deleted, and `verify` replays the tombstones against their `record.disposed` entries.
CREATE TABLE disposal_lists (
    id           TEXT PRIMARY KEY,
    drafted_ms   BIGINT NOT NULL,
    drafted_by   TEXT NOT NULL,
    note         TEXT NOT NULL,
    chain        TEXT NOT NULL,
    status       TEXT NOT NULL,
    executed_ms  BIGINT,
    executed_by  TEXT
);
CREATE TABLE disposal_items (
    list_id      TEXT NOT NULL REFERENCES disposal_lists (id),
    record_id    TEXT NOT NULL,
    appraisal    TEXT NOT NULL,
    PRIMARY KEY (list_id, record_id)
);
CREATE TABLE disposal_decisions (
    list_id      TEXT NOT NULL REFERENCES disposal_lists (id),
    step         BIGINT NOT NULL,
    role         TEXT NOT NULL,
    approver_id  TEXT NOT NULL,
    decision     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    decided_ms   BIGINT NOT NULL,
    PRIMARY KEY (list_id, step)
);
-- One per disposed record: what was deleted, under which list, approved by whom, by whom.
CREATE TABLE tombstones (
    record_id    TEXT PRIMARY KEY,
    list_id      TEXT NOT NULL REFERENCES disposal_lists (id),
    sha256       TEXT NOT NULL,
    sm3          TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    derivatives  TEXT NOT NULL,
    approvals    TEXT NOT NULL,
    executed_ms  BIGINT NOT NULL,
    executed_by  TEXT NOT NULL
);
CREATE INDEX tombstones_sha256 ON tombstones (sha256);
