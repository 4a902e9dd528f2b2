//! `kwi vault sync`: a Vault (or OpenBao, or `kwi serve`) JWT mount's `jwt_validation_pubkeys`
//! kept equal to the keys a cluster publishes, the rest of the mount's configuration kept.
//!
//! Vault's `auth/<mount>/config` write replaces the whole configuration (a field not given is
//! reset to its default), so the configuration is read, its keys replaced, and written back.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use kwi_jose::{Key, kubernetes_kid, pem, spki_der};
use serde_json::{Map, Value};

use crate::Rejected;
use crate::cli::VaultSyncArgs;
use crate::files;

/// Runs `kwi vault sync`, once or (--watch) every --interval.
pub(super) fn run(args: &VaultSyncArgs) -> Result<()> {
    let vault = Vault::from_args(args)?;
    if !args.watch {
        return sync_once(args, &vault);
    }
    let interval = kwi_jose::time::parse_duration(&args.interval)
        .map_err(|e| anyhow!("--interval: {e}"))?
        .max(1);
    eprintln!(
        "kwi: syncing auth/{}/config every {} (Ctrl-C stops)",
        args.mount,
        kwi_jose::time::format_duration(interval)
    );
    loop {
        // A failure (the issuer or Vault down for a moment) is reported; the next round retries.
        if let Err(e) = sync_once(args, &vault) {
            eprintln!("kwi: {e:#}");
        }
        std::thread::sleep(Duration::from_secs(interval.unsigned_abs()));
    }
}

/// The keys of every source, distinct, as Vault is given them: SPKI PEM.
fn wanted_keys(args: &VaultSyncArgs) -> Result<Vec<Key>> {
    let mut keys: Vec<Key> = Vec::new();
    let mut add = |found: Vec<Key>, source: &str| -> Result<()> {
        let public: Vec<Key> = found.iter().map(Key::to_public).collect();
        if public.is_empty() {
            bail!("{source}: holds no key");
        }
        for key in public {
            if !keys.iter().any(|k| k.public() == key.public()) {
                keys.push(key);
            }
        }
        Ok(())
    };
    let ca = args.ca_file.as_deref();
    for issuer in &args.issuer_url {
        let (jwks, _) = crate::fetch::issuer_jwks(issuer, ca)?;
        add(parse(&jwks, issuer)?, issuer)?;
    }
    for url in &args.jwks_url {
        let jwks = crate::fetch::get_document(url, ca)?;
        add(parse(&jwks, url)?, url)?;
    }
    for path in &args.keys {
        let found = files::read_keys(path)?
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        add(found, files::display_name(path))?;
    }
    Ok(keys)
}

fn parse(document: &str, source: &str) -> Result<Vec<Key>> {
    kwi_jose::parse_keys(document.as_bytes()).map_err(|e| anyhow!("{source}: {e}"))
}

/// The public keys of PEM texts as Vault holds them (unreadable entries are kept apart, by text).
fn key_set(pems: &[String]) -> (BTreeSet<Vec<u8>>, usize) {
    let mut set = BTreeSet::new();
    let mut unreadable = 0;
    for text in pems {
        match kwi_jose::parse_keys(text.as_bytes()) {
            Ok(keys) => set.extend(keys.iter().filter_map(|k| spki_der(k).ok())),
            Err(_) => unreadable += 1,
        }
    }
    (set, unreadable)
}

