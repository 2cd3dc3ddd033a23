-- The default list order (a unit's records, newest recording first) read from the index
-- alone: the text columns ride along in the unit's record-date index, so a free-text search
-- that tests rows one by one in that order (plan 1) reads no table rows (2-character common
-- term, page 20, over 1,000,000 records: 3.4 ms → 1.3 ms for the scan). The index grows from
-- about 70 MB to 270 MB per million records; the other sort orders keep their narrow indexes.
DROP INDEX records_agency_date;
CREATE INDEX records_agency_date ON records (
    agency, record_date, id, case_name, party, officer, original_name
);
