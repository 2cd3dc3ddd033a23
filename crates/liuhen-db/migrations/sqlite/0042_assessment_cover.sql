-- The annual assessment and the dashboard over a period (issue 20) read the linked records
-- of every step of the period, aggregated per step in link order: both indexes cover that
-- read, so it walks two indexes and never the wide records table.
CREATE INDEX step_records_linked ON step_records (step_id, linked_ms, record_id);
CREATE INDEX records_linked_facts ON records (id, kind, capture_start_ms, capture_end_ms,
    duration_ms, stored_at_ms, officer, device, device_serial, source);
