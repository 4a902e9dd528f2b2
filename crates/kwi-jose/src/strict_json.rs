//! JSON objects read strictly: a member name given twice is an error at any depth, because two
//! parsers that keep different copies of a duplicated claim disagree on what a token says.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let Strict(value) = access.next_value()?;
            if map.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate member {key:?}")));
            }
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

/// Parses bytes that must hold one JSON object with no member name repeated at any depth.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "is not UTF-8".to_string())?;
    let Strict(value) =
        serde_json::from_str(text).map_err(|e| format!("is not valid JSON: {e}"))?;
    match value {
        Value::Object(map) => Ok(map),
        Value::Array(_) => Err("is a JSON array, not an object".into()),
        _ => Err("is not a JSON object".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_object;

    #[test]
    fn duplicates_are_rejected_at_every_depth() {
        assert!(
            parse_object(br#"{"a":1,"a":2}"#)
                .unwrap_err()
                .contains("duplicate member \"a\"")
        );
        assert!(
            parse_object(br#"{"k":{"x":1,"x":1}}"#)
                .unwrap_err()
                .contains("duplicate")
        );
        assert!(
            parse_object(br#"{"k":[{"x":1,"x":1}]}"#)
                .unwrap_err()
                .contains("duplicate")
        );
        assert_eq!(parse_object(br#"{"a":1,"b":{"a":2}}"#).unwrap().len(), 2);
    }

    #[test]
    fn only_objects() {
        assert!(parse_object(b"[1]").unwrap_err().contains("array"));
        assert!(
            parse_object(b"\"x\"")
                .unwrap_err()
                .contains("not a JSON object")
        );
        assert!(parse_object(b"{\"a\":1} x").unwrap_err().contains("JSON"));
        assert!(parse_object(&[0xff, 0xfe]).unwrap_err().contains("UTF-8"));
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(parse_object(format!("{{\"a\":{deep}}}").as_bytes()).is_err());
    }
}
