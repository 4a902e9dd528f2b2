//! The keys a verifier trusts, parsed once, and kube-apiserver's rule for choosing among them:
//! a token with a kid is checked only against keys with that kid; one without, against all.

use std::collections::{HashMap, HashSet};

use aws_lc_rs::signature::ParsedPublicKey;

use crate::alg::Algorithm;
use crate::claims::Claims;
use crate::jws::{self, Header};
use crate::key::{Key, PublicKey};
use crate::token_error::{Segment, TokenError};
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
    /// How claims are read.
    pub reading: Reading,
}

/// How a verifier reads a token's claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reading {
    /// Every claim typed, dates within the range of dates (kube-apiserver, AWS STS).
    #[default]
    Strict,
    /// As go-jose does (Vault): a date beyond the range of dates is not refused but converted
    /// as Go converts a `float64` to an `int64` (the minimum when it does not fit, so `exp:
    /// 1e20` is long expired and `nbf: 1e20` long past); only the registered claims are typed,
    /// and a wrongly typed one is reported in encoding/json's order.
    GoJose,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            max_token_size: jws::DEFAULT_MAX_TOKEN_SIZE,
            algorithms: Algorithm::ALL.to_vec(),
            unknown_kid_tries_all: false,
            reading: Reading::Strict,
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
    /// Each kid with the indexes of its keys, in key order.
    by_kid: Vec<(String, Vec<usize>)>,
    /// The index of every key, in order: the candidates of a token without a kid.
    all: Vec<usize>,
    /// Where each kid is in `by_kid`, for sets too large to search in a row.
    kid_index: Option<HashMap<String, usize>>,
}

/// Claims up to this size are read before the signature is checked (see [`KeySet::verify`]).
const EARLY_CLAIMS: usize = 2048;

/// Up to this many kids, a kid is looked for by comparing it with each (cheaper than hashing).
const LINEAR_KIDS: usize = 8;

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("kids", &self.kids())
            .finish()
    }
}

#[cold]
#[inline(never)]
fn algorithm_not_allowed(alg: &str, allowed: &[Algorithm]) -> TokenError {
    TokenError::AlgorithmNotAllowed {
        alg: alg.to_string(),
        allowed: allowed.iter().map(|a| a.name().to_string()).collect(),
    }
}

/// No candidate key has the type the token's algorithm needs.
#[cold]
#[inline(never)]
fn key_type_mismatch<'a>(
    alg: Algorithm,
    candidates: impl Iterator<Item = &'a VerificationKey>,
) -> TokenError {
    let mut kinds: Vec<String> = candidates.map(|k| k.public.describe()).collect();
    kinds.dedup();
    TokenError::KeyTypeMismatch {
        alg: alg.name().to_string(),
        keys: if kinds.is_empty() {
            "none".into()
        } else {
            kinds.join(", ")
        },
    }
}

