//! Signing: a private key parsed once into aws-lc, with its JWS header encoded once.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair};
use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::key::{Key, PrivateKey};
use crate::{KeyError, pkix};

enum Inner {
    Rsa(rsa::KeyPair),
    Ec(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A key that signs compact JWS with one algorithm and one kid.
pub struct SigningKey {
    alg: Algorithm,
    kid: Option<String>,
    inner: Inner,
    header_b64: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish()
    }
}

fn rejected(e: impl std::fmt::Display) -> KeyError {
    KeyError::InvalidKey {
        what: "signing key",
        detail: e.to_string(),
    }
}

impl SigningKey {
    /// Prepares a private key for signing with `alg` (default: the key type's, RS256 for RSA).
    pub fn new(
        key: &Key,
        alg: Option<Algorithm>,
        kid: Option<String>,
    ) -> Result<SigningKey, KeyError> {
        let private = key.private().ok_or_else(|| {
            KeyError::CannotEncode(format!(
                "signing needs a private key, and this is a {}",
                key.describe()
            ))
        })?;
        let alg = alg.unwrap_or_else(|| {
            Algorithm::from_name(key.public().alg()).unwrap_or(Algorithm::RS256)
        });
        if !alg.fits(key.public()) {
            return Err(KeyError::CannotEncode(format!(
                "an {} cannot sign {alg}",
                key.describe()
            )));
        }
        let inner = match private {
            PrivateKey::Rsa(_) => Inner::Rsa(
                rsa::KeyPair::from_der(&pkix::pkcs1_private_der(key)?).map_err(rejected)?,
            ),
            PrivateKey::Ec { curve, .. } => Inner::Ec(
                EcdsaKeyPair::from_private_key_der(curve.signing(), &pkix::sec1_der(key)?)
                    .map_err(rejected)?,
            ),
            PrivateKey::Ed25519 { seed } => Inner::Ed25519(
                Ed25519KeyPair::from_seed_unchecked(seed.as_ref()).map_err(rejected)?,
            ),
        };
        let mut header = Map::new();
        header.insert("alg".into(), Value::from(alg.name()));
        if let Some(kid) = &kid {
            header.insert("kid".into(), Value::from(kid.as_str()));
        }
        // A `Value` always encodes (string keys, string values): its `Display` cannot fail.
        let header_json = Value::Object(header).to_string().into_bytes();
        Ok(SigningKey {
            alg,
            kid,
            inner,
            header_b64: Base64UrlUnpadded::encode_string(&header_json),
            rng: SystemRandom::new(),
        })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The kid written into every header.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Signs a payload: `header.payload.signature`.
    pub fn sign(&self, payload: &[u8]) -> Result<String, KeyError> {
        self.sign_encoded(&self.header_b64, payload)
    }

    /// Signs a payload under a header of the caller's (which should name this key's algorithm).
    pub fn sign_with_header(&self, header_json: &[u8], payload: &[u8]) -> Result<String, KeyError> {
        self.sign_encoded(&Base64UrlUnpadded::encode_string(header_json), payload)
    }

    fn sign_encoded(&self, header_b64: &str, payload: &[u8]) -> Result<String, KeyError> {
        let mut token = String::with_capacity(header_b64.len() + payload.len() * 4 / 3 + 400);
        token.push_str(header_b64);
        token.push('.');
        token.push_str(&Base64UrlUnpadded::encode_string(payload));
        let failed = |_| KeyError::CannotEncode("signing failed".into());
        let signature: Vec<u8> = match &self.inner {
            Inner::Rsa(pair) => {
                let padding: &'static dyn signature::RsaEncoding = match self.alg {
                    Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_SHA384,
                    Algorithm::PS512 => &signature::RSA_PSS_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(padding, &self.rng, token.as_bytes(), &mut sig)
                    .map_err(failed)?;
                sig
            }
            Inner::Ec(pair) => pair
                .sign(&self.rng, token.as_bytes())
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            Inner::Ed25519(pair) => pair.sign(token.as_bytes()).as_ref().to_vec(),
        };
        token.push('.');
        token.push_str(&Base64UrlUnpadded::encode_string(&signature));
        Ok(token)
    }
}
