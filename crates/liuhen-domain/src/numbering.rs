//! Human numbers (文号, issue 18) of requests, made copies and export packages (a loan is
//! known by its loan request's number): a per-unit, per-year
//! sequence written by a format that is data (`[numbers]` of the access policy), e.g.
//! `{unit}复字〔{year}〕{seq}号` → `平高应急复字〔2026〕7号`. Placeholders: `{unit}` (the
//! unit's short name from `[numbers.units]`, else its full name), `{year}`, `{seq}`, and
//! `{seq:N}` (zero-padded to N digits). Allocation is the database's (one sequence row per
//! unit, scope and year, in the transaction that creates the thing numbered).

use std::collections::BTreeMap;

use serde::Deserialize;

/// What is numbered; each has its own sequence (and format) per unit and year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    View,
    Copy,
    Loan,
    Outside,
    Package,
    /// One made copy (复制件) of one record, under its copy request.
    MadeCopy,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Self::View,
        Self::Copy,
        Self::Loan,
        Self::Outside,
        Self::Package,
        Self::MadeCopy,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Copy => "copy",
            Self::Loan => "loan",
            Self::Outside => "outside",
            Self::Package => "package",
            Self::MadeCopy => "made_copy",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
}

/// The formats and unit short names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbering {
    formats: BTreeMap<Scope, String>,
    /// Unit name → short name (机关代字).
    units: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNumbering {
    #[serde(default)]
    pub formats: BTreeMap<String, String>,
    #[serde(default)]
    pub units: BTreeMap<String, String>,
}

/// The shipped formats.
pub const DEFAULT_FORMATS: [(Scope, &str); 6] = [
    (Scope::View, "{unit}阅字〔{year}〕{seq}号"),
    (Scope::Copy, "{unit}复字〔{year}〕{seq}号"),
    (Scope::Loan, "{unit}借字〔{year}〕{seq}号"),
    (Scope::Outside, "{unit}调字〔{year}〕{seq}号"),
    (Scope::Package, "{unit}包字〔{year}〕{seq}号"),
    (Scope::MadeCopy, "{unit}复制件〔{year}〕{seq}号"),
];

impl Default for Numbering {
    fn default() -> Self {
        Self {
            formats: DEFAULT_FORMATS
                .iter()
                .map(|(s, f)| (*s, (*f).to_owned()))
                .collect(),
            units: BTreeMap::new(),
        }
    }
}

/// A format's pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Unit,
    Year,
    Seq(usize),
}

fn pieces(format: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = format;
    let mut seq = false;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("unclosed brace in {format:?}"))?;
        let name = &rest[open + 1..open + close];
        out.push(match name {
            "unit" => Piece::Unit,
            "year" => Piece::Year,
            "seq" => Piece::Seq(0),
            _ => match name.strip_prefix("seq:").map(str::parse::<usize>) {
                Some(Ok(n)) if (1..=9).contains(&n) => Piece::Seq(n),
                _ => return Err(format!("unknown placeholder {{{name}}} in {format:?}")),
            },
        });
        seq |= matches!(out.last(), Some(Piece::Seq(_)));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    if rest.contains('}')
        || out
            .iter()
            .any(|p| matches!(p, Piece::Text(t) if t.contains('}')))
    {
        return Err(format!("stray brace in {format:?}"));
    }
    if !seq {
        return Err(format!("{format:?} has no {{seq}}: numbers would repeat"));
    }
    Ok(out)
}

impl Numbering {
    /// Checks every format; unknown scopes and placeholders are errors (English, for the
    /// policy's error which names the entry).
    pub fn parse(raw: &RawNumbering) -> Result<Numbering, String> {
        let mut n = Numbering::default();
        for (code, f) in &raw.formats {
            let scope = Scope::parse(code)
                .ok_or_else(|| format!("numbers.formats: unknown kind {code:?}"))?;
            pieces(f).map_err(|e| format!("numbers.formats.{code}: {e}"))?;
            n.formats.insert(scope, f.clone());
        }
        n.units = raw.units.clone();
        Ok(n)
    }

    /// The number `seq` of `scope` in `unit`'s `year`.
    pub fn render(&self, scope: Scope, unit: &str, year: i16, seq: i64) -> String {
        let format = self
            .formats
            .get(&scope)
            .map(String::as_str)
            .unwrap_or("{seq}");
        let short = self.units.get(unit).map(String::as_str).unwrap_or(unit);
        let Ok(pieces) = pieces(format) else {
            return seq.to_string();
        };
        pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => (*t).to_owned(),
                Piece::Unit => short.to_owned(),
                Piece::Year => year.to_string(),
                Piece::Seq(w) => format!("{seq:0w$}", w = *w),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_by_their_format() {
        let raw = RawNumbering {
            formats: [
                ("copy".to_owned(), "{unit}复字〔{year}〕{seq}号".to_owned()),
                ("package".to_owned(), "{unit}-{year}-{seq:4}".to_owned()),
            ]
            .into(),
            units: [("平顶山高新区应急管理局".to_owned(), "平高应急".to_owned())].into(),
        };
        let n = Numbering::parse(&raw).unwrap();
        let gx = "平顶山高新区应急管理局";
        #[rustfmt::skip]
        let rows = [
            (Scope::Copy, gx, 2026, 7, "平高应急复字〔2026〕7号"),
            (Scope::Copy, gx, 2027, 1, "平高应急复字〔2027〕1号"),
            (Scope::Package, gx, 2026, 12, "平高应急-2026-0012"),
            (Scope::Package, gx, 2026, 123_456, "平高应急-2026-123456"),
            (Scope::Loan, gx, 2026, 3, "平高应急借字〔2026〕3号"),
            (Scope::MadeCopy, gx, 2026, 4, "平高应急复制件〔2026〕4号"),
            (Scope::Copy, "卫东区应急管理局", 2026, 2, "卫东区应急管理局复字〔2026〕2号"),
        ];
        for (scope, unit, year, seq, want) in rows {
            assert_eq!(n.render(scope, unit, year, seq), want);
        }
    }

    #[test]
    fn bad_formats_are_refused() {
        for (code, f, why) in [
            ("copy", "{unit}复字〔{year}〕号", "no {seq}"),
            ("copy", "{unit}复字{seq", "unclosed"),
            ("copy", "{who}{seq}", "unknown placeholder"),
            ("copy", "{seq:0}", "unknown placeholder"),
            ("copy", "{seq}}", "stray"),
            ("letters", "{seq}", "unknown kind"),
        ] {
            let raw = RawNumbering {
                formats: [(code.to_owned(), f.to_owned())].into(),
                units: BTreeMap::new(),
            };
            let e = Numbering::parse(&raw).unwrap_err();
            assert!(e.contains(why), "{f}: {e}");
        }
    }
}
