//! `kwi serve --config FILE`: mounts, configs and roles declared in a TOML file, applied at start
//! with the same checks as API writes, and read-only through the API, so replicas that share the
//! file (a ConfigMap) serve the same logins.
//!
//! ```toml
//! root_token_file = "/var/run/secrets/kwi/root-token"   # optional
//!
//! [[mount]]
//! path = "jwt"
//! [mount.config]
//! jwt_validation_pubkeys = ["-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----"]
//! [mount.roles.my-role]
//! role_type = "jwt"
//! bound_audiences = ["vault"]
//! bound_subject = "system:serviceaccount:default:default"
//! user_claim = "sub"
//! token_policies = ["default"]
//! token_ttl = "1h"
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::store::Mount;
use crate::{JwtConfig, Role, Store};

/// The file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declared {
    /// A file holding the root token (the `KWI_ROOT_TOKEN` environment variable wins).
    pub root_token_file: Option<String>,
    /// The mounts.
    #[serde(default, rename = "mount")]
    pub mounts: Vec<DeclaredMount>,
}

/// One mount of the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredMount {
    /// The mount path (`jwt`, `k8s/prod`).
    pub path: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// The config, with the fields of `auth/<mount>/config`.
    pub config: toml::Table,
    /// Roles by name, with the fields of `auth/<mount>/role/<name>`.
    #[serde(default)]
    pub roles: BTreeMap<String, toml::Table>,
}

fn to_json(table: &toml::Table) -> Result<Map<String, Value>, String> {
    match serde_json::to_value(table).map_err(|e| e.to_string())? {
        Value::Object(map) => Ok(map),
        _ => Err("not a table".into()),
    }
}

impl Declared {
    /// Reads the file's text.
    pub fn parse(text: &str) -> Result<Declared, String> {
        let declared: Declared = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = std::collections::HashSet::new();
        for mount in &declared.mounts {
            let path = mount.path.trim_matches('/');
            if path.is_empty() {
                return Err("a [[mount]] has an empty path".into());
            }
            if !seen.insert(path.to_string()) {
                return Err(format!("mount {path:?} is declared twice"));
            }
        }
        Ok(declared)
    }

    /// Checks every mount, config and role as an API write would, more strictly (a field kwi
    /// does not read is refused: a misspelt `bound_subject` must not silently drop a constraint),
    /// without touching the store. Mount paths follow the API's rules, among themselves and
    /// against the mounts the store holds (a store mount of the same path is replaced).
    pub fn check(&self, store: &Store) -> Result<Vec<CheckedMount>, String> {
        let declared: Vec<String> = self
            .mounts
            .iter()
            .map(|m| m.path.trim_matches('/').to_string())
            .collect();
        let stored: Vec<String> = store
            .mounts()
            .map_err(|e| e.errors.join("; "))?
            .into_iter()
            // Mounts of an earlier file that this one drops are about to go.
            .filter(|(name, mount)| !mount.declared && !declared.contains(name))
            .map(|(name, _)| name)
            .collect();
        let mut checked = Vec::new();
        for (i, mount) in self.mounts.iter().enumerate() {
            let path = declared[i].clone();
            let others = declared
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, p)| p.as_str())
                .chain(stored.iter().map(String::as_str));
            crate::api::check_new_mount(&path, others)
                .map_err(|e| format!("mount {path:?}: {}", e.errors.join("; ")))?;
            known_fields(&mount.config, CONFIG_FIELDS)
                .map_err(|e| format!("mount {path:?}: config: {e}"))?;
            let config = JwtConfig::from_request(&to_json(&mount.config)?)
                .map_err(|e| format!("mount {path:?}: config: {}", e.errors.join("; ")))?;
            let mut roles = Vec::new();
            let mut warnings = Vec::new();
            for (name, table) in &mount.roles {
                let (role, role_warnings) = known_fields(table, ROLE_FIELDS)
                    .and_then(|()| {
                        Role::from_request(None, &to_json(table)?).map_err(|e| e.errors.join("; "))
                    })
                    .map_err(|e| format!("mount {path:?}: role {name:?}: {e}"))?;
                warnings.extend(
                    role_warnings
                        .into_iter()
                        .map(|w| format!("mount {path:?}: role {name:?}: {w}")),
                );
                roles.push((name.to_lowercase(), role));
            }
            checked.push(CheckedMount {
                path,
                description: mount.description.clone(),
                config,
                roles,
                warnings,
            });
        }
        Ok(checked)
    }
}

