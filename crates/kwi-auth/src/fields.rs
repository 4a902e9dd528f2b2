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
    let value = match body.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| bad(field, "not a whole number of seconds"))?,
        Some(Value::String(s)) if s.trim().is_empty() => 0,
        Some(Value::String(s)) => {
            let s = s.trim();
            let (negative, digits) = match s.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, s),
            };
            let secs = kwi_jose::time::parse_duration(digits).map_err(|e| bad(field, &e))?;
            if negative { -secs } else { secs }
        }
        Some(_) => return Err(bad(field, "expected a duration")),
    };
    if value < 0 && !signed {
        return Err(bad(field, "cannot be negative"));
    }
    Ok(Some(value))
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
        Some(Value::Number(n)) => Ok(Some(n.as_i64() != Some(0))),
        Some(_) => Err(bad(field, "expected a boolean")),
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
