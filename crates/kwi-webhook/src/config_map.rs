//! The `pod-identity-webhook` ConfigMap (upstream's `--watch-config-map`): ServiceAccounts given a
//! role without being annotated, as `"namespace/name"` or `"*/name"` keys of a JSON object.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::error::ReviewError;

/// One ServiceAccount's settings from the ConfigMap. Go reads the field names case-insensitively
/// (`RoleARN`, `roleArn`, `rolearn` …), and so does kwi.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigMapEntry {
    /// `RoleARN`.
    pub role_arn: String,
    /// `Audience` ("" when unset: the webhook's `--token-audience` is used).
    pub audience: String,
    /// `UseRegionalSTS`.
    pub use_regional_sts: bool,
    /// `TokenExpiration` (0 when unset: the webhook's `--token-expiration` is used).
    pub token_expiration: i64,
}

/// The ConfigMap's entries, by namespace (or `*`) and ServiceAccount name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigMapEntries {
    entries: HashMap<(String, String), ConfigMapEntry>,
}

impl ConfigMapEntries {
    /// Reads the ConfigMap's `config` value. A key without exactly one `/` is refused (upstream's
    /// webhook crashes on one).
    pub fn parse(config: &str) -> Result<Self, ReviewError> {
        let bad = |m: String| ReviewError::BadConfigMap(m);
        let object: Map<String, Value> =
            serde_json::from_str(config).map_err(|e| bad(e.to_string()))?;
        let mut entries = HashMap::with_capacity(object.len());
        for (key, value) in object {
            let Some((namespace, name)) = key.split_once('/').filter(|(_, n)| !n.contains('/'))
            else {
                return Err(bad(format!(
                    "key {key:?} is not \"namespace/serviceaccount\""
                )));
            };
            let entry = entry(&value).map_err(|m| bad(format!("{key:?}: {m}")))?;
            entries.insert((namespace.to_owned(), name.to_owned()), entry);
        }
        Ok(Self { entries })
    }

    /// The entry for `namespace/name`, with `exact` false when it came from `*/name`.
    pub fn get(&self, namespace: &str, name: &str) -> Option<(&ConfigMapEntry, bool)> {
        let key = (namespace.to_owned(), name.to_owned());
        if let Some(entry) = self.entries.get(&key) {
            return Some((entry, true));
        }
        self.entries
            .get(&("*".to_owned(), name.to_owned()))
            .map(|e| (e, false))
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn entry(value: &Value) -> Result<ConfigMapEntry, String> {
    let Value::Object(fields) = value else {
        return Err("not a JSON object".to_owned());
    };
    let mut entry = ConfigMapEntry::default();
    for (field, value) in fields {
        let wrong = |want: &str| format!("{field} is not {want}");
        match field.to_ascii_lowercase().as_str() {
            "rolearn" => entry.role_arn = string(value).ok_or_else(|| wrong("a string"))?,
            "audience" => entry.audience = string(value).ok_or_else(|| wrong("a string"))?,
            "useregionalsts" => {
                entry.use_regional_sts = match value {
                    Value::Bool(b) => *b,
                    Value::Null => false,
                    _ => return Err(wrong("true or false")),
                }
            }
            "tokenexpiration" => {
                entry.token_expiration = match value {
                    Value::Null => 0,
                    v => v
                        .as_i64()
                        .ok_or_else(|| wrong("an integer number of seconds"))?,
                }
            }
            _ => {}
        }
    }
    Ok(entry)
}

fn string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_by_namespace_then_wildcard() {
        let cm = ConfigMapEntries::parse(
            r#"{"apps/s3":{"RoleARN":"arn:a","UseRegionalSTS":true,"TokenExpiration":3600},
                "*/s3":{"rolearn":"arn:any","audience":"aud"}}"#,
        );
        let Ok(cm) = cm else { unreachable!("{cm:?}") };
        let exact = cm.get("apps", "s3").map(|(e, exact)| {
            (
                e.role_arn.as_str(),
                e.use_regional_sts,
                e.token_expiration,
                exact,
            )
        });
        assert_eq!(exact, Some(("arn:a", true, 3600, true)));
        let any = cm
            .get("other", "s3")
            .map(|(e, exact)| (e.role_arn.as_str(), e.audience.as_str(), exact));
        assert_eq!(any, Some(("arn:any", "aud", false)));
        assert!(cm.get("apps", "nobody").is_none());
    }

    #[test]
    fn bad_keys_and_types_are_named() {
        for (config, needle) in [
            (r#"{"noslash":{}}"#, "\"noslash\" is not"),
            (r#"{"a/b/c":{}}"#, "\"a/b/c\" is not"),
            (r#"{"a/b":{"RoleARN":1}}"#, "RoleARN is not a string"),
            (
                r#"{"a/b":{"TokenExpiration":"1h"}}"#,
                "TokenExpiration is not an integer",
            ),
            (r#"{"a/b":[]}"#, "not a JSON object"),
            ("[", "expected a map"),
        ] {
            let err = ConfigMapEntries::parse(config).map_err(|e| e.to_string());
            assert!(
                matches!(&err, Err(m) if m.contains(needle)),
                "{config}: {err:?}"
            );
        }
    }
}
