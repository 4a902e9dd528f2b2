//! Noticing that files a server reads (certificates, keys, a site folder) have changed.
//!
//! Kubernetes Secret and ConfigMap volumes replace their files by swapping a `..data` symlink,
//! which a watch on the file itself never sees. So the parent directories are watched (notify:
//! inotify on Linux) for a prompt reaction, every path is also polled, and SIGHUP forces a
//! reload. A change is decided by comparing fingerprints (size, modification time, inode, read
//! through symlinks), so an event that changed nothing calls nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How often the paths are polled even when no event arrives.
pub const POLL: Duration = Duration::from_secs(2);
/// After an event, wait this long for the writer to finish before looking.
const SETTLE: Duration = Duration::from_millis(100);
/// A folder's fingerprint covers at most this many entries (a site has a handful).
const MAX_ENTRIES: usize = 10_000;

/// What is known of a path: enough to tell that it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fingerprint {
    Missing,
    File {
        len: u64,
        modified: Option<SystemTime>,
        inode: u64,
    },
    Folder(Vec<(PathBuf, Fingerprint)>),
}

fn fingerprint(path: &Path, budget: &mut usize) -> Fingerprint {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Fingerprint::Missing;
    };
    if !meta.is_dir() {
        return Fingerprint::File {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode: meta.ino(),
        };
    }
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
        Ok(dir) => dir.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => return Fingerprint::Missing,
    };
    entries.sort();
    let mut out = Vec::new();
    for entry in entries {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        let print = fingerprint(&entry, budget);
        out.push((entry, print));
    }
    Fingerprint::Folder(out)
}

fn fingerprints(paths: &[PathBuf]) -> Vec<Fingerprint> {
    let mut budget = MAX_ENTRIES;
    paths.iter().map(|p| fingerprint(p, &mut budget)).collect()
}

/// Calls `changed` (on a blocking thread, one call at a time) whenever one of `paths` (files
/// or folders) changes, or the process gets SIGHUP. Needs a Tokio runtime; runs until it stops.
pub fn on_change(paths: Vec<PathBuf>, changed: impl Fn() + Send + Sync + 'static) {
    let changed = Arc::new(changed);
    let wake = Arc::new(tokio::sync::Notify::new());
    let watcher = directory_watcher(&paths, wake.clone());
    tokio::spawn(async move {
        // Kept alive as long as the loop runs.
        let _watcher = watcher;
        let mut hangup =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        let mut seen = fingerprints(&paths);
        loop {
            let forced = tokio::select! {
                () = tokio::time::sleep(POLL) => false,
                () = wake.notified() => { tokio::time::sleep(SETTLE).await; false },
                Some(()) = async {
                    match hangup.as_mut() {
                        Some(signal) => signal.recv().await,
                        None => std::future::pending().await,
                    }
                } => true,
            };
            let list = paths.clone();
            let now = tokio::task::spawn_blocking(move || fingerprints(&list))
                .await
                .unwrap_or_default();
            if forced || now != seen {
                seen = now;
                let call = changed.clone();
                let _ = tokio::task::spawn_blocking(move || call()).await;
            }
        }
    });
}

/// Watches the folders that hold `paths` (and the folders themselves), waking `wake` on any
/// event. `None` where the platform refuses: polling still works.
fn directory_watcher(
    paths: &[PathBuf],
    wake: Arc<tokio::sync::Notify>,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let mut watcher = notify::recommended_watcher(move |_event: notify::Result<notify::Event>| {
        wake.notify_one();
    })
    .ok()?;
    for path in paths {
        let (target, mode) = if path.is_dir() {
            (path.as_path(), notify::RecursiveMode::Recursive)
        } else {
            (
                path.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new(".")),
                notify::RecursiveMode::NonRecursive,
            )
        };
        let _ = watcher.watch(target, mode);
    }
    Some(watcher)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_rewritten_file_changes_its_fingerprint() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("tls.crt");
        std::fs::write(&file, "one")?;
        let before = fingerprints(std::slice::from_ref(&file));
        // Written elsewhere and renamed over it, as atomic writers and Secret volumes do.
        let tmp = dir.path().join("tls.crt.tmp");
        std::fs::write(&tmp, "two, longer")?;
        std::fs::rename(&tmp, &file)?;
        assert_ne!(before, fingerprints(std::slice::from_ref(&file)));
        Ok(())
    }

    #[test]
    fn a_folder_fingerprint_sees_a_new_nested_file() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join("openid/v1"))?;
        let before = fingerprints(&[dir.path().to_path_buf()]);
        std::fs::write(dir.path().join("openid/v1/jwks"), "{}")?;
        assert_ne!(before, fingerprints(&[dir.path().to_path_buf()]));
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_symlink_swap_is_noticed() -> std::io::Result<()> {
        // A Secret volume: tls.crt -> ..data/tls.crt, ..data -> ..2024_01; a renewal makes
        // ..2024_02 and swaps ..data.
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        std::fs::create_dir(root.join("..v1"))?;
        std::fs::write(root.join("..v1/tls.crt"), "first")?;
        std::os::unix::fs::symlink("..v1", root.join("..data"))?;
        std::os::unix::fs::symlink("..data/tls.crt", root.join("tls.crt"))?;
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        on_change(vec![root.join("tls.crt")], move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        std::fs::create_dir(root.join("..v2"))?;
        std::fs::write(root.join("..v2/tls.crt"), "second, renewed")?;
        std::os::unix::fs::symlink("..v2", root.join("..data.tmp"))?;
        std::fs::rename(root.join("..data.tmp"), root.join("..data"))?;
        // Polling alone notices within POLL; wait up to three periods.
        for _ in 0..60 {
            if calls.load(Ordering::SeqCst) > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        Ok(())
    }
}
