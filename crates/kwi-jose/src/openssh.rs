//! OpenSSH keys: `authorized_keys` lines, RFC 4716 `SSH2 PUBLIC KEY` blocks and unencrypted
//! `OPENSSH PRIVATE KEY` files (the `openssh-key-v1` format of ssh-keygen).

use zeroize::Zeroizing;

use crate::key::{Curve, Key, PrivateKey, PublicKey, RsaPrivate, left_pad, trim_zeros};
use crate::{KeyError, b64, bigint, pem};

const MAGIC: &[u8] = b"openssh-key-v1\0";

fn bad(msg: impl Into<String>) -> KeyError {
    KeyError::OpenSsh(msg.into())
}

/// Reads the SSH wire encoding (RFC 4251 §5).
struct WireReader<'a> {
    data: &'a [u8],
}

impl<'a> WireReader<'a> {
    fn u32(&mut self) -> Result<u32, KeyError> {
        let (head, rest) = self
            .data
            .split_at_checked(4)
            .ok_or_else(|| bad("truncated"))?;
        self.data = rest;
        Ok(u32::from_be_bytes([head[0], head[1], head[2], head[3]]))
    }

    fn string(&mut self) -> Result<&'a [u8], KeyError> {
        let len = self.u32()? as usize;
        let (head, rest) = self
            .data
            .split_at_checked(len)
            .ok_or_else(|| bad("truncated"))?;
        self.data = rest;
        Ok(head)
    }

    fn mpint(&mut self) -> Result<&'a [u8], KeyError> {
        let raw = self.string()?;
        if raw.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(bad("negative integer"));
        }
        Ok(trim_zeros(raw))
    }

    fn text(&mut self) -> Result<&'a str, KeyError> {
        std::str::from_utf8(self.string()?).map_err(|_| bad("a name is not UTF-8"))
    }
}

#[derive(Default)]
struct WireWriter(Vec<u8>);

impl WireWriter {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn string(&mut self, s: &[u8]) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s);
    }
    fn mpint(&mut self, be: &[u8]) {
        let be = trim_zeros(be);
        if be.first().is_some_and(|b| b & 0x80 != 0) {
            self.u32(be.len() as u32 + 1);
            self.0.push(0);
            self.0.extend_from_slice(be);
        } else {
            self.string(be);
        }
    }
}

fn curve_from_ssh(name: &str) -> Result<Curve, KeyError> {
    [Curve::P256, Curve::P384, Curve::P521]
        .into_iter()
        .find(|c| c.ssh_name() == name)
        .ok_or_else(|| KeyError::UnsupportedCurve(format!("OpenSSH {name}")))
}

fn key_type_name(public: &PublicKey) -> String {
    match public {
        PublicKey::Rsa { .. } => "ssh-rsa".into(),
        PublicKey::Ec { curve, .. } => format!("ecdsa-sha2-{}", curve.ssh_name()),
        PublicKey::Ed25519 { .. } => "ssh-ed25519".into(),
    }
}

fn unsupported_type(name: &str) -> KeyError {
    if name == "ssh-dss" {
        return KeyError::UnsupportedAlgorithm("DSA (ssh-dss)".into());
    }
    KeyError::UnsupportedAlgorithm(format!("OpenSSH key type {name}"))
}

fn read_public(r: &mut WireReader<'_>, name: &str) -> Result<PublicKey, KeyError> {
    Ok(match name {
        "ssh-rsa" => {
            let e = r.mpint()?.to_vec();
            let n = r.mpint()?.to_vec();
            PublicKey::Rsa { n, e }
        }
        "ssh-ed25519" => PublicKey::Ed25519 {
            x: r.string()?
                .try_into()
                .map_err(|_| bad("an ssh-ed25519 key is not 32 bytes"))?,
        },
        _ => match name.strip_prefix("ecdsa-sha2-") {
            Some(curve_name) => {
                let curve = curve_from_ssh(curve_name)?;
                if r.text()? != curve_name {
                    return Err(bad("the curve inside the key differs from its type"));
                }
                PublicKey::Ec {
                    curve,
                    point: r.string()?.to_vec(),
                }
            }
            None => return Err(unsupported_type(name)),
        },
    })
}