fn kid_list(keys: &[Key]) -> String {
    keys.iter()
        .map(|k| kubernetes_kid(k).unwrap_or_else(|_| k.describe()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the mount's configuration, and writes it back with the wanted keys when they differ.
fn sync_once(args: &VaultSyncArgs, vault: &Vault) -> Result<()> {
    let keys = wanted_keys(args)?;
    let pems = keys
        .iter()
        .map(|k| Ok(pem::encode("PUBLIC KEY", &spki_der(k)?)))
        .collect::<Result<Vec<String>>>()?;
    let path = format!("auth/{}/config", args.mount.trim_matches('/'));
    let mut config = vault.read_config(&path)?;
    for field in ["jwks_url", "oidc_discovery_url"] {
        if let Some(url) = config
            .get(field)
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
        {
            return Err(Rejected(format!(
                "{path}: the mount verifies with {field} {url}: Vault fetches the issuer's keys itself, \
                 there is nothing to sync (kwi vault sync is for jwt_validation_pubkeys)"
            ))
            .into());
        }
    }
    let present: Vec<String> = config
        .get("jwt_validation_pubkeys")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let (have, unreadable) = key_set(&present);
    let (want, _) = key_set(&pems);
    if have == want && unreadable == 0 {
        eprintln!(
            "kwi: {path}: up to date ({} key(s): {})",
            keys.len(),
            kid_list(&keys)
        );
        return Ok(());
    }
    eprintln!(
        "kwi: {path}: {} key(s) in Vault, {} wanted: {}",
        present.len(),
        keys.len(),
        kid_list(&keys)
    );
    if args.dry_run {
        eprintln!("kwi: dry run: nothing is written");
        return Ok(());
    }
    config.insert("jwt_validation_pubkeys".into(), Value::from(pems));
    vault.write_config(&path, &config)?;
    eprintln!("kwi: {path}: jwt_validation_pubkeys written");
    Ok(())
}

/// A Vault server, found as the vault CLI finds it.
struct Vault {
    addr: String,
    token: String,
    namespace: Option<String>,
    client: kwi_auth::remote::HttpClient,
    runtime: tokio::runtime::Runtime,
}

/// The token: VAULT_TOKEN, else the vault CLI's ~/.vault-token.
fn vault_token() -> Result<String> {
    if let Ok(token) = std::env::var("VAULT_TOKEN")
        && !token.trim().is_empty()
    {
        return Ok(token.trim().to_string());
    }
    let file = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".vault-token"));
    match file.as_deref().map(std::fs::read_to_string) {
        Some(Ok(token)) if !token.trim().is_empty() => Ok(token.trim().to_string()),
        _ => bail!(
            "no Vault token: set VAULT_TOKEN (or log in with the vault CLI, which writes ~/.vault-token)"
        ),
    }
}

impl Vault {
    fn from_args(args: &VaultSyncArgs) -> Result<Vault> {
        let addr = args.vault_addr.trim_end_matches('/').to_string();
        if !addr.starts_with("https://") && !addr.starts_with("http://") {
            bail!("VAULT_ADDR {addr}: give an http:// or https:// URL");
        }
        let client =
            kwi_auth::remote::http_client_with_ca_file(args.vault_ca_file.as_deref(), false)
                .map_err(|e| anyhow!("VAULT_CACERT: {e}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        Ok(Vault {
            addr,
            token: vault_token()?,
            namespace: std::env::var("VAULT_NAMESPACE")
                .ok()
                .filter(|n| !n.is_empty()),
            client,
            runtime,
        })
    }

    /// One request; the answer's status and JSON body (Vault's `errors` turned into the error).
    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Map<String, Value>>,
    ) -> Result<(u16, Value)> {
        let url = format!("{}/v1/{path}", self.addr);
        let mut request = self
            .client
            .request(method, &url)
            .header("X-Vault-Token", &self.token)
            .header("X-Vault-Request", "true");
        if let Some(ns) = &self.namespace {
            request = request.header("X-Vault-Namespace", ns);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(serde_json::to_vec(body).context("cannot encode the configuration")?);
        }
        self.runtime.block_on(async {
            let response = request.send().await.map_err(|e| anyhow!("{url}: {e}"))?;
            let status = response.status().as_u16();
            let text = response.text().await.map_err(|e| anyhow!("{url}: {e}"))?;
            let json: Value = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text)
                    .map_err(|_| anyhow!("{url}: answered {status} with a body that is not JSON"))?
            };
            if status >= 400 && status != 404 {
                let errors = json
                    .get("errors")
                    .and_then(Value::as_array)
                    .map(|e| {
                        e.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .unwrap_or_default();
                bail!("{url}: Vault answered {status}: {errors}");
            }
            Ok((status, json))
        })
    }

    /// The mount's configuration (empty when the mount has none yet: Vault answers 404 with
    /// no error; a path that is no mount is a 404 with an error).
    fn read_config(&self, path: &str) -> Result<Map<String, Value>> {
        let (status, json) = self.call(reqwest::Method::GET, path, None)?;
        if status == 404 {
            let no_error = json
                .get("errors")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty);
            if no_error {
                return Ok(Map::new());
            }
            let mount = path.trim_end_matches("/config");
            bail!(
                "{}/v1/{path}: not found: is {mount} a JWT auth mount? (vault auth enable -path=... jwt)",
                self.addr
            );
        }
        Ok(json
            .get("data")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .collect())
    }

    fn write_config(&self, path: &str, config: &Map<String, Value>) -> Result<()> {
        let (status, _) = self.call(reqwest::Method::POST, path, Some(config))?;
        if status == 404 {
            bail!("{}/v1/{path}: not found", self.addr);
        }
        Ok(())
    }
}
