//! `kwi keys generate|convert|kid`.

use anyhow::{Result, bail};
use kwi_jose::{
    Curve, Jwks, Key, KeySpec, KidMethod, jwk_from_key, jwks_document, kubernetes_kid,
    openssh_private_key, openssh_public_key, pem, pkcs1_private_der, pkcs1_public_der, pkcs8_der,
    rfc7638_thumbprint, sec1_der, spki_der,
};
use zeroize::Zeroizing;

use super::note_unsupported_by_kubernetes;
use crate::cli::{ConvertArgs, ConvertTo, GenerateAlg, GenerateArgs, KidArgs, PrivateFormat};
use crate::files::{self, display_name};

type PrivateEncoder = fn(&Key) -> Result<Zeroizing<Vec<u8>>, kwi_jose::KeyError>;

pub(super) fn generate(args: GenerateArgs) -> Result<()> {
    let spec = match (args.alg, args.bits.as_deref()) {
        (GenerateAlg::Rs256, bits) => KeySpec::Rsa {
            bits: bits.unwrap_or("2048").parse().unwrap_or(2048),
        },
        (_, Some(_)) => bail!("--bits applies to RSA keys only (--alg RS256)"),
        (GenerateAlg::Es256, None) => KeySpec::Ec(Curve::P256),
        (GenerateAlg::Es384, None) => KeySpec::Ec(Curve::P384),
        (GenerateAlg::Es512, None) => KeySpec::Ec(Curve::P521),
        (GenerateAlg::EdDsa, None) => KeySpec::Ed25519,
    };
    let (label, check): (&str, PrivateEncoder) = match args.format {
        PrivateFormat::Pkcs8 => ("PRIVATE KEY", pkcs8_der),
        PrivateFormat::Pkcs1 if matches!(spec, KeySpec::Rsa { .. }) => {
            ("RSA PRIVATE KEY", pkcs1_private_der)
        }
        PrivateFormat::Sec1 if matches!(spec, KeySpec::Ec(_)) => ("EC PRIVATE KEY", sec1_der),
        PrivateFormat::Pkcs1 => bail!("--format pkcs1 holds RSA keys only; use --format pkcs8"),
        PrivateFormat::Sec1 => bail!("--format sec1 holds EC keys only; use --format pkcs8"),
    };
    if args.out.as_os_str() == "-"
        || args
            .public_out
            .as_ref()
            .is_some_and(|p| p.as_os_str() == "-")
    {
        bail!("--out and --public-out take file names (the private key is written with mode 0600)");
    }
    if args.public_out.as_ref() == Some(&args.out) {
        bail!("--out and --public-out name the same file; give the public key another name");
    }
    for path in std::iter::once(&args.out).chain(args.public_out.as_ref()) {
        if path.is_dir() {
            bail!("{}: is a directory; give a file name", path.display());
        }
        if !args.force && path.exists() {
            bail!(
                "{}: already exists; kwi never overwrites a key (add --force to replace it)",
                path.display()
            );
        }
    }
    if matches!(spec, KeySpec::Rsa { bits } if bits >= 4096) {
        eprintln!("kwi: generating an RSA key; this can take a few seconds…");
    }
    let key = kwi_jose::generate(spec)?;
    let private_pem = Zeroizing::new(pem::encode(label, &check(&key)?));
    files::write_atomic(&args.out, private_pem.as_bytes(), true, args.force)?;
    if let Some(public_out) = &args.public_out {
        files::write_atomic(
            public_out,
            pem::encode("PUBLIC KEY", &spki_der(&key)?).as_bytes(),
            false,
            args.force,
        )?;
    }
    eprintln!(
        "kwi: wrote {} ({}, mode 0600)",
        args.out.display(),
        key.describe()
    );
    match &args.public_out {
        Some(p) => eprintln!(
            "kwi: wrote {} (its public key, SPKI \"PUBLIC KEY\")",
            p.display()
        ),
        None => {
            let out = args.out.display().to_string();
            eprintln!(
                "kwi: public key for --service-account-key-file: kwi keys convert {out} --to spki -o {}",
                kwi_issuer::sibling_file(&out, "pub")
            );
        }
    }
    eprintln!("kwi: kid {}", kubernetes_kid(&key)?);
    note_unsupported_by_kubernetes(std::slice::from_ref(&key));
    Ok(())
}

/// The kid an output key gets: the input's own kid, unless --kid says otherwise.
fn output_kid(key: &Key, kid: Option<&str>) -> Result<Option<String>> {
    Ok(match kid {
        None => Some(match key.source_kid() {
            Some(kid) => kid.to_string(),
            None => kubernetes_kid(key)?,
        }),
        Some("k8s") => Some(kubernetes_kid(key)?),
        Some("rfc7638") => Some(rfc7638_thumbprint(key)),
        Some("none") => None,
        Some(value) => Some(value.to_string()),
    })
}

fn is_method(kid: &str) -> bool {
    matches!(kid, "k8s" | "rfc7638" | "none")
}

/// With several input keys, `--kid VALUE` picks the one whose kid (own, k8s or RFC 7638) is VALUE.
fn select(keys: Vec<Key>, kid: Option<&str>, name: &str) -> Result<Vec<Key>> {
    let Some(wanted) = kid.filter(|k| keys.len() > 1 && !is_method(k)) else {
        return Ok(keys);
    };
    let mut known = Vec::new();
    for key in &keys {
        let candidates = [
            key.source_kid().map(str::to_string),
            Some(kubernetes_kid(key)?),
            Some(rfc7638_thumbprint(key)),
        ];
        if candidates.iter().flatten().any(|k| k == wanted) {
            return Ok(vec![key.clone()]);
        }
        known.push(
            key.source_kid()
                .map(str::to_string)
                .unwrap_or(kubernetes_kid(key)?),
        );
    }
    bail!(
        "{name}: no key has kid {wanted:?}; the kids are: {}",
        known.join(", ")
    )
}

