-- Search over the seven classification fields of R3.2 and free text (R3.2: "all seven are
-- searchable and browsable").
--
-- Free text: an FTS5 index with the trigram tokenizer over case name, party, officer and the
-- original file name, kept in step with `records` by triggers. Chinese queries of 3 or more
-- characters use it; 1–2 character queries fall back to LIKE (trigrams cannot serve them).
-- The index is an external-content table keyed on the implicit rowid of `records`. liuhen
-- never runs VACUUM; whoever does must afterwards run
--   INSERT INTO records_fts(records_fts) VALUES ('rebuild');
CREATE VIRTUAL TABLE records_fts USING fts5(
    case_name, party, officer, original_name,
    content = 'records', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO records_fts (records_fts) VALUES ('rebuild');

CREATE TRIGGER records_fts_insert AFTER INSERT ON records BEGIN
    INSERT INTO records_fts (rowid, case_name, party, officer, original_name)
    VALUES (new.rowid, new.case_name, new.party, new.officer, new.original_name);
END;

CREATE TRIGGER records_fts_update AFTER UPDATE OF case_name, party, officer, original_name ON records BEGIN
    INSERT INTO records_fts (records_fts, rowid, case_name, party, officer, original_name)
    VALUES ('delete', old.rowid, old.case_name, old.party, old.officer, old.original_name);
    INSERT INTO records_fts (rowid, case_name, party, officer, original_name)
    VALUES (new.rowid, new.case_name, new.party, new.officer, new.original_name);
END;

-- Records are never deleted by liuhen; the trigger keeps the index right if one ever is.
CREATE TRIGGER records_fts_delete AFTER DELETE ON records BEGIN
    INSERT INTO records_fts (records_fts, rowid, case_name, party, officer, original_name)
    VALUES ('delete', old.rowid, old.case_name, old.party, old.officer, old.original_name);
END;

-- Queries of 1–2 characters. Trigrams cannot serve them, so a second trigram index holds
-- case name, party and officer with every character doubled ("张伟" → "张张伟伟"): the text
-- contains "ab" exactly when its doubled form contains "aabb", a 4-character query the
-- trigram index answers. (The original file name is left out: 1–2 character queries are
-- about Chinese names, not file names.) One-character queries still scan (LIKE).
-- The doubling is done in SQL (triggers cannot loop; json_each over a list of n zeros does).
CREATE VIRTUAL TABLE records_pairs USING fts5(
    case_name, party, officer,
    content = '', contentless_delete = 1, tokenize = 'trigram'
);

CREATE VIEW records_doubled AS
SELECT r.rowid AS rid,
    (SELECT coalesce(group_concat(substr(r.case_name, j.key + 1, 1) || substr(r.case_name, j.key + 1, 1), '' ORDER BY j.key), '')
       FROM json_each('[' || substr(replace(hex(zeroblob(length(r.case_name))), '00', '0,'), 1, 2 * length(r.case_name) - 1) || ']') j) AS case_name,
    (SELECT coalesce(group_concat(substr(r.party, j.key + 1, 1) || substr(r.party, j.key + 1, 1), '' ORDER BY j.key), '')
       FROM json_each('[' || substr(replace(hex(zeroblob(length(r.party))), '00', '0,'), 1, 2 * length(r.party) - 1) || ']') j) AS party,
    (SELECT coalesce(group_concat(substr(r.officer, j.key + 1, 1) || substr(r.officer, j.key + 1, 1), '' ORDER BY j.key), '')
       FROM json_each('[' || substr(replace(hex(zeroblob(length(r.officer))), '00', '0,'), 1, 2 * length(r.officer) - 1) || ']') j) AS officer
FROM records r;

INSERT INTO records_pairs (rowid, case_name, party, officer)
SELECT rid, case_name, party, officer FROM records_doubled;

CREATE TRIGGER records_pairs_insert AFTER INSERT ON records BEGIN
    INSERT INTO records_pairs (rowid, case_name, party, officer)
    SELECT rid, case_name, party, officer FROM records_doubled WHERE rid = new.rowid;
END;

CREATE TRIGGER records_pairs_update AFTER UPDATE OF case_name, party, officer ON records BEGIN
    DELETE FROM records_pairs WHERE rowid = old.rowid;
    INSERT INTO records_pairs (rowid, case_name, party, officer)
    SELECT rid, case_name, party, officer FROM records_doubled WHERE rid = new.rowid;
END;

CREATE TRIGGER records_pairs_delete AFTER DELETE ON records BEGIN
    DELETE FROM records_pairs WHERE rowid = old.rowid;
END;

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
