//! The JWKS of a cluster: one JWK per distinct public key, as kube-apiserver serves it.

use kwi_jose::{Jwks, Key, KidMethod, jwk_from_key};

use crate::IssuerError;

/// How the JWKS is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySetOptions {
    /// How each key's kid is computed.
    pub kid_method: KidMethod,
    /// Repeat every key with `"kid": ""`, for clusters older than 1.16 whose tokens carry no kid.
    pub legacy_empty_kid: bool,
}

impl Default for KeySetOptions {
    fn default() -> Self {
        KeySetOptions {
            kid_method: KidMethod::Kubernetes,
            legacy_empty_kid: false,
        }
    }
}

/// Distinct public keys in first-seen order: a private key and its public file count once.
pub(crate) fn distinct_public_keys(keys: &[Key]) -> Vec<Key> {
    let mut out: Vec<Key> = Vec::with_capacity(keys.len());
    for key in keys {
        if !out.iter().any(|k| k.public() == key.public()) {
            out.push(key.to_public());
        }
    }
    out
}

/// The JWKS of the given keys (private keys contribute their public half).
pub fn jwks_for_keys(keys: &[Key], options: KeySetOptions) -> Result<Jwks, IssuerError> {
    let keys = distinct_public_keys(keys);
    if keys.is_empty() {
        return Err(IssuerError::NoKeys);
    }
    let mut jwks = Jwks::default();
    for key in &keys {
        jwks.keys
            .push(jwk_from_key(key, Some(options.kid_method.kid(key)?), false));
    }
    if options.legacy_empty_kid {
        // What the EKS guide's `jq '.keys += [.keys[0]] | .keys[1].kid = ""'` does, for every key.
        for key in &keys {
            jwks.keys
                .push(jwk_from_key(key, Some(String::new()), false));
        }
    }
    Ok(jwks)
}
