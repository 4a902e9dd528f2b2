//! What AWS STS `AssumeRoleWithWebIdentity` accepts as a web identity token, check by check:
//! the one implementation that `kwi sts serve`, `kwi doctor --for aws` and
//! `kwi token verify --profile sts` share. Each refusal is a typed value; the STS error code,
//! HTTP status and message that go with it belong to the service that emulates STS.
//!
//! Sources: the STS API reference (botocore's `sts/2011-06-15` model: `clientTokenType` is 4 to
//! 20,000 characters; "Tokens must be signed using either RSA keys (RS256, RS384, or RS512) or
//! ECDSA keys (ES256, ES384, or ES512)"; "Timestamps in the token must be formatted as either an
//! integer or a long integer"), IAM's OIDC provider documentation (`iss` = the provider URL,
//! `aud` = one of its client IDs) and STS answers quoted in public issues (an `exp` 198 s past is
//! refused, so the clock skew STS allows is for times in the future: `nbf` and `iat`).

use serde_json::Value;

use crate::alg::Algorithm;
use crate::jws::{self, UnverifiedToken};
use crate::key_set::{KeySet, VerifiedToken, VerifyOptions};
use crate::profile::{STS_ALGORITHMS, STS_MAX_TOKEN_SIZE, STS_MIN_TOKEN_SIZE, StsRules};
use crate::token_error::TokenError;

/// The clock skew STS allows for a token's `nbf` and `iat` (five minutes).
pub const STS_CLOCK_SKEW: i64 = 300;

/// The clock leeways of the time checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StsLeeway {
    /// Seconds an `exp` may be past (STS: none).
    pub expiry: i64,
    /// Seconds an `nbf` or `iat` may be ahead (STS: five minutes).
    pub future: i64,
}

impl Default for StsLeeway {
    fn default() -> Self {
        StsLeeway {
            expiry: 0,
            future: STS_CLOCK_SKEW,
        }
    }
}

/// Why STS refuses a web identity token: one variant per check, in the order STS makes them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StsRefusal {
    /// The token is shorter than 4 or longer than 20,000 characters (a request validation error).
    #[error("the token is {len} characters; STS accepts 4 to 20,000")]
    TokenLength {
        /// Its length.
        len: usize,
    },
    /// Not a compact JWS with a JSON header and claims.
    #[error("not a JWT: {0}")]
    NotAJwt(TokenError),
    /// A time claim that is not an integer, or another claim of the wrong type.
    #[error("claim {claim:?} {reason}")]
    BadClaim {
        /// The claim.
        claim: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The token has no `iss`, or no IAM OIDC provider has exactly that URL.
    #[error("no OIDC provider has the URL {iss:?} (the token's iss)")]
    UnknownProvider {
        /// The token's `iss` (empty when absent).
        iss: String,
    },
    /// No `aud` of the token is a client ID of the provider.
    #[error("audience {found:?} is not a client ID of the provider (client IDs {client_ids:?})")]
    IncorrectAudience {
        /// The token's audiences.
        found: Vec<String>,
        /// The provider's client IDs.
        client_ids: Vec<String>,
    },
    /// The signing algorithm is not one STS accepts.
    #[error("algorithm {alg:?} is not one STS accepts (RS256, RS384, RS512, ES256, ES384, ES512)")]
    Algorithm {
        /// The token's `alg`.
        alg: String,
    },
    /// The provider's JWKS has no key with the token's kid (or no key at all).
    #[error("the provider's JWKS has no key with kid {kid:?} (kids published: {known:?})")]
    KeyNotFound {
        /// The token's kid.
        kid: Option<String>,
        /// The kids the JWKS publishes.
        known: Vec<String>,
    },
    /// The key with the token's kid did not validate the signature.
    #[error("the signature does not verify with the published key{}", kid.as_ref().map(|k| format!(" {k:?}")).unwrap_or_default())]
    BadSignature {
        /// The token's kid.
        kid: Option<String>,
    },
    /// `exp` is missing.
    #[error("the token has no exp")]
    NoExpiry,
    /// `exp` has passed (STS allows no skew for it).
    #[error("token expired at {exp} (now {now})")]
    Expired {
        /// The expiry.
        exp: i64,
        /// The time of the check.
        now: i64,
    },
    /// `nbf` or `iat` is more than five minutes in the future.
    #[error("the token's {claim} {at} is more than {skew} s after now ({now})")]
    NotYetValid {
        /// `nbf` or `iat`.
        claim: &'static str,
        /// Its value.
        at: i64,
        /// The time of the check.
        now: i64,
        /// The skew allowed.
        skew: i64,
    },
    /// `sub` is missing or empty (STS returns it as `SubjectFromWebIdentityToken`).
    #[error("the token has no sub")]
    NoSubject,
}

/// The claims STS reads before it has keys: what picks the provider.
#[derive(Debug, Clone)]
pub struct StsTokenPreview {
    /// The token, decoded without verification.
    pub token: UnverifiedToken,
    /// Its `iss`, if a string.
    pub iss: Option<String>,
}

