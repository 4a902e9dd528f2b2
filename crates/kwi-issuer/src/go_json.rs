//! JSON as Go's `encoding/json` writes it, so documents are byte-identical to kube-apiserver's.

/// Applies Go's HTML-safe escaping to serialized JSON: `<`, `>`, `&`, U+2028 and U+2029 become
/// `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`. They can only occur inside strings.
pub(crate) fn html_safe(json: String) -> String {
    if !json.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_like_go() {
        assert_eq!(
            super::html_safe(r#"{"a":"x<y>&z"}"#.into()),
            r#"{"a":"x\u003cy\u003e\u0026z"}"#
        );
        assert_eq!(super::html_safe("{}".into()), "{}");
    }
}
