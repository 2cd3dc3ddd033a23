//! The one CSV writer of every export (register, case list, dashboard): CSV for Excel, UTF-8
//! with a BOM, CRLF line ends, a field quoted (`"` doubled) when it holds `,` `"` CR or LF.
//! A field a spreadsheet would run as a formula — one starting with `=` `+` `-` `@`, TAB
//! or CR (OWASP "CSV injection") — gets a leading `'` so it stays text.

use std::borrow::Cow;

/// Characters that make a spreadsheet read a leading cell text as a formula.
const FORMULA_LEADS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A CSV document being written.
#[derive(Debug)]
pub struct CsvWriter {
    out: String,
}

impl Default for CsvWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvWriter {
    /// An empty document (the BOM only).
    pub fn new() -> Self {
        Self {
            out: String::from("\u{feff}"),
        }
    }

    /// Appends one row.
    pub fn row<I, S>(&mut self, fields: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for (i, f) in fields.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(&field(f.as_ref()));
        }
        self.out.push_str("\r\n");
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// One field, defused and quoted as needed.
pub fn field(s: &str) -> Cow<'_, str> {
    let s: Cow<'_, str> = if s.starts_with(FORMULA_LEADS) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    };
    if s.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        s
    }
}

/// A whole document: the header row, then `rows`.
pub fn document<R, S>(header: &[&str], rows: impl IntoIterator<Item = R>) -> String
where
    R: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut w = CsvWriter::new();
    w.row(header);
    for r in rows {
        w.row(r);
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Field in, field out (hand-written).
    const FIELDS: &[(&str, &str)] = &[
        ("", ""),
        ("普通", "普通"),
        ("a,b", "\"a,b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("two\nlines", "\"two\nlines\""),
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+86 139", "'+86 139"),
        ("-3.00", "'-3.00"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "\"'\rx\""),
        ("=1,2", "\"'=1,2\""),
        ("a=b", "a=b"),
        (" =x", " =x"),
        ("'quoted", "'quoted"),
    ];

    #[test]
    fn fields_are_defused_and_quoted() {
        for (input, expected) in FIELDS {
            assert_eq!(field(input), *expected, "{input:?}");
        }
    }

    #[test]
    fn document_has_a_bom_crlf_and_the_header_first() {
        let out = document(
            &["a", "b"],
            [
                vec!["张伟, 李娜".to_owned(), "=1+1".to_owned()],
                vec!["\"x\"".to_owned(), String::new()],
            ],
        );
        assert_eq!(
            out,
            "\u{feff}a,b\r\n\"张伟, 李娜\",'=1+1\r\n\"\"\"x\"\"\",\r\n"
        );
    }
}
