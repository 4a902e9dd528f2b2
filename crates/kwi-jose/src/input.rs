//! Reading keys from bytes whose format is not known in advance.

use crate::jwk::{Jwk, Jwks};
use crate::key::{Curve, Key};
use crate::{KeyError, openssh, pem, pkix};

/// The format a key was read from, as far as consumers care (kube-apiserver reads only some).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// PEM with this label (`PUBLIC KEY`, `RSA PUBLIC KEY`, `PRIVATE KEY`, …).
    Pem(&'static str),
    /// Binary DER of this structure.
    Der(&'static str),
    /// A single JWK.
    Jwk,
    /// A JWK Set.
    Jwks,
    /// An `authorized_keys` line.
    OpenSshPublic,
    /// An RFC 4716 `SSH2 PUBLIC KEY` block.
    Rfc4716,
}

impl Format {
    /// Whether kube-apiserver's `--service-account-key-file` can read a key in this format
    /// (client-go `keyutil.ParsePublicKeysPEM`: PEM public keys, certificates and private keys,
    /// but not PKCS#1 `RSA PUBLIC KEY`).
    pub fn kube_apiserver_reads(self) -> bool {
        matches!(
            self,
            Format::Pem(
                "PUBLIC KEY" | "CERTIFICATE" | "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY"
            )
        )
    }

    /// A short description for messages: `PEM "RSA PUBLIC KEY"`, `JWKS`.
    pub fn describe(self) -> String {
        match self {
            Format::Pem(label) => format!("PEM \"{label}\""),
            Format::Der(what) => format!("DER {what}"),
            Format::Jwk => "JWK".into(),
            Format::Jwks => "JWKS".into(),
            Format::OpenSshPublic => "OpenSSH public key".into(),
            Format::Rfc4716 => "RFC 4716 SSH2 public key".into(),
        }
    }
}

/// Reads every key in the input, whatever its format (see [`parse_keys_with_format`]).
pub fn parse_keys(input: &[u8]) -> Result<Vec<Key>, KeyError> {
    Ok(parse_keys_with_format(input)?
        .into_iter()
        .map(|(k, _)| k)
        .collect())
}

/// Reads every key in the input with the format each was found in.
///
/// Accepted: PEM (one or more blocks: SPKI, PKCS#1, PKCS#8, SEC1 with or without a preceding
/// `EC PARAMETERS` block, X.509 certificates, OpenSSH private keys), binary DER of the same
/// structures, a JWK or JWKS, OpenSSH public key lines and RFC 4716 public keys.
pub fn parse_keys_with_format(input: &[u8]) -> Result<Vec<(Key, Format)>, KeyError> {
    let trimmed = input.trim_ascii();
    if trimmed.is_empty() {
        return Err(KeyError::Empty);
    }
    if input.first() == Some(&0x30) {
        match parse_der(input) {
            Ok(found) => return Ok(vec![found]),
            Err(err) if std::str::from_utf8(input).is_err() => return Err(err),
            Err(_) => {} // text that happens to start with '0'
        }
    }
    let Ok(text) = std::str::from_utf8(input) else {
        return Err(KeyError::UnknownFormat {
            hint: "; this is binary data but not DER".into(),
        });
    };
    let text = text.trim_start_matches('\u{feff}');
    let start = text.trim_start();
    if start.starts_with('{') {
        return parse_json(text);
    }
    if start.starts_with("---- BEGIN SSH2 PUBLIC KEY") {
        return Ok(vec![(openssh::key_from_rfc4716(text)?, Format::Rfc4716)]);
    }
    if pem::looks_like_pem(text) {
        return parse_pem(text);
    }
    let first_word = start.split_whitespace().next().unwrap_or_default();
    if first_word.starts_with("ssh-")
        || first_word.starts_with("ecdsa-sha2-")
        || first_word.starts_with("sk-")
    {
        return Ok(openssh::keys_from_public_lines(text)?
            .into_iter()
            .map(|k| (k, Format::OpenSshPublic))
            .collect());
    }
    let hint = if start
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+/=\r\n".contains(c))
    {
        "; it looks like base64 without the -----BEGIN …----- and -----END …----- lines"
    } else {
        ""
    };
    Err(KeyError::UnknownFormat { hint: hint.into() })
}

fn parse_json(text: &str) -> Result<Vec<(Key, Format)>, KeyError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| KeyError::Jwk(format!("not valid JSON: {e}")))?;
    if value.get("keys").is_some() {
        let keys = Jwks::parse(text)?.to_keys()?;
        return Ok(keys.into_iter().map(|k| (k, Format::Jwks)).collect());
    }
    if value.get("kty").is_some() {
        return Ok(vec![(Jwk::parse(text)?.to_key()?, Format::Jwk)]);
    }
    Err(KeyError::Jwk(
        "a JSON object with neither \"kty\" (a JWK) nor \"keys\" (a JWKS)".into(),
    ))
}

