//! A ServiceAccount as the webhook reads it: its namespace, name and annotations.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::ReviewError;

/// A ServiceAccount's identity and annotations (everything the webhook reads from it).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "ServiceAccountDocument")]
pub struct ServiceAccount {
    /// `metadata.namespace` ("default" when the document has none, as kubectl applies it).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
}

impl ServiceAccount {
    /// A ServiceAccount from its JSON document (`kubectl get sa NAME -o json`).
    pub fn from_json(document: &[u8]) -> Result<Self, ReviewError> {
        serde_json::from_slice(document).map_err(|e| ReviewError::BadServiceAccount(e.to_string()))
    }

    /// An annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.get(key).map(String::as_str)
    }
}

/// The Kubernetes object shape a ServiceAccount is read from (JSON or YAML).
#[derive(Debug, Deserialize)]
struct ServiceAccountDocument {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

impl TryFrom<ServiceAccountDocument> for ServiceAccount {
    type Error = String;

    fn try_from(doc: ServiceAccountDocument) -> Result<Self, String> {
        match doc.kind.as_deref() {
            Some("ServiceAccount") | None => {}
            Some(other) => {
                return Err(format!("kind is {other:?}, not \"ServiceAccount\""));
            }
        }
        let metadata = doc.metadata.ok_or("it has no metadata")?;
        let name = metadata
            .name
            .filter(|n| !n.is_empty())
            .ok_or("it has no metadata.name")?;
        Ok(Self {
            namespace: metadata
                .namespace
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "default".to_owned()),
            name,
            annotations: metadata.annotations.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_service_account_document() {
        let sa = ServiceAccount::from_json(
            br#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"s3","namespace":"apps",
                "annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::111122223333:role/r"}}}"#,
        )
        .map_err(|e| e.to_string());
        let sa = sa.as_ref().map(|sa| {
            (
                sa.namespace.as_str(),
                sa.name.as_str(),
                sa.annotation("eks.amazonaws.com/role-arn"),
            )
        });
        assert_eq!(
            sa,
            Ok(("apps", "s3", Some("arn:aws:iam::111122223333:role/r")))
        );
    }

    #[test]
    fn namespace_defaults_and_wrong_kinds_are_refused() {
        let sa = ServiceAccount::from_json(br#"{"metadata":{"name":"x"}}"#).map(|sa| sa.namespace);
        assert_eq!(sa, Ok("default".to_owned()));
        let err = ServiceAccount::from_json(br#"{"kind":"Pod","metadata":{"name":"x"}}"#)
            .map_err(|e| e.to_string());
        assert!(
            matches!(&err, Err(m) if m.contains("kind is \"Pod\"")),
            "{err:?}"
        );
        let err =
            ServiceAccount::from_json(br#"{"kind":"ServiceAccount"}"#).map_err(|e| e.to_string());
        assert!(
            matches!(&err, Err(m) if m.contains("no metadata")),
            "{err:?}"
        );
        let err = ServiceAccount::from_json(b"[").map_err(|e| e.to_string());
        assert!(
            matches!(&err, Err(m) if m.starts_with("not a readable ServiceAccount")),
            "{err:?}"
        );
    }
}