/// Reads the binary public key blob of an OpenSSH key.
pub(crate) fn key_from_public_blob(blob: &[u8]) -> Result<Key, KeyError> {
    let mut r = WireReader { data: blob };
    let name = r.text()?;
    let public = read_public(&mut r, name)?;
    if !r.data.is_empty() {
        return Err(bad("trailing bytes after the key"));
    }
    Key::from_public(public)
}

/// Reads `authorized_keys`-style lines (`ssh-rsa AAAA… comment`), one key per line.
pub(crate) fn keys_from_public_lines(text: &str) -> Result<Vec<Key>, KeyError> {
    let mut keys = Vec::new();
    for (no, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(kind), Some(body)) = (parts.next(), parts.next()) else {
            return Err(bad(format!(
                "line {}: expected \"TYPE BASE64 [COMMENT]\"",
                no + 1
            )));
        };
        let blob = b64::std_decode(body).map_err(|e| bad(format!("line {}: {e}", no + 1)))?;
        let key = key_from_public_blob(&blob).map_err(|e| match e {
            KeyError::OpenSsh(m) => bad(format!("line {}: {m}", no + 1)),
            other => other,
        })?;
        if key_type_name(key.public()) != kind {
            return Err(bad(format!(
                "line {}: the line says {kind} but the key inside is {}",
                no + 1,
                key_type_name(key.public())
            )));
        }
        keys.push(key);
    }
    if keys.is_empty() {
        return Err(bad("no key lines"));
    }
    Ok(keys)
}

/// Reads an RFC 4716 `---- BEGIN SSH2 PUBLIC KEY ----` block (`ssh-keygen -e` without `-m`).
pub(crate) fn key_from_rfc4716(text: &str) -> Result<Key, KeyError> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("---- BEGIN SSH2 PUBLIC KEY"));
    lines.next();
    let mut body = String::new();
    let mut continued = false;
    for line in lines {
        if line.starts_with("---- END SSH2 PUBLIC KEY") {
            let blob = b64::std_decode(&body).map_err(bad)?;
            return key_from_public_blob(&blob);
        }
        if continued || line.contains(':') {
            continued = line.ends_with('\\');
            continue;
        }
        body.push_str(line);
    }
    Err(bad("no ---- END SSH2 PUBLIC KEY ---- line (truncated?)"))
}

/// Reads the body of an `OPENSSH PRIVATE KEY` PEM block.
pub(crate) fn key_from_private(data: &[u8]) -> Result<Key, KeyError> {
    let rest = data
        .strip_prefix(MAGIC)
        .ok_or_else(|| bad("not an openssh-key-v1 private key"))?;
    let mut r = WireReader { data: rest };
    let cipher = r.text()?;
    let _kdf = r.text()?;
    let _kdf_options = r.string()?;
    if cipher != "none" {
        return Err(KeyError::Encrypted {
            fix: "cp KEY KEY.plain && ssh-keygen -p -N '' -f KEY.plain",
        });
    }
    if r.u32()? != 1 {
        return Err(bad(
            "the file holds several keys; kwi reads one private key per file",
        ));
    }
    let public_blob = r.string()?;
    let mut p = WireReader { data: r.string()? };
    if p.u32()? != p.u32()? {
        return Err(bad("the check integers differ (corrupt file)"));
    }
    let name = p.text()?;
    let key = match name {
        "ssh-rsa" => {
            let n = p.mpint()?.to_vec();
            let e = p.mpint()?.to_vec();
            let d = p.mpint()?.to_vec();
            let qi = p.mpint()?.to_vec();
            let prime_p = p.mpint()?.to_vec();
            let prime_q = p.mpint()?.to_vec();
            let dp = bigint::rem(&d, &bigint::minus_one(&prime_p)).ok_or_else(|| bad("p is 1"))?;
            let dq = bigint::rem(&d, &bigint::minus_one(&prime_q)).ok_or_else(|| bad("q is 1"))?;
            Key::from_private(
                PrivateKey::Rsa(RsaPrivate {
                    n,
                    e,
                    d,
                    p: prime_p,
                    q: prime_q,
                    dp,
                    dq,
                    qi,
                }),
                None,
            )?
        }
        "ssh-ed25519" => {
            let pk = p.string()?;
            let sk = p.string()?;
            if sk.len() != 64 {
                return Err(bad("an ssh-ed25519 private key is not 64 bytes"));
            }
            let mut seed = Zeroizing::new([0u8; 32]);
            seed.copy_from_slice(&sk[..32]);
            Key::from_private(PrivateKey::Ed25519 { seed }, Some(pk))?
        }
        _ => {
            let curve_name = name
                .strip_prefix("ecdsa-sha2-")
                .ok_or_else(|| unsupported_type(name))?;
            let curve = curve_from_ssh(curve_name)?;
            let _ = p.text()?;
            let point = p.string()?;
            let d = left_pad(p.mpint()?, curve.field_len())
                .ok_or_else(|| bad("the EC scalar is too long"))?;
            Key::from_private(
                PrivateKey::Ec {
                    curve,
                    d: Zeroizing::new(d),
                },
                Some(point),
            )?
        }
    };
    if key_from_public_blob(public_blob)?.public() != key.public() {
        return Err(bad(
            "the public key in the header does not belong to the private key",
        ));
    }
    Ok(key)
}

