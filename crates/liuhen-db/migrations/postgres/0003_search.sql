-- Search over the seven classification fields of R3.2 and free text (R3.2: "all seven are
-- searchable and browsable").
--
-- Free text: pg_trgm GIN indexes serve ILIKE '%…%' on case name, party, officer and the
-- original file name. They need a database whose LC_CTYPE is UTF-8 (C.UTF-8): under "C",
-- Chinese characters produce no trigrams. Queries of 1–2 characters yield no trigram and
-- are answered by scanning (in sort order, stopping at the page).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX records_case_name_trgm ON records USING gin (case_name gin_trgm_ops);
CREATE INDEX records_party_trgm ON records USING gin (party gin_trgm_ops);
CREATE INDEX records_officer_trgm ON records USING gin (officer gin_trgm_ops);
CREATE INDEX records_original_name_trgm ON records USING gin (original_name gin_trgm_ops);

-- Queries of 1–2 characters yield no trigram. For 2 characters, GIN indexes over case
-- name, party and officer with every character doubled ("张伟" → "张张伟伟"): the text
-- contains "ab" exactly when its doubled form contains "aabb", which has trigrams. (The
-- original file name is left out: short queries are about Chinese names.) One-character
-- queries scan.
CREATE INDEX records_case_name_pairs ON records USING gin ((regexp_replace(case_name, '(.)', '\1\1', 'g')) gin_trgm_ops);
CREATE INDEX records_party_pairs ON records USING gin ((regexp_replace(party, '(.)', '\1\1', 'g')) gin_trgm_ops);
CREATE INDEX records_officer_pairs ON records USING gin ((regexp_replace(officer, '(.)', '\1\1', 'g')) gin_trgm_ops);

-- Every list is filtered by visibility (agency = unit, or officer = the user) and sorted by
-- one of four keys: one index per (visibility column, sort key) lets a page be read in
-- order and stop early. They replace the single-column agency and officer indexes.
DROP INDEX records_agency;
DROP INDEX records_officer;
CREATE INDEX records_agency_date ON records (agency, record_date, id);
CREATE INDEX records_agency_stored ON records (agency, stored_at_ms, id);
CREATE INDEX records_agency_size ON records (agency, size_bytes, id);
CREATE INDEX records_agency_name ON records (agency, original_name, id);
CREATE INDEX records_officer_date ON records (officer, record_date, id);
CREATE INDEX records_officer_stored ON records (officer, stored_at_ms, id);
CREATE INDEX records_officer_size ON records (officer, size_bytes, id);
CREATE INDEX records_officer_name ON records (officer, original_name, id);
