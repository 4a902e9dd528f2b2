//! Go's `fmt` `%v` and `%q` for JSON values, so that messages quoting a value read as OpenBao's.

use serde_json::{Number, Value};

/// How a number was held on the Go side, which decides how `%v` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Numbers {
    /// `json.Number`: the JSON text (request bodies, which Vault decodes with `UseNumber`).
    Text,
    /// `float64`: token claims, which go-jose decodes without `UseNumber`.
    Float,
}

/// Go's `%v` of a decoded JSON value: `map[a:1 b:[x y]]` (keys sorted), `<nil>` for null.
pub(crate) fn value(v: &Value, numbers: Numbers) -> String {
    let mut out = String::new();
    write_value(&mut out, v, numbers);
    out
}

fn write_value(out: &mut String, v: &Value, numbers: Numbers) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::String(s) => out.push_str(s),
        Value::Number(n) => match numbers {
            Numbers::Text => out.push_str(&n.to_string()),
            Numbers::Float => out.push_str(&float(n.as_f64().unwrap_or_default())),
        },
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, item, numbers);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("map[");
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(':');
                write_value(out, &map[key], numbers);
            }
            out.push(']');
        }
    }
}

/// Go's `%v` of a `float64`: the shortest digits, in `%e` form when the exponent is under -4
/// or at least 6 (`1e+06`, `1e-05`, `123456`).
pub(crate) fn float(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as Go's does: `1.5e6`, `-2e-7`.
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or_default();
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if !(-4..6).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let esign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}{rest}e{esign}{:02}", exponent.abs());
    }
    let point = exponent + 1; // digits before the decimal point
    if point <= 0 {
        let zeros = "0".repeat(point.unsigned_abs() as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let point = point as usize;
    if digits.len() <= point {
        format!("{sign}{digits}{}", "0".repeat(point - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..point], &digits[point..])
    }
}

/// Go's `int(f)` of a claim's `float64` as OpenBao's `getClaim` turns a number into a
/// `json.Number`: the integer part (Go gives the minimum int64 when it does not fit).
pub(crate) fn claim_integer(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    let f = n.as_f64().unwrap_or_default();
    if f.is_finite() && f > i64::MIN as f64 && f < i64::MAX as f64 {
        (f.trunc() as i64).to_string()
    } else {
        i64::MIN.to_string()
    }
}

/// Go's `%q` (`strconv.Quote`): double-quoted, with Go's escapes.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let n = c as u32;
                if n < 0x10000 {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_as_go_prints_them() {
        for (f, text) in [
            (1.0, "1"),
            (1.5, "1.5"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5e-7, "-2.5e-07"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
            (-0.5, "-0.5"),
        ] {
            assert_eq!(float(f), text, "{f}");
        }
    }

    #[test]
    fn values_as_go_prints_them() {
        let v = json!({"b": [1, "x", null], "a": {"c": true}});
        assert_eq!(value(&v, Numbers::Text), "map[a:map[c:true] b:[1 x <nil>]]");
        assert_eq!(value(&json!([1.5, 1e6]), Numbers::Float), "[1.5 1e+06]");
        assert_eq!(value(&json!({}), Numbers::Text), "map[]");
    }

    #[test]
    fn claim_numbers_truncate_as_go_int() {
        let n = |v: Value| claim_integer(v.as_number().unwrap());
        assert_eq!(n(json!(7)), "7");
        assert_eq!(n(json!(7.9)), "7");
        assert_eq!(n(json!(-7.9)), "-7");
        assert_eq!(n(json!(1e300)), i64::MIN.to_string());
    }

    #[test]
    fn quotes_as_go() {
        assert_eq!(quote("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(quote("\u{1}ü"), "\"\\x01ü\"");
    }
}
