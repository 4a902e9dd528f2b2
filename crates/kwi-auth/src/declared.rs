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

    /// Checks every config and role as an API write would, then replaces what the store holds
    /// for the declared mounts. Returns the mount paths, which become read-only.
    pub fn apply(&self, store: &Store) -> Result<Vec<String>, String> {
        let mut checked = Vec::new();
        for mount in &self.mounts {
            let path = mount.path.trim_matches('/').to_string();
            let config = JwtConfig::from_request(&to_json(&mount.config)?)
                .map_err(|e| format!("mount {path:?}: config: {}", e.errors.join("; ")))?;
            let mut roles = Vec::new();
            for (name, table) in &mount.roles {
                let role = Role::from_request(None, &to_json(table)?).map_err(|e| {
                    format!("mount {path:?}: role {name:?}: {}", e.errors.join("; "))
                })?;
                roles.push((name.to_lowercase(), role));
            }
            checked.push((path, mount.description.clone(), config, roles));
        }
        let mut paths = Vec::new();
        for (path, description, config, roles) in checked {
            let err = |e: crate::ApiError| format!("mount {path:?}: {}", e.errors.join("; "));
            store.delete_mount(&path).map_err(err)?;
            let accessor = format!("auth_jwt_{}", path.replace('/', "_"));
            store
                .put_mount(
                    &path,
                    &Mount {
                        kind: "jwt".into(),
                        description,
                        accessor,
                    },
                )
                .map_err(err)?;
            store.put_config(&path, &config).map_err(err)?;
            for (name, role) in &roles {
                store.put_role(&path, name, role).map_err(err)?;
            }
            paths.push(path);
        }
        Ok(paths)
    }
}
