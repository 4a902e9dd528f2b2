//! Request fields as Vault's framework reads them: lists as JSON arrays or comma-separated
//! strings, durations as integers or Go duration strings, booleans as JSON or strings.

use serde_json::{Map, Value};

use crate::ApiError;

fn bad(field: &str, what: &str) -> ApiError {
    ApiError::bad_request(format!(
        "error converting input for field {field:?}: {what}"
    ))
}

/// A string field.
pub(crate) fn string(body: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(bad(field, "expected a string")),
    }
}

/// A list field: a JSON array of strings, or one comma-separated string (Vault's
/// `TypeCommaStringSlice`). Empty items are dropped.
pub(crate) fn list(
    body: &Map<String, Value>,
    field: &str,
) -> Result<Option<Vec<String>>, ApiError> {
    let items: Vec<String> = match body.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.split(',').map(|p| p.trim().to_string()).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.trim().to_string()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(bad(field, "expected a list of strings")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad(field, "expected a list of strings")),
    };
    Ok(Some(items.into_iter().filter(|s| !s.is_empty()).collect()))
}

/// A duration in seconds: an integer, or a string "3600", "90s", "10m", "1h30m"; negative
/// values only when `signed`.
pub(crate) fn duration(
    body: &Map<String, Value>,
    field: &str,
    signed: bool,
) -> Result<Option<i64>, ApiError> {
    let shown = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let value = match body.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| bad(field, "not a whole number of seconds"))?,
        Some(Value::String(s)) => vault_duration_seconds(s).map_err(|e| bad(field, &e))?,
        Some(_) => return Err(bad(field, "expected a duration")),
    };
    if value < 0 && !signed {
        let given = body.get(field).map(shown).unwrap_or_default();
        return Err(bad(
            field,
            &format!("cannot provide negative value '{given}'"),
        ));
    }
    Ok(Some(value))
}

/// Go's `strconv.Quote` for the ASCII text of a duration (enough for error messages).
fn go_quote(text: &str) -> String {
    format!("{text:?}")
}

/// Go's `time.ParseDuration`, in whole nanoseconds (`-1.5h`, `100ms`, `1h30m`, `2us`).
fn go_parse_duration(orig: &str) -> Result<i128, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(orig));
    let mut s = orig;
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-') {
        negative = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const LIMIT: i128 = 1 << 63;
    let mut total: i128 = 0;
    while !s.is_empty() {
        if !s.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
            return Err(invalid());
        }
        let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let whole: i128 = if digits == 0 {
            0
        } else {
            s[..digits].parse().map_err(|_| invalid())?
        };
        if whole > LIMIT {
            return Err(invalid());
        }
        s = &s[digits..];
        let mut fraction = "";
        if let Some(rest) = s.strip_prefix('.') {
            let len = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            fraction = &rest[..len];
            s = &rest[len..];
            if digits == 0 && fraction.is_empty() {
                return Err(invalid());
            }
        }
        let unit_len = s
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", go_quote(orig)));
        }
        let unit_text = &s[..unit_len];
        s = &s[unit_len..];
        let unit: i128 = match unit_text {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(unit_text),
                    go_quote(orig)
                ));
            }
        };
        let mut value = whole
            .checked_mul(unit)
            .filter(|v| *v <= LIMIT)
            .ok_or_else(invalid)?;
        if !fraction.is_empty() {
            let f: f64 = format!("0.{fraction}").parse().map_err(|_| invalid())?;
            value += (f * unit as f64) as i128;
        }
        total += value;
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if !negative && total > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(if negative { -total } else { total })
}

/// A duration string as Vault's `parseutil.ParseDurationSecond` reads it, in whole seconds:
/// plain seconds (`3600`), whole days (`2d`), else a Go duration (`90s`, `1.5h`, `100ms`); white
/// space is not trimmed.
fn vault_duration_seconds(text: &str) -> Result<i64, String> {
    if text.is_empty() {
        return Ok(0);
    }
    let go_int = |number: &str| {
        let digits = number.strip_prefix(['-', '+']).unwrap_or(number);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        number.parse::<i64>().ok()
    };
    let nanos = if let Some(secs) = go_int(text) {
        i128::from(secs) * 1_000_000_000
    } else if let Some(days) = text.strip_suffix('d') {
        let n = go_int(days).ok_or_else(|| {
            format!(
                "strconv.ParseInt: parsing {}: invalid syntax",
                go_quote(days)
            )
        })?;
        i128::from(n) * 86_400_000_000_000
    } else {
        go_parse_duration(text)?
    };
    i64::try_from(nanos / 1_000_000_000).map_err(|_| format!("{text:?} is too long"))
}

