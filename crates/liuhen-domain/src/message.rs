//! A message for people as a stable code with named parameters. The domain and the use
//! cases say *what* happened; the server renders it in the interface language through its
//! catalogs (`error.<code>` in `crates/liuhen-server/i18n/*.toml`, `{name}` placeholders),
//! the CLI through the same catalogs. No presentation text lives here.

use std::fmt;

/// A message: `code` names the catalog entry `error.<code>`, `args` fill its placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub code: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

/// The value of a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Shown as it is: a name, a number, a person's own words.
    Text(String),
    /// A fixed value of the domain, shown by its label `<kind>.<code>` in the catalogs.
    Label { kind: &'static str, code: String },
    /// Several values shown as they are, joined as the language lists things.
    List(Vec<String>),
}

impl Message {
    pub fn new(code: &'static str) -> Self {
        Self {
            code,
            args: Vec::new(),
        }
    }

    /// Adds a placeholder shown as it is.
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, Arg::Text(value.to_string())));
        self
    }

    /// Adds a placeholder shown as the label of a fixed value (`<kind>.<code>`).
    pub fn label(
        mut self,
        name: &'static str,
        kind: &'static str,
        code: impl Into<String>,
    ) -> Self {
        self.args.push((
            name,
            Arg::Label {
                kind,
                code: code.into(),
            },
        ));
        self
    }
}

impl Message {
    /// Adds a placeholder shown as a list of values.
    pub fn list(mut self, name: &'static str, items: &[String]) -> Self {
        self.args.push((name, Arg::List(items.to_vec())));
        self
    }
}

/// For logs and `Display` of errors: `code(name=value, …)`, never presentation text.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)?;
        if self.args.is_empty() {
            return Ok(());
        }
        f.write_str("(")?;
        for (i, (name, value)) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match value {
                Arg::Text(t) => write!(f, "{name}={t:?}")?,
                Arg::Label { kind, code } => write!(f, "{name}={kind}.{code}")?,
                Arg::List(items) => write!(f, "{name}={items:?}")?,
            }
        }
        f.write_str(")")
    }
}

impl From<&'static str> for Message {
    fn from(code: &'static str) -> Self {
        Self::new(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_code_and_its_arguments() {
        assert_eq!(Message::new("wrong_target").to_string(), "wrong_target");
        let m = Message::new("not_pending")
            .label("status", "approval_status", "expired")
            .arg("n", 3);
        assert_eq!(
            m.to_string(),
            "not_pending(status=approval_status.expired, n=\"3\")"
        );
    }
}
