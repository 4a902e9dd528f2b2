//! The embedded store of mounts, configs and roles (redb: every acknowledged write is durable).

use std::path::Path;

use redb::{Database, ReadableDatabase, TableDefinition};
use serde::{Serialize, de::DeserializeOwned};

use crate::{ApiError, JwtConfig, Role};

const MOUNTS: TableDefinition<&str, &[u8]> = TableDefinition::new("mounts");
const CONFIGS: TableDefinition<&str, &[u8]> = TableDefinition::new("configs");
const ROLES: TableDefinition<&str, &[u8]> = TableDefinition::new("roles");

/// A mount of the JWT auth method.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mount {
    /// Always `jwt`.
    pub kind: String,
    /// Free text.
    pub description: String,
    /// The mount's accessor (`auth_jwt_…`).
    pub accessor: String,
    /// Written from a `--config` file (not through the API): removed when the file no longer
    /// declares it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub declared: bool,
}

/// The store.
pub struct Store {
    db: Database,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

fn db_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("storage: {e}"))
}

/// Runs a storage operation, turning a panic inside the storage engine (redb panics on some
/// corrupted pages) into an error: a damaged store must answer 500, not drop the request.
fn guarded<T>(op: impl FnOnce() -> Result<T, ApiError>) -> Result<T, ApiError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(op)).unwrap_or_else(|payload| {
        let what = kwi_http::panic_text(payload.as_ref());
        Err(db_error(format!(
            "the store is damaged ({what}); restore kwi.redb from a backup"
        )))
    })
}

pub(crate) fn role_key(mount: &str, name: &str) -> String {
    format!("{mount}\u{0}{name}")
}

impl Store {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Store, ApiError> {
        guarded(|| {
            let db = Database::create(path).map_err(db_error)?;
            let txn = db.begin_write().map_err(db_error)?;
            for table in [MOUNTS, CONFIGS, ROLES] {
                txn.open_table(table).map_err(db_error)?;
            }
            txn.commit().map_err(db_error)?;
            Ok(Store { db })
        })
    }

    fn get<T: DeserializeOwned>(
        &self,
        table: TableDefinition<&str, &[u8]>,
        key: &str,
    ) -> Result<Option<T>, ApiError> {
        guarded(|| {
            let txn = self.db.begin_read().map_err(db_error)?;
            let table = txn.open_table(table).map_err(db_error)?;
            match table.get(key).map_err(db_error)? {
                Some(bytes) => serde_json::from_slice(bytes.value())
                    .map(Some)
                    .map_err(db_error),
                None => Ok(None),
            }
        })
    }

    fn put<T: Serialize>(
        &self,
        table: TableDefinition<&str, &[u8]>,
        key: &str,
        value: &T,
    ) -> Result<(), ApiError> {
        guarded(|| {
            let bytes = serde_json::to_vec(value).map_err(db_error)?;
            let txn = self.db.begin_write().map_err(db_error)?;
            txn.open_table(table)
                .map_err(db_error)?
                .insert(key, bytes.as_slice())
                .map_err(db_error)?;
            txn.commit().map_err(db_error)
        })
    }

    fn keys_with_prefix(
        &self,
        table: TableDefinition<&str, &[u8]>,
        prefix: &str,
    ) -> Result<Vec<String>, ApiError> {
        guarded(|| {
            let txn = self.db.begin_read().map_err(db_error)?;
            let table = txn.open_table(table).map_err(db_error)?;
            let mut keys = Vec::new();
            for entry in table.range(prefix..).map_err(db_error)? {
                let (key, _) = entry.map_err(db_error)?;
                let key = key.value();
                if !key.starts_with(prefix) {
                    break;
                }
                keys.push(key[prefix.len()..].to_string());
            }
            Ok(keys)
        })
    }

    /// A mount.
    pub fn mount(&self, name: &str) -> Result<Option<Mount>, ApiError> {
        self.get(MOUNTS, name)
    }

    /// Every mount, by name.
    pub fn mounts(&self) -> Result<Vec<(String, Mount)>, ApiError> {
        let mut out = Vec::new();
        for name in self.keys_with_prefix(MOUNTS, "")? {
            if let Some(m) = self.mount(&name)? {
                out.push((name, m));
            }
        }
        Ok(out)
    }

    /// Creates a mount.
    pub fn put_mount(&self, name: &str, mount: &Mount) -> Result<(), ApiError> {
        self.put(MOUNTS, name, mount)
    }

    /// Removes a mount with its config and roles.
    pub fn delete_mount(&self, name: &str) -> Result<(), ApiError> {
        guarded(|| {
            let roles = self.roles(name)?;
            let txn = self.db.begin_write().map_err(db_error)?;
            txn.open_table(MOUNTS)
                .map_err(db_error)?
                .remove(name)
                .map_err(db_error)?;
            txn.open_table(CONFIGS)
                .map_err(db_error)?
                .remove(name)
                .map_err(db_error)?;
            {
                let mut table = txn.open_table(ROLES).map_err(db_error)?;
                for role in roles {
                    table
                        .remove(role_key(name, &role).as_str())
                        .map_err(db_error)?;
                }
            }
            txn.commit().map_err(db_error)
        })
    }

    /// A mount's config.
    pub fn config(&self, mount: &str) -> Result<Option<JwtConfig>, ApiError> {
        self.get(CONFIGS, mount)
    }

    /// Replaces a mount's config.
    pub fn put_config(&self, mount: &str, config: &JwtConfig) -> Result<(), ApiError> {
        self.put(CONFIGS, mount, config)
    }

    /// A role.
    pub fn role(&self, mount: &str, name: &str) -> Result<Option<Role>, ApiError> {
        self.get(ROLES, &role_key(mount, name))
    }

    /// Writes a role.
    pub fn put_role(&self, mount: &str, name: &str, role: &Role) -> Result<(), ApiError> {
        self.put(ROLES, &role_key(mount, name), role)
    }

    /// Deletes a role.
    pub fn delete_role(&self, mount: &str, name: &str) -> Result<(), ApiError> {
        guarded(|| {
            let txn = self.db.begin_write().map_err(db_error)?;
            txn.open_table(ROLES)
                .map_err(db_error)?
                .remove(role_key(mount, name).as_str())
                .map_err(db_error)?;
            txn.commit().map_err(db_error)
        })
    }

    /// The role names of a mount, sorted.
    pub fn roles(&self, mount: &str) -> Result<Vec<String>, ApiError> {
        self.keys_with_prefix(ROLES, &format!("{mount}\u{0}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_the_storage_engine_becomes_a_500() {
        let answer: Result<(), ApiError> = guarded(|| {
            std::panic::resume_unwind(Box::new("Invalid page type byte 215 for page r0.12/0"))
        });
        let error = answer.err().map(|e| (e.status, e.errors.join("")));
        assert!(
            matches!(&error, Some((500, text)) if text.contains("the store is damaged (Invalid page type byte 215")),
            "{error:?}"
        );
    }
}