/// The time claims STS requires to be integers.
const TIME_CLAIMS: [&str; 3] = ["exp", "nbf", "iat"];

/// Reads a token as STS does before fetching any key: its length, its form, integer times.
pub fn sts_preview(token: &str) -> Result<StsTokenPreview, StsRefusal> {
    let len = token.chars().count();
    if !(STS_MIN_TOKEN_SIZE..=STS_MAX_TOKEN_SIZE).contains(&len) {
        return Err(StsRefusal::TokenLength { len });
    }
    let decoded = jws::decode_unverified(token, STS_MAX_TOKEN_SIZE).map_err(StsRefusal::NotAJwt)?;
    for claim in TIME_CLAIMS {
        match decoded.claims.get(claim) {
            None => {}
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {}
            Some(_) => {
                return Err(StsRefusal::BadClaim {
                    claim: claim.into(),
                    reason: "must be an integer (STS: \"Timestamps in the token must be formatted as either an integer or a long integer\")".into(),
                });
            }
        }
    }
    let iss = decoded
        .claims
        .get("iss")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(StsTokenPreview {
        token: decoded,
        iss,
    })
}

/// How a [`KeySet::verify`] failure reads in STS's terms.
fn verify_refusal(error: TokenError, kid: Option<String>) -> StsRefusal {
    match error {
        TokenError::AlgorithmNotAllowed { alg, .. } => StsRefusal::Algorithm { alg },
        TokenError::UnknownKid { known, .. } => StsRefusal::KeyNotFound { kid, known },
        TokenError::BadSignature | TokenError::KeyTypeMismatch { .. } => {
            StsRefusal::BadSignature { kid }
        }
        TokenError::InvalidClaim { claim, reason } => StsRefusal::BadClaim {
            claim,
            reason: reason.to_string(),
        },
        other => StsRefusal::NotAJwt(other),
    }
}

impl StsRules {
    /// The options STS verifies signatures with: its algorithms and size limit, a kid that
    /// no published key has is refused.
    pub fn verify_options() -> VerifyOptions {
        VerifyOptions {
            max_token_size: STS_MAX_TOKEN_SIZE,
            algorithms: STS_ALGORITHMS.to_vec(),
            ..VerifyOptions::default()
        }
    }

    /// The audience STS reports for a token (and matches `<provider>:aud` against): the first
    /// of its audiences that is a client ID, or its first audience when no client IDs are set.
    pub fn matched_audience(&self, claims: &crate::Claims) -> Option<String> {
        let mut auds = claims.aud()?;
        match &self.client_ids {
            Some(ids) => auds
                .find(|a| ids.iter().any(|id| id == a))
                .map(str::to_string),
            None => auds.next().map(str::to_string),
        }
    }

    /// Checks a token as STS does, in its order, with the provider's keys: length and form,
    /// issuer, audience, algorithm and key, signature, expiry, future times, subject.
    pub fn check(&self, token: &str, keys: &KeySet, now: i64) -> Result<VerifiedToken, StsRefusal> {
        self.check_with_leeway(token, keys, now, StsLeeway::default())
    }

    /// [`StsRules::check`] with other leeways than STS's (none for `exp`, five minutes for
    /// `nbf` and `iat`).
    pub fn check_with_leeway(
        &self,
        token: &str,
        keys: &KeySet,
        now: i64,
        leeway: StsLeeway,
    ) -> Result<VerifiedToken, StsRefusal> {
        let preview = sts_preview(token)?;
        self.check_provider(&preview)?;
        let header = &preview.token.header;
        if header
            .algorithm()
            .is_none_or(|a: Algorithm| !STS_ALGORITHMS.contains(&a))
        {
            return Err(StsRefusal::Algorithm {
                alg: header.alg().to_string(),
            });
        }
        let kid = header.kid().map(str::to_string);
        if keys.is_empty() {
            return Err(StsRefusal::KeyNotFound {
                kid,
                known: Vec::new(),
            });
        }
        let verified = keys
            .verify(token, &Self::verify_options())
            .map_err(|e| verify_refusal(e, kid))?;
        self.check_claims(&verified.claims, now, leeway)?;
        Ok(verified)
    }

    /// The issuer and audience checks, made before any key is fetched.
    pub fn check_provider(&self, preview: &StsTokenPreview) -> Result<(), StsRefusal> {
        if let Some(url) = &self.provider_url
            && preview.iss.as_deref() != Some(url.as_str())
        {
            return Err(StsRefusal::UnknownProvider {
                iss: preview.iss.clone().unwrap_or_default(),
            });
        }
        if let Some(ids) = &self.client_ids {
            let found: Vec<String> = match preview.token.claims.get("aud") {
                Some(Value::String(a)) => vec![a.clone()],
                Some(Value::Array(list)) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            };
            if !found.iter().any(|a| ids.contains(a)) {
                return Err(StsRefusal::IncorrectAudience {
                    found,
                    client_ids: ids.clone(),
                });
            }
        }
        Ok(())
    }

