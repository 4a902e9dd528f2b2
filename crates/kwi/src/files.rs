//! Reading inputs and writing outputs: size limits, clear errors naming the path, atomic writes,
//! private keys with mode 0600.

use std::fs::{self, OpenOptions};
use std::io::{IsTerminal, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use kwi_jose::{Format, Key, KeyError, parse_keys_with_format};

/// No key file is this large; a larger input is a mistake (a disk image, /dev/zero).
const MAX_INPUT: u64 = 16 * 1024 * 1024;

/// How a path is named in messages.
pub(crate) fn display_name(path: &str) -> &str {
    if path == "-" { "<stdin>" } else { path }
}

/// Reads a file, or standard input for `-`, refusing directories and oversized input.
pub(crate) fn read_input(path: &str) -> Result<Vec<u8>> {
    let mut data = Vec::new();
    if path == "-" {
        // Standard input can be read once: `kwi jwks - -` would find the second one empty.
        static STDIN_READ: std::sync::atomic::AtomicBool =
            std::sync::atomic::AtomicBool::new(false);
        if STDIN_READ.swap(true, std::sync::atomic::Ordering::Relaxed) {
            bail!(
                "- (standard input) is given twice; it can be read once: give files for the others"
            );
        }
        std::io::stdin()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut data)
            .context("<stdin>: cannot read")?;
    } else {
        let meta = fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => anyhow!("{path}: no such file"),
            std::io::ErrorKind::PermissionDenied => {
                anyhow!("{path}: permission denied (run as a user who can read it)")
            }
            _ => anyhow!("{path}: {e}"),
        })?;
        if meta.is_dir() {
            bail!("{path}: is a directory; give the key file inside it");
        }
        fs::File::open(path)
            .and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut data))
            .map_err(|e| anyhow!("{path}: cannot read: {e}"))?;
    }
    if data.len() as u64 > MAX_INPUT {
        bail!(
            "{}: larger than {} MiB; kwi reads no key, token or document this large",
            display_name(path),
            MAX_INPUT >> 20
        );
    }
    Ok(data)
}

/// Reads every key of a file, with the format it was found in.
pub(crate) fn read_keys(path: &str) -> Result<Vec<(Key, Format)>> {
    let data = read_input(path)?;
    let name = display_name(path);
    parse_keys_with_format(&data).map_err(|e| match e {
        KeyError::Encrypted { fix } => anyhow!(
            "{name}: the private key is encrypted; kwi reads unencrypted keys only: decrypt a copy first with `{}`",
            fix.replace("KEY", name)
        ),
        other => anyhow!("{name}: {other}"),
    })
}

/// Reads the keys of several files, in order.
pub(crate) fn read_all_keys(paths: &[String]) -> Result<Vec<(Key, Format)>> {
    let mut keys = Vec::new();
    for path in paths {
        keys.extend(read_keys(path)?);
    }
    Ok(keys)
}

/// A name beside `dest` that no other writer uses (create_new refuses a clash anyway).
fn temp_path(dest: &Path) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(
        ".{name}.kwi-tmp-{}-{nanos:08x}",
        std::process::id()
    ))
}

/// Writes a file atomically: a temporary file beside it, fsync, then rename (or, without
/// `replace`, a hard link that fails if the destination exists). Secrets get mode 0600.
pub(crate) fn write_atomic(dest: &Path, bytes: &[u8], secret: bool, replace: bool) -> Result<()> {
    let shown = dest.display();
    if dest.is_dir() {
        bail!("{shown}: is a directory; give a file name");
    }
    if !replace && dest.exists() {
        bail!("{shown}: already exists; kwi never overwrites a key (add --force to replace it)");
    }
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)
            .with_context(|| format!("{}: cannot create the folder", parent.display()))?;
    }
    let tmp = temp_path(dest);
    let result = (|| -> std::io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if secret { 0o600 } else { 0o644 })
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if replace {
            fs::rename(&tmp, dest)
        } else {
            fs::hard_link(&tmp, dest).and_then(|()| fs::remove_file(&tmp))
        }
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            bail!(
                "{shown}: already exists; kwi never overwrites a key (add --force to replace it)"
            );
        }
        bail!("{shown}: cannot write: {e}");
    }
    if let Some(parent) = dest.parent() {
        let dir = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Whether a file holds a private key (which kwi never replaces with anything else).
fn holds_private_key(path: &Path, meta: &fs::Metadata) -> bool {
    meta.len() <= MAX_INPUT
        && fs::read(path).is_ok_and(|data| {
            kwi_jose::parse_keys(&data).is_ok_and(|keys| keys.iter().any(Key::is_private))
        })
}

/// Writes an output file: atomically, replacing what was there, except that a private key is
/// never replaced (`kwi jwks sa.key -o sa.key` would lose it), and that devices and pipes
/// (`-o /dev/stdout`) are written into rather than replaced.
/// `replace_private` (`keys convert --force`) lifts the private-key rule.
pub(crate) fn write_output(
    dest: &Path,
    bytes: &[u8],
    secret: bool,
    replace_private: bool,
) -> Result<()> {
    let shown = dest.display();
    if let Ok(meta) = fs::metadata(dest) {
        let kind = meta.file_type();
        if !kind.is_file() && !kind.is_dir() {
            return OpenOptions::new()
                .write(true)
                .open(dest)
                .and_then(|mut f| f.write_all(bytes).and_then(|()| f.flush()))
                .map_err(|e| anyhow!("{shown}: cannot write: {e}"));
        }
        if kind.is_file() && !replace_private && holds_private_key(dest, &meta) {
            bail!(
                "{shown}: holds a private key, which kwi never replaces; choose another file name"
            );
        }
    }
    write_atomic(dest, bytes, secret, true)
}

/// Writes output to a file (see [`write_output`]) or, for none or `-`, to standard output.
pub(crate) fn emit(output: Option<&Path>, bytes: &[u8], secret: bool) -> Result<()> {
    match output {
        Some(path) if path.as_os_str() != "-" => write_output(path, bytes, secret, false),
        _ => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|()| out.flush())
                .context("cannot write to standard output")
        }
    }
}

/// Writes a JSON document exactly as served; on a terminal a newline follows for readability.
pub(crate) fn emit_document(output: Option<&Path>, document: &str) -> Result<()> {
    if output.is_none() && std::io::stdout().is_terminal() {
        return emit(None, format!("{document}\n").as_bytes(), false);
    }
    emit(output, document.as_bytes(), false)
}

/// Refuses to send binary output to a terminal.
pub(crate) fn refuse_binary_to_terminal(output: Option<&Path>) -> Result<()> {
    if output.is_none() && std::io::stdout().is_terminal() {
        bail!("DER is binary: write it to a file with -o FILE or redirect standard output");
    }
    Ok(())
}

/// Writes a program-readable answer to standard output; a reader that went away (`| head`) is
/// not an error.
pub(crate) fn write_stdout(text: &str) -> Result<()> {
    write_out(format!("{text}\n").as_bytes())
}

/// Writes bytes to standard output; a reader that went away (`| head`) is not an error.
pub(crate) fn write_out(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}
