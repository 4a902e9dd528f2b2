//! How the upstream webhooks (Go) read annotation values and join paths, byte for byte:
//! `strconv.ParseBool`, `strconv.ParseInt(s, 10, 64)`, `path/filepath.Join` on Linux and the first
//! record of `encoding/csv`. Emulation of Go, kept apart from the webhook's own rules.

/// `strconv.ParseBool`: `1 t T TRUE true True` and `0 f F FALSE false False`, nothing else.
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// `strconv.ParseInt(value, 10, 64)`: an optional sign and decimal digits, within i64.
pub(crate) fn parse_int(value: &str) -> Option<i64> {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Rust's parser accepts the same grammar once the digits are known to be plain ASCII.
    value.parse().ok()
}

/// `filepath.Join` on Linux: the non-empty elements joined with `/`, then cleaned; "" when all are empty.
pub(crate) fn join(elements: &[&str]) -> String {
    let joined: Vec<&str> = elements.iter().copied().filter(|e| !e.is_empty()).collect();
    if joined.is_empty() {
        return String::new();
    }
    clean(&joined.join("/"))
}

/// `path.Clean`: one slash between elements, no `.`, `..` resolved lexically, "." for nothing.
pub(crate) fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_owned(),
        (false, false) => body,
    }
}

/// The first record of `encoding/csv` with its defaults (comma-separated, RFC 4180 quotes, no
/// trimming, blank lines skipped); `None` where Go's reader returns an error (empty input, a bare
/// or unterminated quote).
pub(crate) fn csv_first_record(value: &str) -> Option<Vec<String>> {
    let text = value.replace("\r\n", "\n");
    let start = text.find(|c| c != '\n')?;
    let mut chars = text[start..].chars().peekable();
    let mut fields = Vec::new();
    let mut field = String::new();
    loop {
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => break,
                    c => field.push(c),
                }
            }
            match chars.next() {
                None | Some('\n') => {
                    fields.push(field);
                    return Some(fields);
                }
                Some(',') => fields.push(std::mem::take(&mut field)),
                Some(_) => return None,
            }
            continue;
        }
        match chars.next() {
            None | Some('\n') => {
                fields.push(field);
                return Some(fields);
            }
            Some(',') => fields.push(std::mem::take(&mut field)),
            Some('"') => return None,
            Some(c) => field.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_bool_accepts_exactly_gos_spellings() {
        for yes in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_bool(yes), Some(true), "{yes}");
        }
        for no in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_bool(no), Some(false), "{no}");
        }
        for bad in ["", "yes", "tRUE", " true", "2"] {
            assert_eq!(parse_bool(bad), None, "{bad}");
        }
    }

    #[test]
    fn parse_int_is_decimal_with_an_optional_sign() {
        assert_eq!(parse_int("3600"), Some(3600));
        assert_eq!(parse_int("+7"), Some(7));
        assert_eq!(parse_int("-0"), Some(0));
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        for bad in [
            "",
            "+",
            "1_000",
            " 1",
            "1h",
            "0x10",
            "9223372036854775808",
            "++1",
        ] {
            assert_eq!(parse_int(bad), None, "{bad}");
        }
    }

    #[test]
    fn join_cleans_like_filepath_join() {
        assert_eq!(
            join(&["/var/run/secrets/x/", "token"]),
            "/var/run/secrets/x/token"
        );
        assert_eq!(join(&["/a//b", "../c"]), "/a/c");
        assert_eq!(join(&["", "token"]), "token");
        assert_eq!(join(&["", ""]), "");
        assert_eq!(join(&["/", ".."]), "/");
        assert_eq!(join(&["a", "../../b"]), "../b");
        assert_eq!(clean(""), ".");
    }

    #[test]
    fn csv_first_record_reads_like_encoding_csv() {
        assert_eq!(
            csv_first_record("sidecar"),
            Some(vec!["sidecar".to_owned()])
        );
        assert_eq!(
            csv_first_record("a, b"),
            Some(vec!["a".to_owned(), " b".to_owned()])
        );
        assert_eq!(
            csv_first_record("\n\na,b\nc"),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            csv_first_record("\"x,y\",z"),
            Some(vec!["x,y".to_owned(), "z".to_owned()])
        );
        assert_eq!(
            csv_first_record("\"a\"\"b\""),
            Some(vec!["a\"b".to_owned()])
        );
        assert_eq!(
            csv_first_record("a,"),
            Some(vec!["a".to_owned(), String::new()])
        );
        assert_eq!(csv_first_record(""), None);
        assert_eq!(csv_first_record("a\"b"), None);
        assert_eq!(csv_first_record("\"open"), None);
        assert_eq!(csv_first_record("\"a\"b"), None);
    }
}
