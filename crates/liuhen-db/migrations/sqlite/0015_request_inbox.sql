-- Issue 17: the approvals inbox selects a unit's requests by status in SQL (no unit's
-- pending requests crowded out by the newest requests of other units).
CREATE INDEX access_requests_unit ON access_requests (agency, status, filed_ms);
-- The binding of grant and label rows to their log entries is checked on every decision
-- about a record: its entries of a few actions, found without reading all its views.
CREATE INDEX audit_entries_subject_action ON audit_entries (subject, action, seq);
