//! Request fields as Vault's framework reads them: lists as JSON arrays or comma-separated
//! strings, durations as integers or Go duration strings, booleans as JSON or strings.

use serde_json::{Map, Value};

use crate::ApiError;
use crate::gofmt::{self, Numbers};

fn bad(field: &str, what: &str) -> ApiError {
    ApiError::bad_request(format!(
        "error converting input for field {field:?}: {what}"
    ))
}

/// What Go's mapstructure calls a decoded JSON value's type in its messages.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "json.Number",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn unconvertible(name: &str, expected: &str, v: &Value) -> String {
    format!(
        "'{name}' expected type '{expected}', got unconvertible type '{}'",
        go_type(v)
    )
}

/// A scalar as mapstructure's weak decoding turns it into a string: numbers as their JSON
/// text, booleans as `1`/`0`, null as empty; `None` for arrays and objects.
fn weak_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.into()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// A string field (`TypeString`): a null sets it empty.
pub(crate) fn string(body: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    let Some(v) = body.get(field) else {
        return Ok(None);
    };
    weak_text(v)
        .map(Some)
        .ok_or_else(|| bad(field, &unconvertible("", "string", v)))
}

/// A list field (`TypeCommaStringSlice`): a JSON array, or one comma-separated string, each
/// item trimmed and kept even when empty, as Vault's `parseutil.ParseCommaStringSlice`. Numbers
/// and booleans become their text (`1`/`0`); a null sets the list empty.
pub(crate) fn list(
    body: &Map<String, Value>,
    field: &str,
) -> Result<Option<Vec<String>>, ApiError> {
    let Some(v) = body.get(field) else {
        return Ok(None);
    };
    let items: Vec<&Value> = match v {
        Value::Null => return Ok(Some(Vec::new())),
        Value::String(s) if s.is_empty() => return Ok(Some(Vec::new())),
        Value::String(s) => return Ok(Some(s.split(',').map(|p| p.trim().to_string()).collect())),
        Value::Object(m) if m.is_empty() => return Ok(Some(Vec::new())),
        Value::Array(items) => items.iter().collect(),
        // A single value is a list of one (an object then fails as an item).
        single => vec![single],
    };
    let mut out = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match weak_text(item) {
            Some(text) => out.push(text.trim().to_string()),
            None => errors.push(format!(
                "{}, value: '{}'",
                unconvertible(&format!("[{i}]"), "string", item),
                gofmt::value(item, Numbers::Text)
            )),
        }
    }
    if !errors.is_empty() {
        return Err(bad(
            field,
            &format!(
                "{} error(s) decoding:\n\n* {}",
                errors.len(),
                errors.join("\n* ")
            ),
        ));
    }
    Ok(Some(out))
}

/// A duration in seconds (`TypeDurationSecond`, or `TypeSignedDurationSecond` when `signed`):
/// an integer or a string as `parseutil.ParseDurationSecond` reads it ("3600", "90s", "1h30m",
/// "2d"); a null is as if the field were not given.
pub(crate) fn duration(
    body: &Map<String, Value>,
    field: &str,
    signed: bool,
) -> Result<Option<i64>, ApiError> {
    let value = match body.get(field) {
        None | Some(Value::Null) => return Ok(None),
        // A json.Number is read as its text: `7.5` has no unit.
        Some(Value::Number(n)) => {
            vault_duration_seconds(&n.to_string()).map_err(|e| bad(field, &e))?
        }
        Some(Value::String(s)) => vault_duration_seconds(s).map_err(|e| bad(field, &e))?,
        Some(_) => return Err(bad(field, "could not parse duration from input")),
    };
    if value < 0 && !signed {
        return Err(bad(
            field,
            &format!("cannot provide negative value '{value}'"),
        ));
    }
    Ok(Some(value))
}