/// A boolean: JSON true/false or the strings Go's strconv.ParseBool reads.
pub(crate) fn boolean(body: &Map<String, Value>, field: &str) -> Result<Option<bool>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.as_str() {
            "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(Some(true)),
            "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(Some(false)),
            _ => Err(bad(field, "expected a boolean")),
        },
        // mapstructure's WeaklyTypedInput reads 0 and 1; other values fail as in OpenBao.
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
        Some(_) => Err(bad(
            field,
            "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax",
        )),
    }
}

/// An integer.
pub(crate) fn integer(body: &Map<String, Value>, field: &str) -> Result<Option<i64>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad(field, "expected an integer")),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| bad(field, "expected an integer")),
        Some(_) => Err(bad(field, "expected an integer")),
    }
}

/// A map field (`bound_claims`, `claim_mappings`): a JSON object, or a string holding one.
pub(crate) fn map(
    body: &Map<String, Value>,
    field: &str,
) -> Result<Option<Map<String, Value>>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m.clone())),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(Map::new())),
        Some(Value::String(s)) => match serde_json::from_str(s) {
            Ok(Value::Object(m)) => Ok(Some(m)),
            _ => Err(bad(field, "expected a map")),
        },
        Some(_) => Err(bad(field, "expected a map")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn lists_and_durations_as_vault_reads_them() {
        let b = body(
            json!({"a": "x, y,,z", "b": ["p", "q"], "d": "1h30m", "e": 90, "f": "-1", "g": "3600"}),
        );
        assert_eq!(
            list(&b, "a").unwrap(),
            Some(vec!["x".into(), "y".into(), "z".into()])
        );
        assert_eq!(list(&b, "b").unwrap(), Some(vec!["p".into(), "q".into()]));
        assert_eq!(duration(&b, "d", false).unwrap(), Some(5400));
        assert_eq!(duration(&b, "e", false).unwrap(), Some(90));
        assert_eq!(duration(&b, "f", true).unwrap(), Some(-1));
        assert!(duration(&b, "f", false).is_err());
        assert_eq!(duration(&b, "g", false).unwrap(), Some(3600));
        assert_eq!(list(&b, "missing").unwrap(), None);
    }
}

#[cfg(test)]
mod duration_tests {
    use super::*;

    #[test]
    fn durations_as_vault_reads_them() {
        for (text, secs) in [
            ("3600", 3600),
            ("90s", 90),
            ("1h30m", 5400),
            ("1.5h", 5400),
            ("+1h", 3600),
            ("-1h", -3600),
            ("100ms", 0),
            ("1500ms", 1),
            ("2us", 0),
            ("2d", 172_800),
            ("", 0),
            ("0", 0),
        ] {
            assert_eq!(vault_duration_seconds(text), Ok(secs), "{text}");
        }
        for (text, message) in [
            (" 1h", "time: invalid duration \" 1h\""),
            ("1h ", "time: unknown unit \"h \" in duration \"1h \""),
            ("1x", "time: unknown unit \"x\" in duration \"1x\""),
            ("1.5", "time: missing unit in duration \"1.5\""),
            ("1.5d", "strconv.ParseInt: parsing \"1.5\": invalid syntax"),
            ("1e3", "time: unknown unit \"e\" in duration \"1e3\""),
            ("1ys", "time: unknown unit \"ys\" in duration \"1ys\""),
            (".s", "time: invalid duration \".s\""),
            (
                "99999999999999h",
                "time: invalid duration \"99999999999999h\"",
            ),
        ] {
            assert_eq!(
                vault_duration_seconds(text),
                Err(message.to_string()),
                "{text}"
            );
        }
    }
}
