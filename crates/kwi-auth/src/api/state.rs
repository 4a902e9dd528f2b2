//! What every request handler shares: the store, kwi's signing key, the root token, and the
//! caches of mounts, roles and each mount's keys.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use kwi_jose::KeySet;

use crate::metrics::{Metrics, RemoteState};
use crate::remote::{RemoteKeys, config_error};
use crate::{ApiError, ClientTokens, JwtConfig, Role, Store};

/// Everything a request handler needs.
pub struct AppState {
    /// The store.
    pub store: Store,
    /// kwi's client tokens.
    pub tokens: ClientTokens,
    /// The token administrative calls need.
    pub root_token: String,
    /// Each mount's config with its keys, built once per config write.
    keys: RwLock<HashMap<String, Arc<MountKeys>>>,
    /// Builds keys that are not loaded (after a restart), one at a time: concurrent first logins
    /// wait for one fetch instead of each making its own.
    building: tokio::sync::Mutex<()>,
    /// The last failed build of each mount's keys: within the refetch cooldown its error is
    /// answered again without fetching, so logins cannot make kwi hammer a failing cluster.
    failed: std::sync::Mutex<HashMap<String, (std::time::Instant, ApiError)>>,
    /// The mounts found so far; dropped on every mount write. Names that are not mounts are
    /// not kept: any client can send any number of them.
    mounts: RwLock<HashMap<String, bool>>,
    /// The roles found so far; dropped on every role or mount write. Unknown names are not kept.
    roles: RwLock<HashMap<String, Option<Arc<Role>>>>,
    /// Counters for `/metrics`.
    pub(super) metrics: Metrics,
    /// Mounts declared in the config file: read-only through the API.
    declared: std::collections::HashSet<String>,
    /// The config file, for the read-only message.
    declared_in: String,
    /// Whether the server speaks TLS (for the URLs of its own issuer documents).
    pub tls: bool,
}

impl AppState {
    /// State over a store and a signing key.
    pub fn new(store: Store, tokens: ClientTokens, root_token: String) -> AppState {
        AppState {
            store,
            tokens,
            root_token,
            keys: RwLock::new(HashMap::new()),
            building: tokio::sync::Mutex::new(()),
            failed: std::sync::Mutex::new(HashMap::new()),
            mounts: RwLock::new(HashMap::new()),
            roles: RwLock::new(HashMap::new()),
            metrics: Metrics::default(),
            declared: std::collections::HashSet::new(),
            declared_in: String::new(),
            tls: false,
        }
    }

    /// Makes mounts read-only through the API: they come from `file`.
    pub fn declare(&mut self, mounts: Vec<String>, file: &str) {
        self.declared.extend(mounts);
        self.declared_in = file.to_string();
    }

    /// Keeps the keys [`check_keys`] read for a mount, so that its first login fetches nothing.
    pub fn remember_checked(&self, mount: &str, keys: CheckedKeys) {
        self.remember_keys(mount, keys.0);
    }

    pub(super) fn writable(&self, mount: &str) -> Result<(), ApiError> {
        if self.declared.contains(mount) {
            return Err(ApiError::bad_request(format!(
                "mount {mount:?} is declared in {} and is read-only here; change the file and restart kwi",
                self.declared_in
            )));
        }
        Ok(())
    }