fn distinct(keys: Vec<Key>) -> Vec<Key> {
    let mut out: Vec<Key> = Vec::with_capacity(keys.len());
    for key in keys {
        if !out
            .iter()
            .any(|k| k.public() == key.public() && k.is_private() == key.is_private())
        {
            out.push(key);
        }
    }
    out
}

fn single<'a>(keys: &'a [Key], to: &str, name: &str) -> Result<&'a Key> {
    match keys {
        [key] => Ok(key),
        _ => bail!(
            "{name}: holds {} keys and {to} holds one; pick one with --kid KID, or use --to pem or --to jwks",
            keys.len()
        ),
    }
}

pub(super) fn convert(args: ConvertArgs) -> Result<()> {
    let name = display_name(&args.input).to_string();
    let keys: Vec<Key> = files::read_keys(&args.input)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let keys = select(keys, args.kid.as_deref(), &name)?;
    let public_only = args.public || args.to == ConvertTo::Spki;
    let keys = distinct(if public_only {
        keys.iter().map(Key::to_public).collect()
    } else {
        keys
    });
    let secret = keys.iter().any(Key::is_private);
    let mut out = Zeroizing::new(Vec::new());
    let fail = |e: kwi_jose::KeyError| anyhow::anyhow!("{name}: {e}");
    match args.to {
        ConvertTo::Pem
        | ConvertTo::Spki
        | ConvertTo::Pkcs8
        | ConvertTo::Pkcs1
        | ConvertTo::Sec1 => {
            for key in &keys {
                let (label, der) = match (args.to, key.is_private()) {
                    (ConvertTo::Pem, true) | (ConvertTo::Pkcs8, _) => {
                        ("PRIVATE KEY", pkcs8_der(key).map_err(fail)?)
                    }
                    (ConvertTo::Pem | ConvertTo::Spki, _) => {
                        ("PUBLIC KEY", Zeroizing::new(spki_der(key).map_err(fail)?))
                    }
                    (ConvertTo::Pkcs1, true) => {
                        ("RSA PRIVATE KEY", pkcs1_private_der(key).map_err(fail)?)
                    }
                    (ConvertTo::Pkcs1, false) => (
                        "RSA PUBLIC KEY",
                        Zeroizing::new(pkcs1_public_der(key).map_err(fail)?),
                    ),
                    (_, _) => ("EC PRIVATE KEY", sec1_der(key).map_err(fail)?),
                };
                out.extend_from_slice(pem::encode(label, &der).as_bytes());
            }
        }
        ConvertTo::Der => {
            files::refuse_binary_to_terminal(args.output.as_deref())?;
            let key = single(&keys, "DER", &name)?;
            let der = if key.is_private() {
                pkcs8_der(key).map_err(fail)?
            } else {
                Zeroizing::new(spki_der(key).map_err(fail)?)
            };
            out.extend_from_slice(&der);
        }
        ConvertTo::Jwk => {
            let key = single(&keys, "a JWK", &name)?;
            let jwk = jwk_from_key(key, output_kid(key, args.kid.as_deref())?, true);
            out.extend_from_slice(json(&jwk, args.pretty)?.as_bytes());
        }
        ConvertTo::Jwks => {
            let mut jwks = Jwks::default();
            for key in &keys {
                jwks.keys.push(jwk_from_key(
                    key,
                    output_kid(key, args.kid.as_deref().filter(|k| is_method(k)))?,
                    true,
                ));
            }
            if secret {
                eprintln!(
                    "kwi: warning: this JWKS holds private keys; never publish it (add --public for the public JWKS)"
                );
            }
            let text = if args.pretty {
                json(&jwks, true)?
            } else {
                format!("{}\n", jwks_document(&jwks)?)
            };
            out.extend_from_slice(text.as_bytes());
        }
        ConvertTo::Openssh => {
            for key in &keys {
                if key.is_private() {
                    out.extend_from_slice(openssh_private_key(key, "").map_err(fail)?.as_bytes());
                } else {
                    out.extend_from_slice(openssh_public_key(key, "").as_bytes());
                }
            }
        }
    }
    match &args.output {
        // Like `keys generate`: an existing file is replaced only with --force.
        Some(path) if path.as_os_str() == "-" => files::emit(None, &out, secret)?,
        Some(path) if !args.force => files::write_atomic(path, &out, secret, false)?,
        Some(path) => files::write_output(path, &out, secret, true)?,
        None => files::emit(None, &out, secret)?,
    }
    if args.to == ConvertTo::Pkcs1 && keys.iter().any(|k| !k.is_private()) {
        eprintln!(
            "kwi: note: kube-apiserver cannot read PKCS#1 \"RSA PUBLIC KEY\" files; use --to spki for --service-account-key-file"
        );
    }
    note_unsupported_by_kubernetes(&keys);
    Ok(())
}

fn json<T: serde::Serialize>(value: &T, pretty: bool) -> Result<String> {
    let mut text = if pretty {
        serde_json::to_string_pretty(value)?
    } else {
        serde_json::to_string(value)?
    };
    text.push('\n');
    Ok(text)
}

pub(super) fn kid(args: KidArgs) -> Result<()> {
    let method = KidMethod::from(args.method);
    let keys: Vec<Key> = files::read_keys(&args.input)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let mut out = String::new();
    for key in distinct(keys.iter().map(Key::to_public).collect()) {
        out.push_str(&method.kid(&key)?);
        out.push('\n');
    }
    note_unsupported_by_kubernetes(&keys);
    files::emit(None, out.as_bytes(), false)
}