impl KeySet {
    /// A key set from keys with the kid each is known by (`None` or `""`: no kid).
    pub fn new(
        entries: impl IntoIterator<Item = (Key, Option<String>)>,
    ) -> Result<KeySet, KeyError> {
        let mut keys: Vec<VerificationKey> = Vec::new();
        // Duplicates found by hash: a set of 100,000 keys took 44 s compared pairwise.
        let mut seen: HashSet<(PublicKey, Option<String>)> = HashSet::new();
        for (key, kid) in entries {
            let kid = kid.filter(|k| !k.is_empty());
            if !seen.insert((key.public().clone(), kid.clone())) {
                continue;
            }
            keys.push(VerificationKey::new(&key, kid)?);
        }
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut by_kid: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            if let Some(kid) = &key.kid {
                let at = *index.entry(kid.clone()).or_insert_with(|| {
                    by_kid.push((kid.clone(), Vec::new()));
                    by_kid.len() - 1
                });
                by_kid[at].1.push(i);
            }
        }
        Ok(KeySet {
            all: (0..keys.len()).collect(),
            keys,
            kid_index: (by_kid.len() > LINEAR_KIDS).then_some(index),
            by_kid,
        })
    }

    /// A key set with no key: every token fails to verify.
    pub fn empty() -> KeySet {
        KeySet {
            keys: Vec::new(),
            by_kid: Vec::new(),
            all: Vec::new(),
            kid_index: None,
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

    /// The indexes of the keys with this kid.
    fn keys_with_kid(&self, kid: &str) -> Option<&[usize]> {
        match &self.kid_index {
            Some(index) => index.get(kid).map(|&at| self.by_kid[at].1.as_slice()),
            None => self
                .by_kid
                .iter()
                .find(|(k, _)| k == kid)
                .map(|(_, keys)| keys.as_slice()),
        }
    }

    /// Whether some key has this kid.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys_with_kid(kid).is_some()
    }

    /// The kids of the set, in key order.
    pub fn kids(&self) -> Vec<String> {
        self.keys.iter().filter_map(|k| k.kid.clone()).collect()
    }

    #[cold]
    #[inline(never)]
    fn unknown_kid(&self, kid: &str) -> TokenError {
        TokenError::UnknownKid {
            kid: kid.to_string(),
            known: self.kids(),
        }
    }

    /// The indexes of the keys a token's kid selects: those with that kid, or every key for a
    /// token without one (or with an unknown one, when the options say so).
    fn candidates(
        &self,
        kid: Option<&str>,
        options: &VerifyOptions,
    ) -> Result<&[usize], TokenError> {
        let Some(kid) = kid.filter(|k| !k.is_empty()) else {
            return Ok(&self.all);
        };
        match self.keys_with_kid(kid) {
            Some(indexes) => Ok(indexes),
            None if options.unknown_kid_tries_all => Ok(&self.all),
            None => Err(self.unknown_kid(kid)),
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
        let header = Header::parse_owned(jws::decode_segment(parts.header, Segment::Header)?)?;
        let Some(alg) = header
            .algorithm()
            .filter(|a| options.algorithms.contains(a))
        else {
            return Err(algorithm_not_allowed(header.alg(), &options.algorithms));
        };
        let signature = jws::decode_segment(parts.signature, Segment::Signature)?;
        // Decoded before the signature is checked so that a token that is not base64url says
        // so. Small claims (every service-account token's) are read now too, while the JSON
        // reader's code is still in the instruction cache from the header (the signature
        // check evicts it); larger ones only under a good signature, so that a forged token
        // never makes kwi read more than EARLY_CLAIMS bytes of JSON. Either way a claims error
        // is reported only for a token whose signature holds.
        let claims = jws::decode_segment(parts.claims, Segment::Claims)?;
        let claims = if claims.len() <= EARLY_CLAIMS {
            Ok(Claims::parse_with(claims, options.reading))
        } else {
            Err(claims)
        };
        let candidates = self
            .candidates(header.kid(), options)?
            .iter()
            .map(|&i| &self.keys[i]);
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
                let claims = match claims {
                    Ok(read) => read?,
                    Err(unread) => Claims::parse_with(unread, options.reading)?,
                };
                return Ok(VerifiedToken { header, claims });
            }
        }
        if fitting == 0 {
            return Err(key_type_mismatch(alg, candidates));
        }
        Err(TokenError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeySpec, SigningKey, generate};

    /// Claims are read before the signature is checked, but an error in them is reported only
    /// for a token whose signature holds: a forged token is a bad signature whatever it says.
    #[test]
    fn a_claims_error_is_reported_only_under_a_good_signature() {
        let key = generate(KeySpec::Ec(crate::Curve::P256)).unwrap();
        let other = generate(KeySpec::Ec(crate::Curve::P256)).unwrap();
        let set = KeySet::new([(key.to_public(), Some("k".to_string()))]).unwrap();
        let options = VerifyOptions::default();
        // Past EARLY_CLAIMS the claims are read only after the signature: same answers, and a
        // good large token still verifies.
        let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(EARLY_CLAIMS));
        let token = SigningKey::new(&key, None, Some("k".to_string()))
            .unwrap()
            .sign(big.as_bytes())
            .unwrap();
        assert!(set.verify(&token, &options).is_ok());
        let large = format!(
            "{{\"pad\":\"{}\",\"exp\":1,\"exp\":2}}",
            "x".repeat(EARLY_CLAIMS)
        );
        for bad in [
            &br#"{"exp":1,"exp":2}"#[..],
            b"[1]",
            b"not json",
            b"{\"iss\":7}",
            large.as_bytes(),
        ] {
            let sign = |with: &Key, kid: &str| {
                SigningKey::new(with, None, Some(kid.to_string()))
                    .unwrap()
                    .sign(bad)
                    .unwrap()
            };
            let good = set.verify(&sign(&key, "k"), &options);
            assert!(
                matches!(
                    good,
                    Err(TokenError::BadClaims(_) | TokenError::InvalidClaim { .. })
                ),
                "{good:?}"
            );
            let forged = set.verify(&sign(&other, "k"), &options);
            assert!(
                matches!(forged, Err(TokenError::BadSignature)),
                "{forged:?}"
            );
            let unknown = set.verify(&sign(&key, "nope"), &options);
            assert!(
                matches!(unknown, Err(TokenError::UnknownKid { .. })),
                "{unknown:?}"
            );
        }
    }

    /// Sets of every size around the switch from comparing kids to hashing them: each kid
    /// selects its own key, and an unknown kid is refused with the kids known.
    #[test]
    fn kids_select_their_keys_in_small_and_large_sets() {
        let claims = br#"{"sub":"x"}"#;
        let keys: Vec<Key> = (0..LINEAR_KIDS + 2)
            .map(|_| generate(KeySpec::Ec(crate::Curve::P256)).unwrap())
            .collect();
        for size in [1, LINEAR_KIDS, LINEAR_KIDS + 1, LINEAR_KIDS + 2] {
            let set = KeySet::new(
                keys[..size]
                    .iter()
                    .enumerate()
                    .map(|(i, k)| (k.to_public(), Some(format!("kid-{i}")))),
            )
            .unwrap();
            assert_eq!(set.kid_index.is_some(), size > LINEAR_KIDS);
            for (i, key) in keys[..size].iter().enumerate() {
                let kid = format!("kid-{i}");
                assert!(set.has_kid(&kid));
                let token = SigningKey::new(key, None, Some(kid.clone()))
                    .unwrap()
                    .sign(claims)
                    .unwrap();
                let verified = set.verify(&token, &VerifyOptions::default()).unwrap();
                assert_eq!(verified.header.kid(), Some(kid.as_str()));
                // The same key under a neighbour's kid is checked against that key only.
                let other = format!("kid-{}", (i + 1) % size);
                let token = SigningKey::new(key, None, Some(other))
                    .unwrap()
                    .sign(claims)
                    .unwrap();
                let expected = if size == 1 {
                    Ok(())
                } else {
                    Err("bad signature")
                };
                let got = set
                    .verify(&token, &VerifyOptions::default())
                    .map(|_| ())
                    .map_err(|e| match e {
                        TokenError::BadSignature => "bad signature",
                        _ => "other",
                    });
                assert_eq!(got, expected, "size {size}, key {i}");
            }
            let token = SigningKey::new(&keys[0], None, Some("nope".into()))
                .unwrap()
                .sign(claims)
                .unwrap();
            match set.verify(&token, &VerifyOptions::default()) {
                Err(TokenError::UnknownKid { kid, known }) => {
                    assert_eq!(kid, "nope");
                    assert_eq!(known.len(), size);
                }
                other => panic!("size {size}: {other:?}"),
            }
            assert!(!set.has_kid("nope"));
        }
    }
}