/// Go's `time.ParseDuration`, in whole nanoseconds (`-1.5h`, `100ms`, `1h30m`, `2us`).
fn go_parse_duration(orig: &str) -> Result<i128, String> {
    let invalid = || format!("time: invalid duration {}", gofmt::quote(orig));
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
            return Err(format!(
                "time: missing unit in duration {}",
                gofmt::quote(orig)
            ));
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
                    gofmt::quote(unit_text),
                    gofmt::quote(orig)
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
    // strconv.ParseInt(s, 10, 64): None when not a decimal integer, Err when out of range.
    let go_int = |number: &str| -> Option<Result<i64, ()>> {
        let digits = number.strip_prefix(['-', '+']).unwrap_or(number);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(number.parse::<i64>().map_err(drop))
    };
    // parseutil multiplies in time.Duration (int64 nanoseconds) and refuses an overflow.
    const OVERFLOW: &str =
        "multiplication of durations resulted in overflow, one operand may be too large";
    let whole = |n: i64, unit: i128| {
        let nanos = i128::from(n) * unit;
        if i64::try_from(nanos).is_err() {
            return Err(OVERFLOW.to_string());
        }
        Ok(nanos)
    };
    let nanos = if let Some(Ok(secs)) = go_int(text) {
        whole(secs, 1_000_000_000)?
    } else if let Some(days) = text.strip_suffix('d') {
        match go_int(days) {
            Some(Ok(n)) => whole(n, 86_400_000_000_000)?,
            Some(Err(())) => {
                return Err(format!(
                    "strconv.ParseInt: parsing {}: value out of range",
                    gofmt::quote(days)
                ));
            }
            None => {
                return Err(format!(
                    "strconv.ParseInt: parsing {}: invalid syntax",
                    gofmt::quote(days)
                ));
            }
        }
    } else {
        go_parse_duration(text)?
    };
    i64::try_from(nanos / 1_000_000_000).map_err(|_| OVERFLOW.to_string())
}

/// A boolean (`TypeBool`): JSON true/false, or text Go's `strconv.ParseBool` reads (numbers
/// as their text, so `1` and `0`); empty text and null are false.
pub(crate) fn boolean(body: &Map<String, Value>, field: &str) -> Result<Option<bool>, ApiError> {
    let Some(v) = body.get(field) else {
        return Ok(None);
    };
    if let Value::Bool(b) = v {
        return Ok(Some(*b));
    }
    let text = weak_text(v).ok_or_else(|| bad(field, &unconvertible("", "bool", v)))?;
    match text.as_str() {
        "" | "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(Some(false)),
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(Some(true)),
        _ => Err(bad(
            field,
            "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax",
        )),
    }
}

/// An integer (`TypeInt`): a JSON number or text as Go's `strconv.ParseInt(s, 0, 64)` reads
/// it (`0x10`, `0o17`, `1_000`); booleans are 1 and 0; empty text and null are 0.
pub(crate) fn integer(body: &Map<String, Value>, field: &str) -> Result<Option<i64>, ApiError> {
    let Some(v) = body.get(field) else {
        return Ok(None);
    };
    let text = weak_text(v).ok_or_else(|| bad(field, &unconvertible("", "int", v)))?;
    if text.is_empty() {
        return Ok(Some(0));
    }
    go_parse_int(&text).map(Some).map_err(|why| {
        bad(
            field,
            &format!("'' cannot parse value as 'int': strconv.ParseInt: {why}"),
        )
    })
}

/// Go's `strconv.ParseInt(s, 0, 64)`: the value, or the reason it fails as Go's error ends.
fn go_parse_int(text: &str) -> Result<i64, &'static str> {
    const SYNTAX: &str = "invalid syntax";
    const RANGE: &str = "value out of range";
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let bytes = unsigned.as_bytes();
    if bytes.is_empty() {
        return Err(SYNTAX);
    }
    let (base, digits): (u32, &[u8]) = match bytes {
        [b'0', p, rest @ ..] if !rest.is_empty() && p.eq_ignore_ascii_case(&b'b') => (2, rest),
        [b'0', p, rest @ ..] if !rest.is_empty() && p.eq_ignore_ascii_case(&b'o') => (8, rest),
        [b'0', p, rest @ ..] if !rest.is_empty() && p.eq_ignore_ascii_case(&b'x') => (16, rest),
        [b'0', rest @ ..] => (8, rest),
        _ => (10, bytes),
    };
    let mut n: u128 = 0;
    let mut underscores = false;
    for &c in digits {
        let d = match c {
            b'_' => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => u32::from(c - b'0'),
            c if c.is_ascii_alphabetic() => u32::from(c.to_ascii_lowercase() - b'a') + 10,
            _ => return Err(SYNTAX),
        };
        if d >= base {
            return Err(SYNTAX);
        }
        n = n * u128::from(base) + u128::from(d);
        if n > 1u128 << 64 {
            return Err(RANGE);
        }
    }
    if underscores && !underscore_ok(bytes) {
        return Err(SYNTAX);
    }
    let limit = if negative {
        1u128 << 63
    } else {
        (1u128 << 63) - 1
    };
    if n > limit {
        return Err(RANGE);
    }
    let n = n as i128;
    Ok((if negative { -n } else { n }) as i64)
}

