//! Kubernetes objects from files as kubectl writes them: JSON, or YAML with any number of
//! documents; a `List`'s items are objects of their own.

use anyhow::{Result, anyhow};
use serde_json::Value;

use crate::files::{display_name, read_input};

/// Every object of a file (or standard input for `-`).
pub(crate) fn read_objects(path: &str) -> Result<Vec<Value>> {
    let data = read_input(path)?;
    parse_objects(&data).map_err(|e| anyhow!("{}: {e}", display_name(path)))
}

/// Every object of a JSON or YAML text.
pub(crate) fn parse_objects(data: &[u8]) -> Result<Vec<Value>> {
    let documents: Vec<Value> = match serde_json::from_slice::<Value>(data) {
        Ok(value) => vec![value],
        Err(_) => {
            let text = std::str::from_utf8(data)
                .map_err(|_| anyhow!("neither JSON nor YAML (not UTF-8 text)"))?;
            serde_saphyr::from_multiple(text)
                .map_err(|e| anyhow!("neither JSON nor readable YAML: {e}"))?
        }
    };
    let mut objects = Vec::new();
    for document in documents {
        match document {
            Value::Null => {}
            Value::Object(ref map) if map.get("kind").and_then(Value::as_str) == Some("List") => {
                objects.extend(
                    map.get("items")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .cloned(),
                );
            }
            Value::Object(_) => objects.push(document),
            other => return Err(anyhow!("a document is not an object: {}", kind_of(&other))),
        }
    }
    Ok(objects)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_yaml_documents_and_lists() {
        let names = |data: &str| -> Vec<String> {
            parse_objects(data.as_bytes())
                .unwrap_or_default()
                .iter()
                .map(|o| o["metadata"]["name"].as_str().unwrap_or("").to_owned())
                .collect()
        };
        assert_eq!(
            names(r#"{"kind":"ServiceAccount","metadata":{"name":"a"}}"#),
            ["a"]
        );
        assert_eq!(
            names(
                "kind: ServiceAccount\nmetadata:\n  name: a\n---\nkind: ServiceAccount\nmetadata: {name: b}\n---\n"
            ),
            ["a", "b"]
        );
        assert_eq!(
            names("kind: List\nitems:\n- metadata: {name: a}\n- metadata: {name: b}\n"),
            ["a", "b"]
        );
        assert!(parse_objects(b"- 1\n- 2\n").is_err());
        assert!(parse_objects(b"key: [unclosed\n").is_err());
    }
}