fn parse_pem(text: &str) -> Result<Vec<(Key, Format)>, KeyError> {
    let blocks = pem::parse(text)?;
    let several = blocks.len() > 1;
    let mut curve: Option<Curve> = None;
    let mut keys = Vec::new();
    for block in &blocks {
        let found = match block.label.as_str() {
            "EC PARAMETERS" => {
                curve = Some(pkix::curve_from_ec_parameters(&block.der)?);
                continue;
            }
            "PUBLIC KEY" => pkix::key_from_spki(&block.der).map(|k| (k, Format::Pem("PUBLIC KEY"))),
            "RSA PUBLIC KEY" => {
                pkix::key_from_pkcs1_public(&block.der).map(|k| (k, Format::Pem("RSA PUBLIC KEY")))
            }
            "PRIVATE KEY" => {
                pkix::key_from_pkcs8(&block.der).map(|k| (k, Format::Pem("PRIVATE KEY")))
            }
            "RSA PRIVATE KEY" if block.is_encrypted() => Err(KeyError::Encrypted {
                fix: "openssl rsa -in KEY -out KEY.plain",
            }),
            "RSA PRIVATE KEY" => pkix::key_from_pkcs1_private(&block.der)
                .map(|k| (k, Format::Pem("RSA PRIVATE KEY"))),
            "EC PRIVATE KEY" if block.is_encrypted() => Err(KeyError::Encrypted {
                fix: "openssl ec -in KEY -out KEY.plain",
            }),
            "EC PRIVATE KEY" => {
                pkix::key_from_sec1(&block.der, curve).map(|k| (k, Format::Pem("EC PRIVATE KEY")))
            }
            "ENCRYPTED PRIVATE KEY" => Err(KeyError::Encrypted {
                fix: "openssl pkey -in KEY -out KEY.plain",
            }),
            "CERTIFICATE" | "X509 CERTIFICATE" => {
                pkix::key_from_certificate(&block.der).map(|k| (k, Format::Pem("CERTIFICATE")))
            }
            "OPENSSH PRIVATE KEY" => openssh::key_from_private(&block.der)
                .map(|k| (k, Format::Pem("OPENSSH PRIVATE KEY"))),
            "DSA PRIVATE KEY" => Err(KeyError::UnsupportedAlgorithm("DSA".into())),
            "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => Err(KeyError::UnsupportedLabel {
                label: block.label.clone(),
                hint: "; extract its key with: openssl req -in CSR -pubkey -noout".into(),
            }),
            other => Err(KeyError::UnsupportedLabel {
                label: other.to_string(),
                hint: String::new(),
            }),
        };
        keys.push(found.map_err(|e| if several { in_block(e, block) } else { e })?);
    }
    if keys.is_empty() {
        return Err(KeyError::Pem(
            "the file holds EC PARAMETERS but no key".into(),
        ));
    }
    Ok(keys)
}

fn in_block(err: KeyError, block: &pem::PemBlock) -> KeyError {
    let context = format!("the \"{}\" block on line {}", block.label, block.line);
    match err {
        KeyError::Pem(m) => KeyError::Pem(format!("{context}: {m}")),
        KeyError::Der { what, detail } => KeyError::Der {
            what,
            detail: format!("{detail} (in {context})"),
        },
        KeyError::InvalidKey { what, detail } => KeyError::InvalidKey {
            what,
            detail: format!("{detail} (in {context})"),
        },
        other => other,
    }
}

/// Binary DER: every structure is tried; an error that is not a DER mismatch ends the search.
fn parse_der(der: &[u8]) -> Result<(Key, Format), KeyError> {
    type Reader = fn(&[u8]) -> Result<Key, KeyError>;
    let readers: [(Reader, &'static str); 6] = [
        (pkix::key_from_spki, "SubjectPublicKeyInfo"),
        (pkix::key_from_pkcs8, "PKCS#8 private key"),
        (pkix::key_from_pkcs1_private, "PKCS#1 RSA private key"),
        (|d| pkix::key_from_sec1(d, None), "SEC1 EC private key"),
        (pkix::key_from_certificate, "X.509 certificate"),
        (pkix::key_from_pkcs1_public, "PKCS#1 RSA public key"),
    ];
    for (read, what) in readers {
        match read(der) {
            Ok(key) => return Ok((key, Format::Der(what))),
            Err(KeyError::Der { .. }) => continue,
            Err(other) => return Err(other),
        }
    }
    Err(KeyError::Der {
        what: "DER key",
        detail: "it is none of SubjectPublicKeyInfo, PKCS#8, PKCS#1, SEC1 or X.509".into(),
    })
}
