//! The ServiceAccount cache: a metadata watch of every ServiceAccount (the annotations are in
//! metadata), keeping only the annotations the webhook reads; the `pod-identity-webhook`
//! ConfigMap's entries; and, on a miss, a bounded direct GET (the ServiceAccount created just
//! before its pod, upstream issue #174).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, ServiceAccount as ServiceAccountObject};
use kube::api::{Api, PartialObjectMeta};
use kube::runtime::watcher::{self, Event, watcher};
use kwi_webhook::{ConfigMapEntries, ConfigMapEntry, Directory, Identities, ServiceAccount};

use crate::metrics::Metrics;

/// How long a pod waits for the direct GET of its ServiceAccount (well inside the webhook's
/// 10 s timeout).
pub const DIRECT_GET_DEADLINE: Duration = Duration::from_secs(1);
/// Direct GETs allowed per second on average (upstream's rate), and in a burst.
const GETS_PER_SECOND: f64 = 10.0;
const GET_BURST: f64 = 20.0;

/// What the cache knows about one ServiceAccount, copied out of the lock.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// The ServiceAccount, when known.
    pub service_account: Option<ServiceAccount>,
    /// The ConfigMap entry and whether it was the exact one.
    pub config_map: Option<(ConfigMapEntry, bool)>,
    /// Listed in the identities file.
    pub container_credentials: bool,
}

/// The cache shared by the watches and the request handler.
pub struct Cache {
    directory: RwLock<Directory>,
    service_accounts_synced: AtomicBool,
    config_map_synced: AtomicBool,
    prefixes: Vec<String>,
    client: Option<kube::Client>,
    bucket: Mutex<(f64, Instant)>,
    metrics: Arc<Metrics>,
}

