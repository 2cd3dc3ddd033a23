-- The annual assessment and the dashboard over a period (issue 20) read the linked records
-- of every step of the period, aggregated per step in link order: this index gives each
-- step's links in that order. (No covering index on records here, unlike SQLite: a B-tree
-- entry is limited to about 2.7 kB and free-text columns such as officer and device would
-- make an insert fail; the heap fetch by primary key is cheap on PostgreSQL.)
CREATE INDEX step_records_linked ON step_records (step_id, linked_ms, record_id);
