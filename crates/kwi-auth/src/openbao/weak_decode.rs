//! Request fields as OpenBao's framework reads them (`sdk/framework/field_data.go`, decoding with
//! mapstructure's weak typing, and `sdk/helper/parseutil`): lists as JSON arrays or
//! comma-separated strings, durations as integers or Go duration strings, booleans as JSON or
//! strings, with the framework's error texts.

use serde_json::{Map, Value};

use crate::ApiError;
use crate::go::fmt::{self as gofmt, Numbers};
use crate::go::strconv::parse_int;
use crate::go::time::vault_duration_seconds;

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
    parse_int(&text, 0).map(Some).map_err(|e| {
        let why = e.go_text();
        bad(
            field,
            &format!("'' cannot parse value as 'int': strconv.ParseInt: {why}"),
        )
    })
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