    /// The time and subject checks of a verified token.
    pub fn check_claims(
        &self,
        claims: &crate::Claims,
        now: i64,
        leeway: StsLeeway,
    ) -> Result<(), StsRefusal> {
        let skew = leeway.future;
        let Some(exp) = claims.exp else {
            return Err(StsRefusal::NoExpiry);
        };
        if now.saturating_sub(leeway.expiry) >= exp {
            return Err(StsRefusal::Expired { exp, now });
        }
        for (claim, at) in [("nbf", claims.nbf), ("iat", claims.iat)] {
            if let Some(at) = at
                && at > now.saturating_add(skew)
            {
                return Err(StsRefusal::NotYetValid {
                    claim,
                    at,
                    now,
                    skew,
                });
            }
        }
        if claims.sub().is_none_or(str::is_empty) {
            return Err(StsRefusal::NoSubject);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Curve, KeySpec, SigningKey, generate};
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;
    const ISS: &str = "https://oidc.example.com";

    fn rules() -> StsRules {
        StsRules {
            provider_url: Some(ISS.into()),
            client_ids: Some(vec!["sts.amazonaws.com".into()]),
        }
    }

    fn claims() -> serde_json::Value {
        json!({"iss": ISS, "sub": "system:serviceaccount:default:app",
               "aud": ["sts.amazonaws.com"], "exp": NOW + 3600, "iat": NOW, "nbf": NOW})
    }

    struct Fixture {
        signer: SigningKey,
        keys: KeySet,
    }

    fn fixture(spec: KeySpec) -> Fixture {
        let key = generate(spec).unwrap();
        let signer = SigningKey::new(&key, None, Some("k1".into())).unwrap();
        let keys = KeySet::new([(key.to_public(), Some("k1".to_string()))]).unwrap();
        Fixture { signer, keys }
    }

    fn sign(f: &Fixture, claims: &serde_json::Value) -> String {
        f.signer.sign(claims.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn a_good_token_passes_and_each_check_refuses_its_case() {
        let f = fixture(KeySpec::Ec(Curve::P256));
        let check = |c: serde_json::Value| rules().check(&sign(&f, &c), &f.keys, NOW);
        assert!(check(claims()).is_ok());
        let with = |k: &str, v: serde_json::Value| {
            let mut c = claims();
            c[k] = v;
            c
        };
        assert!(matches!(
            check(with("iss", json!("https://oidc.example.com/"))),
            Err(StsRefusal::UnknownProvider { .. })
        ));
        assert!(matches!(
            check(with("aud", json!("sts.amazon.com"))),
            Err(StsRefusal::IncorrectAudience { .. })
        ));
        assert!(matches!(
            check(with("exp", json!(NOW))),
            Err(StsRefusal::Expired { .. })
        ));
        assert!(check(with("exp", json!(NOW + 1))).is_ok());
        assert!(check(with("iat", json!(NOW + 300))).is_ok());
        assert!(matches!(
            check(with("iat", json!(NOW + 301))),
            Err(StsRefusal::NotYetValid { claim: "iat", .. })
        ));
        assert!(matches!(
            check(with("nbf", json!(NOW + 301))),
            Err(StsRefusal::NotYetValid { claim: "nbf", .. })
        ));
        assert!(matches!(
            check(with("exp", json!(1.7e9 + 3600.5))),
            Err(StsRefusal::BadClaim { .. })
        ));
        assert!(matches!(
            check(with("sub", json!(""))),
            Err(StsRefusal::NoSubject)
        ));
    }

    #[test]
    fn keys_and_signatures() {
        let f = fixture(KeySpec::Rsa { bits: 2048 });
        let other = fixture(KeySpec::Rsa { bits: 2048 });
        let token = sign(&f, &claims());
        assert!(rules().check(&token, &f.keys, NOW).is_ok());
        assert!(matches!(
            rules().check(&token, &other.keys, NOW),
            Err(StsRefusal::BadSignature { .. })
        ));
        assert!(matches!(
            rules().check(&token, &KeySet::empty(), NOW),
            Err(StsRefusal::KeyNotFound { .. })
        ));
        let renamed = KeySet::new([(
            generate(KeySpec::Rsa { bits: 2048 }).unwrap().to_public(),
            Some("k2".to_string()),
        )])
        .unwrap();
        assert!(matches!(
            rules().check(&token, &renamed, NOW),
            Err(StsRefusal::KeyNotFound { .. })
        ));
    }

    #[test]
    fn length_and_form() {
        let keys = KeySet::empty();
        assert!(matches!(
            rules().check("abc", &keys, NOW),
            Err(StsRefusal::TokenLength { len: 3 })
        ));
        let long = "a".repeat(20_001);
        assert!(matches!(
            rules().check(&long, &keys, NOW),
            Err(StsRefusal::TokenLength { .. })
        ));
        assert!(matches!(
            rules().check("not.a.jwt", &keys, NOW),
            Err(StsRefusal::NotAJwt(_))
        ));
    }
}