/// Go's `underscoreOK`: underscores only between digits, or after a base prefix.
fn underscore_ok(s: &[u8]) -> bool {
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = s[1].eq_ignore_ascii_case(&b'x');
    }
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Merges what mapstructure's weak decoding makes a map of: an object, or (recursively) a list
/// of objects; nulls leave it unset.
fn merge_map(v: &Value, name: &str, out: &mut Option<Map<String, Value>>) -> Result<(), String> {
    match v {
        Value::Object(m) => {
            let out = out.get_or_insert_with(Map::new);
            for (k, v) in m {
                out.insert(k.clone(), v.clone());
            }
            Ok(())
        }
        Value::Null => Ok(()),
        Value::Array(items) if items.is_empty() => {
            out.get_or_insert_with(Map::new);
            Ok(())
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                merge_map(item, &format!("{name}[{i}]"), out)?;
            }
            Ok(())
        }
        other => Err(unconvertible(name, "map[string]interface {}", other)),
    }
}

/// A map field (`TypeMap`, `bound_claims`): a JSON object (or a list of them, merged). `Some(None)`
/// is a null: the field set to no map at all, which a role read shows as `null`.
pub(crate) fn map(
    body: &Map<String, Value>,
    field: &str,
) -> Result<Option<Option<Map<String, Value>>>, ApiError> {
    let Some(v) = body.get(field) else {
        return Ok(None);
    };
    let mut out = None;
    merge_map(v, "", &mut out).map_err(|e| bad(field, &e))?;
    Ok(Some(out))
}

