//! The WHERE clause of a record search: visibility, field filters and free-text terms,
//! written for the text indexes ([`TextMode::Index`]) or for testing rows one by one
//! ([`TextMode::Scan`]).

use super::visibility::{Pruned, visibility_sql};
use super::{Arg, RecordFilter};
use crate::{Backend, Db};

/// How free-text terms are written into a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextMode {
    /// Through the text indexes (SQLite FTS5 tables, PostgreSQL pg_trgm on the doubled
    /// forms too): fast when a term is rare.
    Index,
    /// Tested row by row (`LIKE`/`ILIKE` on the columns themselves), for reading the
    /// visible records in sort order and stopping early: fast when a term is common.
    Scan,
}

/// A WHERE clause under construction, with `$n` placeholders (both backends): the
/// visibility and field filters (`parts`) first, then the free-text predicates (`text`,
/// and on SQLite in [`TextMode::Index`] the full-text matches `fts`), so every query
/// built from it binds exactly the arguments it names.
pub(super) struct Where {
    pub(super) parts: Vec<String>,
    /// How many of the first `parts` only name columns of the sort indexes (visibility,
    /// unit, officer); the others need the table rows.
    by_index: usize,
    pub(super) text: Vec<String>,
    /// (FTS5 table, placeholder of its MATCH expression).
    pub(super) fts: Vec<(&'static str, String)>,
    pub(super) args: Vec<Arg>,
}

impl Where {
    /// An empty clause whose placeholders follow `args` (bound first by the caller).
    pub(super) fn new(args: Vec<Arg>) -> Self {
        Self {
            parts: Vec::new(),
            by_index: 0,
            text: Vec::new(),
            fts: Vec::new(),
            args,
        }
    }

    pub(super) fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    pub(super) fn text(&mut self, s: &str) -> String {
        self.arg(Arg::Text(s.to_owned()))
    }

    pub(super) fn base_sql(&self) -> String {
        if self.parts.is_empty() {
            "1 = 1".into()
        } else {
            self.parts.join(" AND ")
        }
    }

    /// The text predicates as row filters (full-text matches as `rowid IN (…)`).
    pub(super) fn text_sql(&self) -> Option<String> {
        let mut all = self.text.clone();
        for (table, p) in &self.fts {
            all.push(format!(
                "records.rowid IN (SELECT rowid FROM {table} WHERE {table} MATCH {p})"
            ));
        }
        (!all.is_empty()).then(|| all.join(" AND "))
    }

    /// SQLite: every condition is answered by a sort index (unit or officer, sort key, id,
    /// rowid) and the full-text tables: the visibility (unit, officer, sets of ids), the
    /// unit and officer filters, and text only through the full-text tables.
    pub(super) fn index_only(&self) -> bool {
        self.text.is_empty() && !self.fts.is_empty() && self.parts.len() == self.by_index
    }

    pub(super) fn has_text(&self) -> bool {
        !self.text.is_empty() || !self.fts.is_empty()
    }