    /// The state of every mount's remote keys that are loaded.
    pub(super) fn remote_states(&self) -> Vec<(String, RemoteState)> {
        let mut states: Vec<(String, RemoteState)> = self
            .keys
            .read()
            .map(|map| {
                map.iter()
                    .filter_map(|(mount, entry)| match &entry.keys {
                        Keys::Remote(remote) => Some((mount.clone(), remote.state())),
                        Keys::Static(_) => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        states.sort_by(|a, b| a.0.cmp(&b.0));
        states
    }

    // Every write goes through this process (redb locks the file), so these caches stay exact.
    pub(super) fn mount_exists(&self, mount: &str) -> Result<bool, ApiError> {
        if let Some(found) = self.mounts.read().ok().and_then(|m| m.get(mount).copied()) {
            return Ok(found);
        }
        let exists = self.store.mount(mount)?.is_some();
        if exists && let Ok(mut map) = self.mounts.write() {
            map.insert(mount.to_string(), exists);
        }
        Ok(exists)
    }

    pub(super) fn role(&self, mount: &str, name: &str) -> Result<Option<Arc<Role>>, ApiError> {
        let key = crate::store::role_key(mount, name);
        if let Some(found) = self.roles.read().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(found);
        }
        let role = self.store.role(mount, name)?.map(Arc::new);
        if role.is_some()
            && let Ok(mut map) = self.roles.write()
        {
            map.insert(key, role.clone());
        }
        Ok(role)
    }

    pub(super) fn forget_mount(&self, mount: &str) {
        if let Ok(mut map) = self.mounts.write() {
            map.remove(mount);
        }
        self.forget_roles();
        self.forget_keys(mount);
    }

    pub(super) fn forget_roles(&self) {
        if let Ok(mut map) = self.roles.write() {
            map.clear();
        }
    }

    pub(super) async fn mount_keys(&self, mount: &str) -> Result<Option<Arc<MountKeys>>, ApiError> {
        let cached = || self.keys.read().ok().and_then(|m| m.get(mount).cloned());
        if let Some(found) = cached() {
            return Ok(Some(found));
        }
        let _one_at_a_time = self.building.lock().await;
        if let Some(found) = cached() {
            return Ok(Some(found));
        }
        let recent_failure = self.failed.lock().ok().and_then(|m| {
            m.get(mount)
                .filter(|(at, _)| at.elapsed() < crate::remote::REFETCH_COOLDOWN)
                .map(|(_, e)| e.clone())
        });
        if let Some(error) = recent_failure {
            return Err(error);
        }
        let Some(config) = self.store.config(mount)? else {
            return Ok(None);
        };
        match MountKeys::build(config).await {
            Ok(entry) => {
                let entry = Arc::new(entry);
                self.remember(mount, entry.clone());
                Ok(Some(entry))
            }
            Err(error) => {
                if let Ok(mut map) = self.failed.lock() {
                    map.insert(
                        mount.to_string(),
                        (std::time::Instant::now(), error.clone()),
                    );
                }
                Err(error)
            }
        }
    }

    fn remember(&self, mount: &str, entry: Arc<MountKeys>) {
        if let Ok(mut map) = self.failed.lock() {
            map.remove(mount);
        }
        if let Ok(mut map) = self.keys.write() {
            map.insert(mount.to_string(), entry);
        }
    }

    pub(super) fn remember_keys(&self, mount: &str, keys: MountKeys) {
        self.remember(mount, Arc::new(keys));
    }

    fn forget_keys(&self, mount: &str) {
        if let Ok(mut map) = self.failed.lock() {
            map.remove(mount);
        }
        if let Ok(mut map) = self.keys.write() {
            map.remove(mount);
        }
    }
}

/// A config's keys, read by [`check_keys`] before anything is stored.
pub struct CheckedKeys(MountKeys);

/// Reads a config's keys as a config write does (parsing its PEMs, fetching its remote keys),
/// without storing anything: `--config` files are checked this way before they are applied,
/// and the keys kept with [`AppState::remember_checked`] once they are.
pub async fn check_keys(config: &JwtConfig) -> Result<CheckedKeys, ApiError> {
    MountKeys::build(config.clone()).await.map(CheckedKeys)
}

/// A mount's config with the keys it names: static PEMs, or keys fetched and cached.
pub(super) struct MountKeys {
    pub(super) config: JwtConfig,
    pub(super) keys: Keys,
}

/// Where a mount's keys come from.
pub(super) enum Keys {
    /// PEMs in the config.
    Static(KeySet),
    /// Fetched from a JWKS or discovery URL, and cached.
    Remote(RemoteKeys),
}

impl MountKeys {
    /// Parses the PEMs, or fetches the remote keys, then checks the algorithms (failing as
    /// OpenBao's config write does, in its order).
    pub(super) async fn build(config: JwtConfig) -> Result<MountKeys, ApiError> {
        let keys = match config.sources()? {
            None => Keys::Static(config.key_set()?),
            Some(sources) => {
                let discovery = sources.first().is_some_and(|s| s.discovery);
                Keys::Remote(
                    RemoteKeys::fetch(sources)
                        .await
                        .map_err(|e| config_error(discovery, &e))?,
                )
            }
        };
        config.check_algorithms()?;
        Ok(MountKeys { config, keys })
    }
}

/// The key set of a mount that has no config yet.
pub(super) static NO_KEYS: std::sync::LazyLock<KeySet> = std::sync::LazyLock::new(KeySet::empty);
