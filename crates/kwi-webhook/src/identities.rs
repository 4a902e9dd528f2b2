//! The container-credentials identities file (upstream's `--watch-container-credentials-config`):
//! the ServiceAccounts that get EKS Pod Identity instead of web identity.

use std::collections::HashSet;

use serde::Deserialize;

use crate::error::ReviewError;

/// The ServiceAccounts listed in the identities file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identities {
    set: HashSet<(String, String)>,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    identities: Option<Vec<Identity>>,
}

#[derive(Deserialize)]
struct Identity {
    namespace: String,
    #[serde(rename = "serviceAccount")]
    service_account: String,
}

impl Identities {
    /// Reads the file's content; an empty file lists nobody (as upstream).
    pub fn parse(content: &[u8]) -> Result<Self, ReviewError> {
        if content.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        let file: File = serde_json::from_slice(content)
            .map_err(|e| ReviewError::BadIdentities(e.to_string()))?;
        let set = file
            .identities
            .unwrap_or_default()
            .into_iter()
            .map(|i| (i.namespace, i.service_account))
            .collect();
        Ok(Self { set })
    }

    /// Identities from a list of (namespace, ServiceAccount) pairs.
    pub fn from_pairs<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        Self {
            set: pairs.into_iter().collect(),
        }
    }

    /// Whether `namespace/service_account` is listed.
    pub fn contains(&self, namespace: &str, service_account: &str) -> bool {
        self.set
            .contains(&(namespace.to_owned(), service_account.to_owned()))
    }

    /// How many are listed.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether none is listed.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_empties() {
        let ids =
            Identities::parse(br#"{"identities":[{"namespace":"apps","serviceAccount":"s3"}]}"#);
        assert_eq!(
            ids.as_ref()
                .map(|i| (i.contains("apps", "s3"), i.contains("apps", "x"))),
            Ok((true, false))
        );
        assert_eq!(Identities::parse(b" \n").map(|i| i.len()), Ok(0));
        assert_eq!(Identities::parse(b"{}").map(|i| i.len()), Ok(0));
        let err =
            Identities::parse(br#"{"identities":[{"namespace":"a"}]}"#).map_err(|e| e.to_string());
        assert!(
            matches!(&err, Err(m) if m.contains("serviceAccount")),
            "{err:?}"
        );
    }
}
