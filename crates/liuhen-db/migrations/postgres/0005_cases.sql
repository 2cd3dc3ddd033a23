-- Cases, their enforcement steps, the records linked to steps and the stated reasons of
-- interruptions (issue 4). Flag changes are not a table: they are audit entries.
-- Booleans are integers (0/1), times are milliseconds since the epoch.
CREATE TABLE cases (
    id                  TEXT PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    -- CaseCategory code: penalty | licensing | coercion | inspection
    category            TEXT NOT NULL,
    department          TEXT NOT NULL,
    -- open | decided | archived
    status              TEXT NOT NULL,
    flag_major_hazard   BIGINT NOT NULL,
    flag_disputed       BIGINT NOT NULL,
    flag_hearing        BIGINT NOT NULL,
    flag_enforced       BIGINT NOT NULL,
    flag_complex        BIGINT NOT NULL,
    flag_major_penalty  BIGINT NOT NULL,
    created_ms          BIGINT NOT NULL
);

-- `kind`: person | unit; `position` keeps the order in which they were given.
CREATE TABLE case_parties (
    case_id           TEXT NOT NULL REFERENCES cases (id),
    position          BIGINT NOT NULL,
    kind              TEXT NOT NULL,
    name              TEXT NOT NULL,
    id_or_credit_code TEXT NOT NULL,
    PRIMARY KEY (case_id, position)
);

CREATE TABLE case_team (
    case_id  TEXT NOT NULL REFERENCES cases (id),
    position BIGINT NOT NULL,
    officer  TEXT NOT NULL,
    PRIMARY KEY (case_id, officer)
);

-- `checklist_row` is NULL for a free step; `officers` is comma-separated.
CREATE TABLE steps (
    id              TEXT PRIMARY KEY,
    case_id         TEXT NOT NULL REFERENCES cases (id),
    checklist_row   TEXT,
    name            TEXT NOT NULL,
    window_start_ms BIGINT NOT NULL,
    window_end_ms   BIGINT NOT NULL,
    place           TEXT NOT NULL,
    officers        TEXT NOT NULL,
    on_site         BIGINT NOT NULL,
    disputed        BIGINT NOT NULL,
    created_ms      BIGINT NOT NULL
);
CREATE INDEX steps_case ON steps (case_id, window_start_ms);

CREATE TABLE step_records (
    step_id   TEXT NOT NULL REFERENCES steps (id),
    record_id TEXT NOT NULL REFERENCES records (id),
    linked_ms BIGINT NOT NULL,
    linked_by TEXT NOT NULL,
    PRIMARY KEY (step_id, record_id)
);
CREATE INDEX step_records_record ON step_records (record_id);

-- One stated reason per resumed recording of a step (R2.5).
CREATE TABLE interruption_explanations (
    step_id            TEXT NOT NULL REFERENCES steps (id),
    resumed_record_id  TEXT NOT NULL REFERENCES records (id),
    reason             TEXT NOT NULL,
    text               TEXT NOT NULL,
    spoken_at_offset_s BIGINT NOT NULL,
    explained_ms       BIGINT NOT NULL,
    explained_by       TEXT NOT NULL,
    PRIMARY KEY (step_id, resumed_record_id)
);
