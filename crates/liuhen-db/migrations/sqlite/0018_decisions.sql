-- Decisions on cases and their legal review (issue 13, R5, 附件5). Every change to these
-- tables is an audit entry carrying the row as it became (verify_decisions replays them).
-- Booleans are integers (0/1), times are milliseconds since the epoch (0 = not yet),
-- money is in fen (分).
CREATE TABLE decisions (
    id             TEXT PRIMARY KEY,
    case_id        TEXT NOT NULL REFERENCES cases (id),
    -- DecisionKind code: penalty | licensing | coercion | payment
    kind           TEXT NOT NULL,
    -- a measure code of the catalog (fine, suspend_production, seal_seize, …)
    measure        TEXT NOT NULL,
    -- individual | organisation
    party_type     TEXT NOT NULL,
    party_name     TEXT NOT NULL,
    fine_fen       INTEGER NOT NULL,
    after_hearing  INTEGER NOT NULL,
    summary        TEXT NOT NULL,
    -- "other … by law": why a user marked it for review ('' = not marked)
    marked_reason  TEXT NOT NULL,
    -- the current draft document (a blob), '' before the first upload
    draft_sha256   TEXT NOT NULL,
    draft_name     TEXT NOT NULL,
    draft_version  INTEGER NOT NULL,
    -- draft | under_review | reviewed | disapproved | issued | served
    status         TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_ms     INTEGER NOT NULL,
    issued_ms      INTEGER NOT NULL,
    served_ms      INTEGER NOT NULL
);
CREATE INDEX decisions_case ON decisions (case_id);
CREATE INDEX decisions_status ON decisions (status);

-- One row per submission for review (a returned review loops back to a new round).
CREATE TABLE decision_reviews (
    id             TEXT PRIMARY KEY,
    decision_id    TEXT NOT NULL REFERENCES decisions (id),
    round          INTEGER NOT NULL,
    submitted_by   TEXT NOT NULL,
    submitted_ms   INTEGER NOT NULL,
    -- material codes ticked, comma-separated
    materials      TEXT NOT NULL,
    -- the draft the round reviews; an approval is bound to it
    draft_sha256   TEXT NOT NULL,
    -- YYYY-MM-DD (working days on the calendar); extended once with a reason
    due_date       TEXT NOT NULL,
    extend_reason  TEXT NOT NULL,
    -- '' while pending | approve | approve_with_changes | return | disapprove
    outcome        TEXT NOT NULL,
    opinion        TEXT NOT NULL,
    changes        TEXT NOT NULL,
    reviewer       TEXT NOT NULL,
    reviewer_cert  TEXT NOT NULL,
    reviewed_ms    INTEGER NOT NULL,
    UNIQUE (decision_id, round)
);
CREATE INDEX decision_reviews_pending ON decision_reviews (outcome, due_date);

-- 法律职业资格: the certificate number recorded on an account (legal-office reviewers).
CREATE TABLE legal_qualifications (
    user_id        TEXT PRIMARY KEY REFERENCES users (id),
    cert_no        TEXT NOT NULL,
    set_by         TEXT NOT NULL,
    set_ms         INTEGER NOT NULL
);