impl Cache {
    /// An empty cache; `prefixes` are the annotation domains kept (`eks.amazonaws.com/`, …).
    pub fn new(
        client: Option<kube::Client>,
        prefixes: Vec<String>,
        watch_config_map: bool,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            directory: RwLock::new(Directory::default()),
            service_accounts_synced: AtomicBool::new(client.is_none()),
            config_map_synced: AtomicBool::new(!watch_config_map || client.is_none()),
            prefixes,
            client,
            bucket: Mutex::new((GET_BURST, Instant::now())),
            metrics,
        }
    }

    /// Whether the first list of ServiceAccounts (and of the ConfigMap) has been read.
    pub fn ready(&self) -> bool {
        self.service_accounts_synced.load(Ordering::Acquire)
            && self.config_map_synced.load(Ordering::Acquire)
    }

    /// How many ServiceAccounts are cached.
    pub fn len(&self) -> usize {
        self.directory.read().map(|d| d.len()).unwrap_or(0)
    }

    /// Whether no ServiceAccount is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces the container-credentials identities.
    pub fn set_identities(&self, identities: Identities) {
        if let Ok(mut d) = self.directory.write() {
            d.identities = identities;
        }
    }

    /// Adds or replaces ServiceAccounts (tests and `--service-account` files).
    pub fn insert(&self, service_account: ServiceAccount) {
        if let Ok(mut d) = self.directory.write() {
            d.insert(service_account);
        }
    }

    fn resolve_cached(&self, namespace: &str, name: &str) -> Resolved {
        let Ok(d) = self.directory.read() else {
            return Resolved::default();
        };
        let lookup = d.lookup(namespace, name);
        Resolved {
            service_account: lookup.service_account.cloned(),
            config_map: lookup.config_map.map(|(e, exact)| (e.clone(), exact)),
            container_credentials: lookup.container_credentials,
        }
    }

    /// What is known about `namespace/name`, asking the API server directly (rate-limited, with a
    /// deadline) when the watch has not seen it.
    pub async fn resolve(&self, namespace: &str, name: &str) -> Resolved {
        let mut resolved = self.resolve_cached(namespace, name);
        if resolved.service_account.is_some() {
            return resolved;
        }
        if let Some(sa) = self.direct_get(namespace, name).await {
            self.insert(sa.clone());
            resolved.service_account = Some(sa);
        } else {
            self.metrics.missing_service_account();
        }
        resolved
    }

    async fn direct_get(&self, namespace: &str, name: &str) -> Option<ServiceAccount> {
        let client = self.client.clone()?;
        if !self.take_token() {
            return None;
        }
        let api: Api<ServiceAccountObject> = Api::namespaced(client, namespace);
        let got = tokio::time::timeout(DIRECT_GET_DEADLINE, api.get_metadata_opt(name)).await;
        self.metrics.direct_get(matches!(got, Ok(Ok(Some(_)))));
        match got {
            Ok(Ok(Some(meta))) => self.service_account_of(&meta),
            _ => None,
        }
    }

    /// A token bucket: GETS_PER_SECOND on average, GET_BURST at once.
    fn take_token(&self) -> bool {
        let Ok(mut bucket) = self.bucket.lock() else {
            return false;
        };
        let now = Instant::now();
        let (tokens, last) = *bucket;
        let tokens =
            (tokens + now.duration_since(last).as_secs_f64() * GETS_PER_SECOND).min(GET_BURST);
        let (left, ok) = if tokens >= 1.0 {
            (tokens - 1.0, true)
        } else {
            (tokens, false)
        };
        *bucket = (left, now);
        ok
    }

    /// The ServiceAccount with only the annotations the webhook reads.
    fn service_account_of(
        &self,
        meta: &PartialObjectMeta<ServiceAccountObject>,
    ) -> Option<ServiceAccount> {
        let name = meta.metadata.name.clone()?;
        let namespace = meta.metadata.namespace.clone().unwrap_or_default();
        let annotations: BTreeMap<String, String> = meta
            .metadata
            .annotations
            .iter()
            .flatten()
            .filter(|(key, _)| self.prefixes.iter().any(|p| key.starts_with(p.as_str())))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Some(ServiceAccount {
            namespace,
            name,
            annotations,
        })
    }

    /// Follows every ServiceAccount until the process ends (the watcher retries with backoff).
    pub async fn watch_service_accounts(self: Arc<Self>) {
        let Some(client) = self.client.clone() else {
            return;
        };
        // An Api of PartialObjectMeta asks for metadata only.
        let api: Api<PartialObjectMeta<ServiceAccountObject>> = Api::all(client);
        let mut stream = watcher(api, watcher::Config::default()).boxed();
        let mut fresh: Option<Directory> = None;
        let mut backoff = Duration::from_millis(200);
        while let Some(event) = stream.next().await {
            let event = match event {
                Ok(event) => event,
                Err(e) => {
                    kwi_http::log::event(
                        "warn",
                        "ServiceAccount watch failed; retrying",
                        &[("error", &e.to_string())],
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    continue;
                }
            };
            backoff = Duration::from_millis(200);
            match event {
                Event::Init => fresh = Some(Directory::default()),
                Event::InitApply(meta) => {
                    if let (Some(d), Some(sa)) = (fresh.as_mut(), self.service_account_of(&meta)) {
                        d.insert(sa);
                    }
                }
                Event::InitDone => {
                    if let (Some(new), Ok(mut d)) = (fresh.take(), self.directory.write()) {
                        let (config_map, identities) = (d.config_map.clone(), d.identities.clone());
                        *d = new;
                        d.config_map = config_map;
                        d.identities = identities;
                    }
                    self.service_accounts_synced.store(true, Ordering::Release);
                    self.metrics.set_service_accounts(self.len());
                }
                Event::Apply(meta) => {
                    if let Some(sa) = self.service_account_of(&meta) {
                        self.insert(sa);
                    }
                    self.metrics.set_service_accounts(self.len());
                }
                Event::Delete(meta) => {
                    if let (Some(name), Ok(mut d)) =
                        (meta.metadata.name.as_deref(), self.directory.write())
                    {
                        d.remove(meta.metadata.namespace.as_deref().unwrap_or(""), name);
                    }
                    self.metrics.set_service_accounts(self.len());
                }
            }
        }
    }

    /// Follows the `pod-identity-webhook` ConfigMap of `namespace`.
    pub async fn watch_config_map(self: Arc<Self>, namespace: String) {
        let Some(client) = self.client.clone() else {
            return;
        };
        let api: Api<ConfigMap> = Api::namespaced(client, &namespace);
        let config = watcher::Config::default().fields("metadata.name=pod-identity-webhook");
        let mut stream = watcher(api, config).boxed();
        let mut seen = false;
        while let Some(event) = stream.next().await {
            match event {
                Ok(Event::Init) => seen = false,
                Ok(Event::InitApply(cm) | Event::Apply(cm)) => {
                    seen = true;
                    self.apply_config_map(&cm);
                }
                Ok(Event::InitDone) => {
                    if !seen {
                        self.set_config_map(ConfigMapEntries::default());
                    }
                    self.config_map_synced.store(true, Ordering::Release);
                }
                Ok(Event::Delete(_)) => self.set_config_map(ConfigMapEntries::default()),
                Err(e) => {
                    kwi_http::log::event(
                        "warn",
                        "ConfigMap watch failed; retrying",
                        &[("error", &e.to_string())],
                    );
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    fn apply_config_map(&self, cm: &ConfigMap) {
        let config = cm
            .data
            .as_ref()
            .and_then(|d| d.get("config"))
            .map(String::as_str)
            .unwrap_or("{}");
        match ConfigMapEntries::parse(config) {
            Ok(entries) => self.set_config_map(entries),
            // As upstream: a config that cannot be read leaves the previous entries in force.
            Err(e) => kwi_http::log::event(
                "error",
                "pod-identity-webhook ConfigMap ignored",
                &[("error", &e.to_string())],
            ),
        }
    }

    fn set_config_map(&self, entries: ConfigMapEntries) {
        if let Ok(mut d) = self.directory.write() {
            d.config_map = entries;
        }
    }
}
