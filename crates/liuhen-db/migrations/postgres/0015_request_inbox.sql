-- Issue 17: the approvals inbox selects a unit's requests by status in SQL (no unit's
-- pending requests crowded out by the newest requests of other units).
CREATE INDEX access_requests_unit ON access_requests (agency, status, filed_ms);
