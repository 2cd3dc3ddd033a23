-- Identity by account, not by name (issue 10.1). A record's officer and a case team's
-- members refer to user accounts; the names stay for display. NULL: no account (an
-- unmapped officer is nobody's own). Existing rows are mapped by the application right
-- after this migration (a name that matches exactly one account of the row's unit), each
-- mapping logged; the rest are listed for a person to resolve (`liuhen identity
-- unresolved`), never guessed.
ALTER TABLE records ADD COLUMN officer_id TEXT;
ALTER TABLE case_team ADD COLUMN user_id TEXT;
-- An officer's own records in the default list order (newest recording first).
CREATE INDEX records_officer_id_date ON records (officer_id, record_date, id);
CREATE INDEX case_team_user ON case_team (user_id);
