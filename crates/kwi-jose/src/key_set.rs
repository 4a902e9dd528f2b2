//! The keys a verifier trusts, parsed once, and kube-apiserver's rule for choosing among them:
//! a token with a kid is checked only against keys with that kid; one without, against all.

use std::collections::HashMap;

use aws_lc_rs::signature::ParsedPublicKey;

use crate::alg::Algorithm;
use crate::claims::Claims;
use crate::jws::{self, Header};
use crate::key::{Key, PublicKey};
use crate::token_error::TokenError;
use crate::{KeyError, KidMethod, pkix};

/// One trusted key with its verifiers for every algorithm its type allows.
pub(crate) struct VerificationKey {
    kid: Option<String>,
    public: PublicKey,
    verifiers: Vec<(Algorithm, ParsedPublicKey)>,
}

impl VerificationKey {
    fn new(key: &Key, kid: Option<String>) -> Result<VerificationKey, KeyError> {
        let public = key.public().clone();
        let bytes = match &public {
            PublicKey::Rsa { n, e } => pkix::pkcs1_public_der_parts(n, e)?,
            PublicKey::Ec { point, .. } => point.clone(),
            PublicKey::Ed25519 { x } => x.to_vec(),
        };
        let mut verifiers = Vec::new();
        for alg in Algorithm::ALL.into_iter().filter(|a| a.fits(&public)) {
            let parsed = ParsedPublicKey::new(alg.verification(), &bytes).map_err(|e| {
                KeyError::InvalidKey {
                    what: "verification key",
                    detail: e.to_string(),
                }
            })?;
            verifiers.push((alg, parsed));
        }
        Ok(VerificationKey {
            kid: kid.filter(|k| !k.is_empty()),
            public,
            verifiers,
        })
    }

    fn verifier(&self, alg: Algorithm) -> Option<&ParsedPublicKey> {
        self.verifiers
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, p)| p)
    }
}

/// How a verifier reads tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Longest token accepted, checked before decoding.
    pub max_token_size: usize,
    /// The algorithms accepted (`none` and HMAC never are).
    pub algorithms: Vec<Algorithm>,
    /// When a token's kid matches no key, try every key instead of failing (Vault's behaviour
    /// for static keys, which ignores kids).
    pub unknown_kid_tries_all: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            max_token_size: jws::DEFAULT_MAX_TOKEN_SIZE,
            algorithms: Algorithm::ALL.to_vec(),
            unknown_kid_tries_all: false,
        }
    }
}

/// A token whose signature was checked; its claims are typed but not yet validated.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    /// The header.
    pub header: Header,
    /// The claims.
    pub claims: Claims,
}

/// The trusted keys of a verifier.
pub struct KeySet {
    keys: Vec<VerificationKey>,
    by_kid: HashMap<String, Vec<usize>>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("kids", &self.kids())
            .finish()
    }
}

impl KeySet {
    /// A key set from keys with the kid each is known by (`None` or `""`: no kid).
    pub fn new(
        entries: impl IntoIterator<Item = (Key, Option<String>)>,
    ) -> Result<KeySet, KeyError> {
        let mut keys: Vec<VerificationKey> = Vec::new();
        for (key, kid) in entries {
            let kid = kid.filter(|k| !k.is_empty());
            if keys
                .iter()
                .any(|k| k.public == *key.public() && k.kid == kid)
            {
                continue;
            }
            keys.push(VerificationKey::new(&key, kid)?);
        }
        let mut by_kid: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, key) in keys.iter().enumerate() {
            if let Some(kid) = &key.kid {
                by_kid.entry(kid.clone()).or_default().push(i);
            }
        }
        Ok(KeySet { keys, by_kid })
    }

    /// A key set with no key: every token fails to verify.
    pub fn empty() -> KeySet {
        KeySet {
            keys: Vec::new(),
            by_kid: HashMap::new(),
        }
    }

    /// A key set where each key is known by its own kid (a JWK's), or else by the kid
    /// kube-apiserver computes for it: what a cluster's tokens carry.
    pub fn with_kubernetes_kids(keys: &[Key]) -> Result<KeySet, KeyError> {
        let mut entries = Vec::with_capacity(keys.len());
        for key in keys {
            let kid = match key.source_kid() {
                Some(kid) => kid.to_string(),
                None => KidMethod::Kubernetes.kid(key)?,
            };
            entries.push((key.clone(), Some(kid)));
        }
        KeySet::new(entries)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether some key has this kid.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.by_kid.contains_key(kid)
    }

    /// The kids of the set, in key order.
    pub fn kids(&self) -> Vec<String> {
        self.keys.iter().filter_map(|k| k.kid.clone()).collect()
    }

    /// The indexes of the keys a token's kid selects; `None` means every key.
    fn candidates(
        &self,
        kid: Option<&str>,
        options: &VerifyOptions,
    ) -> Result<Option<&[usize]>, TokenError> {
        let Some(kid) = kid.filter(|k| !k.is_empty()) else {
            return Ok(None);
        };
        match self.by_kid.get(kid) {
            Some(indexes) => Ok(Some(indexes)),
            None if options.unknown_kid_tries_all => Ok(None),
            None => Err(TokenError::UnknownKid {
                kid: kid.to_string(),
                known: self.kids(),
            }),
        }
    }

    /// Checks a token's form, header, algorithm and signature, then types its claims.
    /// Claims are not validated here: that is the job of a relying party's rules.
    pub fn verify(
        &self,
        token: &str,
        options: &VerifyOptions,
    ) -> Result<VerifiedToken, TokenError> {
        let parts = jws::split(token, options.max_token_size)?;
        let header = Header::parse_owned(jws::decode_segment(parts.header, "header")?)?;
        let alg = header
            .algorithm()
            .filter(|a| options.algorithms.contains(a))
            .ok_or_else(|| TokenError::AlgorithmNotAllowed {
                alg: header.alg.clone(),
                allowed: options
                    .algorithms
                    .iter()
                    .map(|a| a.name().to_string())
                    .collect(),
            })?;
        let mut buffer = [0u8; jws::SIGNATURE_BUFFER];
        let signature = jws::decode_segment_in(parts.signature, "signature", &mut buffer)?;
        // Decoded before the signature is checked so that a token that is not base64url says
        // so; parsed only after.
        let claims = jws::decode_segment(parts.claims, "claims")?;
        let indexes = self.candidates(header.kid.as_deref(), options)?;
        let candidates = (0..indexes.map_or(self.keys.len(), <[usize]>::len))
            .map(|j| &self.keys[indexes.map_or(j, |i| i[j])]);
        let mut fitting = 0;
        for key in candidates.clone() {
            let Some(verifier) = key.verifier(alg) else {
                continue;
            };
            fitting += 1;
            if verifier
                .verify_sig(parts.signing_input.as_bytes(), &signature)
                .is_ok()
            {
                return Ok(VerifiedToken {
                    header,
                    claims: Claims::parse_owned(claims)?,
                });
            }
        }
        if fitting == 0 {
            let mut kinds: Vec<String> = candidates.map(|k| k.public.describe()).collect();
            kinds.dedup();
            return Err(TokenError::KeyTypeMismatch {
                alg: alg.name().to_string(),
                keys: if kinds.is_empty() {
                    "none".into()
                } else {
                    kinds.join(", ")
                },
            });
        }
        Err(TokenError::BadSignature)
    }
}
