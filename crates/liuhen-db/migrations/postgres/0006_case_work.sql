-- Cases in the web UI (issue 4): the unit a case belongs to (authorization scope), and the
-- reviewer sheet of a record (R2.3 the 8 focus items, R2.4 the opening statement).
-- Existing cases get an empty unit: only their team sees them until a keeper edits them.
ALTER TABLE cases ADD COLUMN agency TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_agency ON cases (agency, created_ms);
CREATE INDEX case_team_officer ON case_team (officer);
-- Link proposals look for recordings by capture time.
CREATE INDEX records_capture_start ON records (capture_start_ms);

-- One row per record and item; the current tick. Every tick is also an audit entry.
-- `verdict`: met | deficient | not_applicable.
CREATE TABLE record_reviews (
    record_id   TEXT NOT NULL REFERENCES records (id),
    item        TEXT NOT NULL,
    verdict     TEXT NOT NULL,
    note        TEXT NOT NULL,
    reviewed_by TEXT NOT NULL,
    reviewed_ms BIGINT NOT NULL,
    PRIMARY KEY (record_id, item)
);
