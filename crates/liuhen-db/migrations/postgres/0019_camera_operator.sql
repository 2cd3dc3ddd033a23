-- Issue 19: 摄录人员 (camera operator) of a record, set at ingest or changed with a reason
-- (the change's audit entry keeps the value before). Needed by the disc-burn record form.
ALTER TABLE records ADD COLUMN camera_operator TEXT;