    pub(super) fn sql(&self) -> String {
        match self.text_sql() {
            Some(t) => format!("{} AND {t}", self.base_sql()),
            None => self.base_sql(),
        }
    }
}

pub(super) const TEXT_COLUMNS: [&str; 4] = ["case_name", "party", "officer", "original_name"];
/// Columns searchable by 1–2 character queries (the Chinese names).
const PAIR_COLUMNS: [&str; 3] = ["case_name", "party", "officer"];

/// SQLite full-text expressions collected for the two indexes.
#[derive(Default)]
struct Matches {
    /// For `records_fts` (3+ characters).
    pub(super) fts: Vec<String>,
    /// For `records_pairs` (2 characters, doubled).
    pairs: Vec<String>,
}

/// Every character twice: "张伟" → "张张伟伟" (the form the 2-character indexes hold).
fn double(term: &str) -> String {
    term.chars().flat_map(|c| [c, c]).collect()
}

/// `%term%` with LIKE's wildcards and the escape character escaped (escape is `\`).
pub(crate) fn like_pattern(term: &str) -> String {
    let mut s = String::with_capacity(term.len() + 2);
    s.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

/// An FTS5 phrase: the term in double quotes, inner quotes doubled.
fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// No character of `term` has another case: ASCII digits and punctuation, and the
/// uncased scripts from U+2E80 on (CJK ideographs, kana, hangul, CJK punctuation), whose
/// `LIKE` and `ILIKE` matches are the same.
pub(crate) fn caseless(term: &str) -> bool {
    term.chars().all(|c| {
        if c.is_ascii() {
            !c.is_ascii_alphabetic()
        } else {
            c >= '\u{2E80}' && c.to_lowercase().eq([c]) && c.to_uppercase().eq([c])
        }
    })
}

fn terms(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

fn trimmed(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Db {
    /// `None` when nothing can match (the caller sees no records at all).
    pub(super) fn where_clause(
        &self,
        v: &Pruned,
        f: &RecordFilter,
        mode: TextMode,
    ) -> Option<Where> {
        let mut w = Where::new(Vec::new());
        // SQLite: with an officer filter, the officer's index is the selective one; `+`
        // keeps the planner off the unit's index even without statistics (ANALYZE).
        let unary = if self.backend == Backend::Sqlite && trimmed(&f.officer).is_some() {
            "+"
        } else {
            ""
        };
        let vis = visibility_sql(&mut w, v, unary)?;
        w.parts.push(vis);
        for (col, value) in [("agency", &f.agency), ("officer", &f.officer)] {
            if let Some(v) = trimmed(value) {
                let p = w.text(v);
                w.parts.push(format!("{col} = {p}"));
            }
        }
        w.by_index = w.parts.len();
        if let Some(v) = trimmed(&f.device) {
            let p = w.text(v);
            w.parts.push(format!("device = {p}"));
        }
        if let Some(d) = f.record_date_from {
            let p = w.text(&d.to_string());
            w.parts.push(format!("record_date >= {p}"));
        }
        if let Some(d) = f.record_date_to {
            let p = w.text(&d.to_string());
            w.parts.push(format!("record_date <= {p}"));
        }
        if let Some(ms) = f.stored_from_ms {
            let p = w.arg(Arg::Int(ms));
            w.parts.push(format!("stored_at_ms >= {p}"));
        }
        if let Some(ms) = f.stored_before_ms {
            let p = w.arg(Arg::Int(ms));
            w.parts.push(format!("stored_at_ms < {p}"));
        }
        if let Some(k) = f.kind {
            let p = w.text(k.as_str());
            w.parts.push(format!("kind = {p}"));
        }
        if let Some(late) = f.late {
            w.parts.push(format!("late = {}", if late { 1 } else { 0 }));
        }
        if let Some(pe) = f.probe_error {
            w.parts.push(if pe {
                "probe_error IS NOT NULL".into()
            } else {
                "probe_error IS NULL".into()
            });
        }
        let mut m = Matches::default();
        for (col, value) in [("case_name", &f.case_name), ("party", &f.party)] {
            if let Some(v) = trimmed(value) {
                self.contains(&mut w, &mut m, mode, &[col], v);
            }
        }
        if let Some(text) = trimmed(&f.text) {
            for term in terms(text) {
                self.contains(&mut w, &mut m, mode, &TEXT_COLUMNS, term);
            }
        }
        for (table, exprs) in [("records_fts", &m.fts), ("records_pairs", &m.pairs)] {
            if !exprs.is_empty() {
                let p = w.text(&exprs.join(" AND "));
                w.fts.push((table, p));
            }
        }
        Some(w)
    }

    /// "One of `cols` contains `term`". In [`TextMode::Index`], 3+ characters: the
    /// trigram index (SQLite FTS5 expression, PostgreSQL ILIKE); 2 characters: the
    /// doubled-character index over the Chinese name columns. 1 character, and every
    /// term in [`TextMode::Scan`]: LIKE (SQLite) / ILIKE (PostgreSQL) on the columns.
    ///
    /// The two modes find the same rows. (SQLite's LIKE folds the case of ASCII letters
    /// only, FTS5 of other alphabets too: a search for "É" would differ, none for Chinese.)
    fn contains(&self, w: &mut Where, m: &mut Matches, mode: TextMode, cols: &[&str], term: &str) {
        let sqlite = self.backend == Backend::Sqlite;
        let len = term.chars().count();
        let fts = |cols: &[&str], phrase: String| {
            if cols.len() == 1 {
                format!("{} : {phrase}", cols[0])
            } else {
                format!("{{{}}} : {phrase}", cols.join(" "))
            }
        };
        // PostgreSQL's ILIKE lowercases every row's text first (3–4 × the cost of LIKE over
        // a million Chinese names); a term without cased characters matches the same rows
        // with LIKE, which the trigram indexes serve as well.
        let op = if sqlite || caseless(term) {
            "LIKE"
        } else {
            "ILIKE"
        };
        let cols: Vec<&str> = if len >= 3 {
            cols.to_vec()
        } else {
            cols.iter()
                .copied()
                .filter(|c| PAIR_COLUMNS.contains(c))
                .collect()
        };
        let any = |w: &mut Where, cols: &[&str], pattern: &str, wrap: &dyn Fn(&str) -> String| {
            let p = w.text(pattern);
            let any: Vec<String> = cols
                .iter()
                .map(|c| format!("{} {op} {p} ESCAPE '\\'", wrap(c)))
                .collect();
            w.text.push(format!("({})", any.join(" OR ")));
        };
        let plain = |c: &str| c.to_owned();
        if mode == TextMode::Scan || len == 1 {
            any(w, &cols, &like_pattern(term), &plain);
        } else if len >= 3 {
            if sqlite {
                m.fts.push(fts(&cols, fts_phrase(term)));
            } else {
                any(w, &cols, &like_pattern(term), &plain);
            }
        } else {
            let doubled = double(term);
            if sqlite {
                m.pairs.push(fts(&cols, fts_phrase(&doubled)));
            } else {
                // Stored doubled forms (migration 0010).
                any(w, &cols, &like_pattern(&doubled), &|c: &str| {
                    format!("{c}_pairs")
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("化工"), "%化工%");
        assert_eq!(like_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
    }

    #[test]
    fn caseless_terms() {
        for t in ["化工", "郭某", "2026-03", "（一）", "100%", "ドラム"] {
            assert!(caseless(t), "{t}");
        }
        for t in ["DSJ", "mp4", "化工A", "Ｂ公司", "Éclair", "İ"] {
            assert!(!caseless(t), "{t}");
        }
    }

    #[test]
    fn doubling() {
        assert_eq!(double("张伟"), "张张伟伟");
        assert_eq!(double("a%"), "aa%%");
    }

    #[test]
    fn fts_phrases_quote() {
        assert_eq!(fts_phrase("安全生产"), "\"安全生产\"");
        assert_eq!(fts_phrase("a\"b"), "\"a\"\"b\"");
    }
}
