//! `file://DIR`: the documents written into a folder a web server serves, each atomically
//! (a temporary file beside it, fsync, rename), so a reader sees the old or the new file whole.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::PublishError;

/// The file's bytes now (`None`: no such file).
pub(crate) fn current(path: &Path) -> Result<Option<Vec<u8>>, PublishError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(PublishError::usage(format!(
            "{}: cannot read: {e}",
            path.display()
        ))),
    }
}

/// Writes the file atomically, readable by the web server (mode 0644).
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let shown = path.display();
    let fail = |e: std::io::Error| PublishError::usage(format!("{shown}: cannot write: {e}"));
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(fail)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.kwi-tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(parent)?.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_whole_files_and_reads_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/.well-known/openid-configuration");
        assert_eq!(super::current(&path).unwrap(), None);
        super::write(&path, b"{}").unwrap();
        super::write(&path, b"{\"x\":1}").unwrap();
        assert_eq!(super::current(&path).unwrap().unwrap(), b"{\"x\":1}");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    }
}