/// A mount of the file, checked and ready to be written.
#[derive(Debug)]
pub struct CheckedMount {
    /// The mount path.
    pub path: String,
    /// Free text.
    pub description: String,
    /// The config.
    pub config: JwtConfig,
    /// The roles, names lower-cased.
    pub roles: Vec<(String, Role)>,
    /// What a role write through the API would have answered with a warning (a
    /// `token_max_ttl` over the system maximum), naming the mount and role.
    pub warnings: Vec<String>,
}

/// Replaces what the store holds for the checked mounts, and removes the mounts an earlier file
/// declared that this one no longer does (taking a cluster out of the file revokes it); returns
/// the declared paths and the removed ones.
pub fn write(
    checked: &[CheckedMount],
    store: &Store,
) -> Result<(Vec<String>, Vec<String>), String> {
    let mut removed = Vec::new();
    for (path, mount) in store.mounts().map_err(|e| e.errors.join("; "))? {
        if mount.declared && !checked.iter().any(|c| c.path == path) {
            store
                .delete_mount(&path)
                .map_err(|e| format!("mount {path:?}: {}", e.errors.join("; ")))?;
            removed.push(path);
        }
    }
    let mut paths = Vec::new();
    for mount in checked {
        let path = &mount.path;
        let err = |e: crate::ApiError| format!("mount {path:?}: {}", e.errors.join("; "));
        store.delete_mount(path).map_err(err)?;
        let accessor = format!("auth_jwt_{}", path.replace('/', "_"));
        store
            .put_mount(
                path,
                &Mount {
                    kind: "jwt".into(),
                    description: mount.description.clone(),
                    accessor,
                    declared: true,
                },
            )
            .map_err(err)?;
        store.put_config(path, &mount.config).map_err(err)?;
        for (name, role) in &mount.roles {
            store.put_role(path, name, role).map_err(err)?;
        }
        paths.push(path.clone());
    }
    Ok((paths, removed))
}

/// The config fields kwi reads (`auth/<mount>/config`).
const CONFIG_FIELDS: &[&str] = &[
    "bound_issuer",
    "default_role",
    "jwks_ca_pem",
    "jwks_pairs",
    "jwks_url",
    "jwt_supported_algs",
    "jwt_validation_pubkeys",
    "oidc_discovery_ca_pem",
    "oidc_discovery_url",
];

/// The role fields kwi reads (`auth/<mount>/role/<name>`), deprecated ones included.
const ROLE_FIELDS: &[&str] = &[
    "bound_audiences",
    "bound_cidrs",
    "bound_claims",
    "bound_claims_type",
    "bound_subject",
    "claim_mappings",
    "clock_skew_leeway",
    "expiration_leeway",
    "groups_claim",
    "max_ttl",
    "not_before_leeway",
    "policies",
    "role_type",
    "token_bound_cidrs",
    "token_explicit_max_ttl",
    "token_max_ttl",
    "token_no_default_policy",
    "token_num_uses",
    "token_period",
    "token_policies",
    "token_ttl",
    "token_type",
    "ttl",
    "user_claim",
    "user_claim_json_pointer",
];

fn known_fields(table: &toml::Table, known: &[&str]) -> Result<(), String> {
    match table.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(format!(
            "unknown field {unknown:?}; kwi reads {}",
            known.join(", ")
        )),
        None => Ok(()),
    }
}
