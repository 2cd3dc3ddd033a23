//! Just enough XML for S3's flat responses: text of named elements, and escaping.

/// Text of every `<name>…</name>` element, unescaped, in document order.
pub(crate) fn all(xml: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(unescape(&after[..end]));
        rest = &after[end + close.len()..];
    }
    out
}

/// Text of the first `<name>…</name>` element.
pub(crate) fn first(xml: &str, name: &str) -> Option<String> {
    all(xml, name).into_iter().next()
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_elements() {
        let xml = "<R><Key>sha256/a</Key><Key>b&amp;c</Key><ETag>&quot;x&quot;</ETag></R>";
        assert_eq!(all(xml, "Key"), vec!["sha256/a", "b&c"]);
        assert_eq!(first(xml, "ETag").as_deref(), Some("\"x\""));
        assert_eq!(first(xml, "Missing"), None);
        assert_eq!(escape("\"a&b\""), "&quot;a&amp;b&quot;");
    }
}
