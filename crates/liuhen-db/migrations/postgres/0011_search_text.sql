-- Free text of 3+ characters on PostgreSQL: one trigram index over the unit and the four
-- text columns (btree_gin for the unit, see 0010) replaces the four single-column indexes.
-- A unit's search then reads only that unit's matches; with the single-column indexes the
-- planner AND-ed them with a bitmap of the unit's every record taken from 0010's index
-- (天瑞化工 in a unit of 400,000 records: 54 ms → 18 ms). Searches over all units use the
-- same index on the text columns alone.
CREATE INDEX IF NOT EXISTS records_text_trgm ON records USING gin (
    agency,
    case_name gin_trgm_ops,
    party gin_trgm_ops,
    officer gin_trgm_ops,
    original_name gin_trgm_ops
);
DROP INDEX IF EXISTS records_case_name_trgm;
DROP INDEX IF EXISTS records_party_trgm;
DROP INDEX IF EXISTS records_officer_trgm;
DROP INDEX IF EXISTS records_original_name_trgm;
