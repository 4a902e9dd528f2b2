//! The data directory of `kwi serve`: the store (`kwi.redb`) and the keyring holding kwi's own
//! signing key, private to the user that runs kwi whatever its umask.

use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::{ClientTokens, Store};

/// Why the data directory could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataDirError {
    /// A file or directory could not be created, read or protected.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The store file exists but is empty: a truncated store, not a new one.
    #[error(
        "{0}: the store is an empty file (0 bytes), as a truncated or damaged store would be; kwi will not start over it as if it were new. Restore it from a backup, or move it away to start with an empty store"
    )]
    EmptyStore(PathBuf),
    /// The store or the keyring could not be read.
    #[error("{path}: {message}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// What opening a data directory found and made.
#[derive(Debug)]
pub struct DataDir {
    /// The store.
    pub store: Store,
    /// kwi's signing key for client tokens.
    pub tokens: ClientTokens,
    /// Things the operator should know (loose permissions found), one line each.
    pub warnings: Vec<String>,
}

fn io<'a>(path: &'a Path, what: &'static str) -> impl FnOnce(std::io::Error) -> DataDirError + 'a {
    move |source| DataDirError::Io {
        path: path.to_path_buf(),
        what,
        source,
    }
}

/// Creates `dir` (and missing parents) with mode 0700; an existing directory is left as it is.
fn private_dir(dir: &Path) -> Result<(), DataDirError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io(dir, "cannot create the directory"))
}

/// Opens the data directory, creating what is missing: directories 0700, the store 0600.
pub fn open(dir: &Path) -> Result<DataDir, DataDirError> {
    let new_dir = !dir.exists();
    private_dir(dir)?;
    let mut warnings = Vec::new();
    let db = dir.join("kwi.redb");
    match std::fs::metadata(&db) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Made here with its mode, then initialised by redb (which takes an empty file).
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&db)
                .map_err(io(&db, "cannot create the store"))?;
        }
        Err(e) => return Err(io(&db, "cannot read the store")(e)),
        Ok(meta) if meta.len() == 0 && !new_dir => {
            return Err(DataDirError::EmptyStore(db));
        }
        Ok(meta) => {
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600))
                    .map_err(io(&db, "cannot make the store private (mode 0600)"))?;
                warnings.push(format!(
                    "{}: was readable or writable by other users (mode {:o}); now 0600",
                    db.display(),
                    meta.permissions().mode() & 0o777
                ));
            }
        }
    }
    let store = Store::open(&db).map_err(|e| DataDirError::Unreadable {
        path: db.clone(),
        message: e.errors.join("; "),
    })?;
    let keyring = dir.join("keyring");
    private_dir(&keyring)?;
    let key_file = keyring.join("client-signing.pem");
    if let Ok(meta) = std::fs::metadata(&key_file)
        && meta.permissions().mode() & 0o077 != 0
    {
        warnings.push(format!(
            "{}: kwi's signing key is readable by other users (mode {:o}): anyone who can read it can forge kwi's client tokens; run chmod 600 on it",
            key_file.display(),
            meta.permissions().mode() & 0o777
        ));
    }
    let tokens = ClientTokens::load_or_create(&keyring).map_err(|e| DataDirError::Unreadable {
        path: key_file,
        message: e.errors.join("; "),
    })?;
    Ok(DataDir {
        store,
        tokens,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777)
    }

    #[test]
    fn a_new_data_directory_is_private_whatever_the_umask() -> Result<(), Box<dyn std::error::Error>>
    {
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().join("kwi-data");
        open(&dir)?;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("keyring")), 0o700);
        assert_eq!(mode(&dir.join("kwi.redb")), 0o600);
        assert_eq!(mode(&dir.join("keyring/client-signing.pem")), 0o600);
        Ok(())
    }

    #[test]
    fn an_empty_store_in_an_existing_directory_is_refused() -> Result<(), Box<dyn std::error::Error>>
    {
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().join("kwi-data");
        open(&dir)?;
        std::fs::write(dir.join("kwi.redb"), b"")?;
        assert!(matches!(open(&dir), Err(DataDirError::EmptyStore(_))));
        Ok(())
    }

    #[test]
    fn a_readable_signing_key_is_reported() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().join("kwi-data");
        open(&dir)?;
        let key = dir.join("keyring/client-signing.pem");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644))?;
        let opened = open(&dir)?;
        assert!(
            opened
                .warnings
                .iter()
                .any(|w| w.contains("client-signing.pem"))
        );
        Ok(())
    }
}