/// A key-value field (`TypeKVPairs`, `claim_mappings`): an object of scalars (or a list of
/// them, merged), else a list of `key=value` texts. Values are text, as Go's `map[string]string`.
pub(crate) fn kv_pairs(
    body: &Map<String, Value>,
    field: &str,
) -> Result<Option<Option<Map<String, Value>>>, ApiError> {
    let Some(v) = body.get(field) else {
        return Ok(None);
    };
    // First as a map of strings.
    let mut as_map = None;
    if merge_map(v, "", &mut as_map).is_ok() {
        let texts: Option<Map<String, Value>> = match &as_map {
            None => Some(Map::new()),
            Some(m) => m
                .iter()
                .map(|(k, v)| weak_text(v).map(|t| (k.clone(), Value::String(t))))
                .collect(),
        };
        if let Some(texts) = texts {
            return Ok(Some(as_map.map(|_| texts)));
        }
    }
    // Then as a list of `key=value`.
    let items: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    let mut texts = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match weak_text(item) {
            Some(t) => texts.push(t),
            None => errors.push(unconvertible(&format!("[{i}]"), "string", item)),
        }
    }
    if !errors.is_empty() {
        return Err(bad(
            field,
            &format!(
                "decoding failed due to the following error(s):\n\n{}",
                errors.join("\n")
            ),
        ));
    }
    let mut out = Map::new();
    for (i, text) in texts.iter().enumerate() {
        match text.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                out.insert(k.to_string(), Value::String(v.to_string()));
            }
            _ => {
                return Err(bad(
                    field,
                    &format!("invalid key pair at index {i} in field {field:?}"),
                ));
            }
        }
    }
    Ok(Some(Some(out)))
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
        // Empty items are kept, as Vault's ParseCommaStringSlice keeps them.
        assert_eq!(
            list(&b, "a").unwrap(),
            Some(vec!["x".into(), "y".into(), "".into(), "z".into()])
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
mod weak_decoding_tests {
    use super::*;
    use serde_json::json;

    fn one(v: Value) -> Map<String, Value> {
        json!({ "f": v }).as_object().unwrap().clone()
    }

    fn error(r: Result<impl std::fmt::Debug, ApiError>) -> String {
        r.unwrap_err().errors.join("")
    }

    #[test]
    fn scalars_as_mapstructure_reads_them() {
        assert_eq!(string(&one(json!(true)), "f").unwrap(), Some("1".into()));
        assert_eq!(string(&one(json!(7.5)), "f").unwrap(), Some("7.5".into()));
        assert_eq!(string(&one(Value::Null), "f").unwrap(), Some(String::new()));
        assert_eq!(
            error(string(&one(json!([])), "f")),
            "error converting input for field \"f\": '' expected type 'string', got unconvertible type '[]interface {}'"
        );
        assert_eq!(boolean(&one(json!("t")), "f").unwrap(), Some(true));
        assert_eq!(boolean(&one(json!(0)), "f").unwrap(), Some(false));
        assert_eq!(boolean(&one(json!("")), "f").unwrap(), Some(false));
        assert!(error(boolean(&one(json!(7)), "f")).ends_with("strconv.ParseBool: invalid syntax"));
        assert_eq!(integer(&one(json!("0x10")), "f").unwrap(), Some(16));
        assert_eq!(integer(&one(json!(true)), "f").unwrap(), Some(1));
        assert_eq!(integer(&one(json!("")), "f").unwrap(), Some(0));
        assert!(
            error(integer(&one(json!(7.5)), "f")).ends_with("strconv.ParseInt: invalid syntax")
        );
        assert!(
            error(integer(&one(json!(9223372036854775808u64)), "f"))
                .ends_with("value out of range")
        );
        assert!(error(integer(&one(json!(" 5")), "f")).ends_with("invalid syntax"));
        assert_eq!(
            error(duration(&one(json!(true)), "f", false)),
            "error converting input for field \"f\": could not parse duration from input"
        );
        assert!(
            error(duration(&one(json!("-1h")), "f", false))
                .ends_with("cannot provide negative value '-3600'")
        );
        assert!(
            error(duration(&one(json!(7.5)), "f", false))
                .ends_with("time: missing unit in duration \"7.5\"")
        );
        assert_eq!(duration(&one(Value::Null), "f", false).unwrap(), None);
    }

    #[test]
    fn go_integers() {
        for (text, value) in [
            ("10", 10),
            ("-0x1F", -31),
            ("0o17", 15),
            ("017", 15),
            ("0b101", 5),
            ("1_000", 1000),
            ("0", 0),
            ("-9223372036854775808", i64::MIN),
        ] {
            assert_eq!(go_parse_int(text), Ok(value), "{text}");
        }
        for (text, why) in [
            ("_1", "invalid syntax"),
            ("1__0", "invalid syntax"),
            ("08", "invalid syntax"),
            ("0x", "invalid syntax"),
            ("-", "invalid syntax"),
            ("9223372036854775808", "value out of range"),
        ] {
            assert_eq!(go_parse_int(text), Err(why), "{text}");
        }
    }

    #[test]
    fn lists_maps_and_pairs_as_vault_reads_them() {
        assert_eq!(
            list(&one(json!([1, true, null, " x "])), "f").unwrap(),
            Some(vec!["1".into(), "1".into(), "".into(), "x".into()])
        );
        assert_eq!(list(&one(json!({})), "f").unwrap(), Some(vec![]));
        assert_eq!(
            error(list(&one(json!([{"a": 1}, ["b"]])), "f")),
            "error converting input for field \"f\": 2 error(s) decoding:\n\n* '[0]' expected type 'string', got unconvertible type 'map[string]interface {}', value: 'map[a:1]'\n* '[1]' expected type 'string', got unconvertible type '[]interface {}', value: '[b]'"
        );
        assert_eq!(map(&one(Value::Null), "f").unwrap(), Some(None));
        assert_eq!(map(&one(json!([])), "f").unwrap(), Some(Some(Map::new())));
        assert_eq!(
            map(&one(json!([{"a": 1}, null, {"b": 2}])), "f").unwrap(),
            Some(json!({"a": 1, "b": 2}).as_object().cloned())
        );
        assert_eq!(
            error(map(&one(json!([["x"]])), "f")),
            "error converting input for field \"f\": '[0][0]' expected type 'map[string]interface {}', got unconvertible type 'string'"
        );
        assert_eq!(
            kv_pairs(&one(json!({"a": 1, "b": null})), "f").unwrap(),
            Some(json!({"a": "1", "b": ""}).as_object().cloned())
        );
        assert_eq!(
            kv_pairs(&one(json!(["a=b=c", "d="])), "f").unwrap(),
            Some(json!({"a": "b=c", "d": ""}).as_object().cloned())
        );
        assert_eq!(
            error(kv_pairs(&one(json!(["a=b", "=c"])), "f")),
            "error converting input for field \"f\": invalid key pair at index 1 in field \"f\""
        );
        assert!(error(kv_pairs(&one(json!({"a": {"b": 1}})), "f")).contains(
            "decoding failed due to the following error(s):\n\n'[0]' expected type 'string'"
        ));
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
            ("9223372036", 9_223_372_036),
            ("106751d", 9_223_286_400),
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
            (
                "9223372037",
                "multiplication of durations resulted in overflow, one operand may be too large",
            ),
            (
                "-106752d",
                "multiplication of durations resulted in overflow, one operand may be too large",
            ),
            (
                "99999999999999999999d",
                "strconv.ParseInt: parsing \"99999999999999999999\": value out of range",
            ),
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
