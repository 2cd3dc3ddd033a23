-- Where a recording comes from, as declared at upload or ingest (R2.1, issue 17):
-- body_camera | handheld_camera | fixed_surveillance | audio_recorder; NULL: from the
-- device registry. Part of the row's snapshot only when set.
ALTER TABLE records ADD COLUMN source TEXT;
