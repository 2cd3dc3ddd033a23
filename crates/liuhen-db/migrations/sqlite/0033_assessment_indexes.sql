-- The annual assessment and the dashboard over a period (issue 20) count in the database:
-- the records of a period per unit and officer from this covering index alone, and the
-- cases of a period of all units by their creation time.
CREATE INDEX records_period ON records (agency, record_date, officer, late);
CREATE INDEX cases_created ON cases (created_ms);
