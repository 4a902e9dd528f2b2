//! Where a pod's ServiceAccount settings come from: the ServiceAccounts (annotations), the
//! `pod-identity-webhook` ConfigMap and the container-credentials identities file.

use std::collections::HashMap;

use crate::config_map::{ConfigMapEntries, ConfigMapEntry};
use crate::identities::Identities;
use crate::service_account::ServiceAccount;

/// What is known about one pod's ServiceAccount, resolved before the (pure) mutation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lookup<'a> {
    /// The ServiceAccount object, when found.
    pub service_account: Option<&'a ServiceAccount>,
    /// The ConfigMap entry (`namespace/name`, else `*/name`) and whether it was the exact one.
    pub config_map: Option<(&'a ConfigMapEntry, bool)>,
    /// Whether the identities file lists this ServiceAccount (container-credentials mode).
    pub container_credentials: bool,
}

impl<'a> Lookup<'a> {
    /// The ServiceAccount's annotation `domain/name`, when the ServiceAccount is known.
    pub fn annotation(&self, domain: &str, name: &str) -> Option<&'a str> {
        self.service_account?
            .annotation(&format!("{domain}/{name}"))
    }
}

/// All three sources in memory: what `kwi webhook mutate` builds from files, and what the
/// server's cache holds.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    service_accounts: HashMap<(String, String), ServiceAccount>,
    /// The `pod-identity-webhook` ConfigMap's entries.
    pub config_map: ConfigMapEntries,
    /// The container-credentials identities.
    pub identities: Identities,
}

impl Directory {
    /// Adds (or replaces) a ServiceAccount.
    pub fn insert(&mut self, service_account: ServiceAccount) {
        let key = (
            service_account.namespace.clone(),
            service_account.name.clone(),
        );
        self.service_accounts.insert(key, service_account);
    }

    /// Removes a ServiceAccount.
    pub fn remove(&mut self, namespace: &str, name: &str) {
        self.service_accounts
            .remove(&(namespace.to_owned(), name.to_owned()));
    }

    /// A ServiceAccount, when known.
    pub fn service_account(&self, namespace: &str, name: &str) -> Option<&ServiceAccount> {
        self.service_accounts
            .get(&(namespace.to_owned(), name.to_owned()))
    }

    /// How many ServiceAccounts are known.
    pub fn len(&self) -> usize {
        self.service_accounts.len()
    }

    /// Whether no ServiceAccount is known.
    pub fn is_empty(&self) -> bool {
        self.service_accounts.is_empty()
    }

    /// Everything known about `namespace/name`.
    pub fn lookup(&self, namespace: &str, name: &str) -> Lookup<'_> {
        Lookup {
            service_account: self.service_account(namespace, name),
            config_map: self.config_map.get(namespace, name),
            container_credentials: self.identities.contains(namespace, name),
        }
    }
}
