-- Human numbers (文号, issue 18): one sequence per unit, kind and year, advanced in the
-- transaction that creates the thing numbered (writers are serialised by the log head, and
-- the upsert is atomic on its own). Requests carry their number; rows filed before this
-- migration have none and are shown by their id.
CREATE TABLE number_sequences (
    unit  TEXT NOT NULL,
    scope TEXT NOT NULL,
    year  INTEGER NOT NULL,
    last  INTEGER NOT NULL,
    PRIMARY KEY (unit, scope, year)
);
ALTER TABLE access_requests ADD COLUMN number TEXT;
