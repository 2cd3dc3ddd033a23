-- Preservation holds (R3.7, issue 12). `target` is `record:<id>` or `case:<id>`. A hold is
-- lifted, never deleted; every row is replayed by `verify` against its `hold.placed` and
-- `hold.lifted` entries.
CREATE TABLE holds (
    id           TEXT PRIMARY KEY,
    target       TEXT NOT NULL,
    ground       TEXT NOT NULL,
    note         TEXT NOT NULL,
    placed_ms    INTEGER NOT NULL,
    placed_by    TEXT NOT NULL,
    lifted_ms    INTEGER,
    lifted_by    TEXT,
    lift_reason  TEXT
);
CREATE INDEX holds_target ON holds (target);