fn public_blob(public: &PublicKey) -> Vec<u8> {
    let mut w = WireWriter::default();
    w.string(key_type_name(public).as_bytes());
    match public {
        PublicKey::Rsa { n, e } => {
            w.mpint(e);
            w.mpint(n);
        }
        PublicKey::Ec { curve, point } => {
            w.string(curve.ssh_name().as_bytes());
            w.string(point);
        }
        PublicKey::Ed25519 { x } => w.string(x),
    }
    w.0
}

/// The `authorized_keys` line of a key: `ssh-rsa AAAA… comment`.
pub fn openssh_public_key(key: &Key, comment: &str) -> String {
    let mut line = format!(
        "{} {}",
        key_type_name(key.public()),
        b64::std_encode(&public_blob(key.public()))
    );
    if !comment.is_empty() {
        line.push(' ');
        line.push_str(comment);
    }
    line.push('\n');
    line
}

/// The unencrypted `OPENSSH PRIVATE KEY` PEM of a private key, as `ssh-keygen` writes it.
pub fn openssh_private_key(key: &Key, comment: &str) -> Result<Zeroizing<String>, KeyError> {
    let private = key.private().ok_or_else(|| {
        KeyError::CannotEncode(format!(
            "an OpenSSH private key needs a private key, and this is a {}",
            key.describe()
        ))
    })?;
    let mut check = [0u8; 4];
    aws_lc_rs::rand::fill(&mut check)
        .map_err(|_| KeyError::CannotEncode("no randomness available".into()))?;
    let check = u32::from_be_bytes(check);
    let mut section = WireWriter::default();
    section.u32(check);
    section.u32(check);
    section.string(key_type_name(key.public()).as_bytes());
    match (private, key.public()) {
        (PrivateKey::Rsa(rsa), _) => {
            for part in [&rsa.n, &rsa.e, &rsa.d, &rsa.qi, &rsa.p, &rsa.q] {
                section.mpint(part);
            }
        }
        (PrivateKey::Ec { curve, d }, PublicKey::Ec { point, .. }) => {
            section.string(curve.ssh_name().as_bytes());
            section.string(point);
            section.mpint(d);
        }
        (PrivateKey::Ed25519 { seed }, PublicKey::Ed25519 { x }) => {
            section.string(x);
            let mut sk = Zeroizing::new(seed.to_vec());
            sk.extend_from_slice(x);
            section.string(&sk);
        }
        _ => {
            return Err(KeyError::CannotEncode(
                "the private and public halves disagree".into(),
            ));
        }
    }
    section.string(comment.as_bytes());
    let mut pad = 1u8;
    while section.0.len() % 8 != 0 {
        section.0.push(pad);
        pad += 1;
    }
    let section = Zeroizing::new(section.0);
    let mut w = WireWriter::default();
    w.0.extend_from_slice(MAGIC);
    w.string(b"none");
    w.string(b"none");
    w.string(b"");
    w.u32(1);
    w.string(&public_blob(key.public()));
    w.string(&section);
    let body = Zeroizing::new(w.0);
    // ssh-keygen wraps at 70 columns; 64 is equally accepted and keeps one PEM writer.
    Ok(Zeroizing::new(pem::encode("OPENSSH PRIVATE KEY", &body)))
}
