//! Why a token was rejected: each variant says what was checked and what was found.

/// A token that cannot be read, or that a relying party would reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is longer than the limit, checked before anything is decoded.
    #[error("token is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Its length.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The compact serialization is broken: segments, base64url, white space.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The JOSE header is unusable (not an object, no alg, crit, b64, bad kid).
    #[error("bad token header: {0}")]
    BadHeader(String),
    /// The `alg` is `none`, an HMAC or otherwise not in the allowed list.
    #[error("algorithm {alg:?} is not allowed (allowed: {})", allowed.join(", "))]
    AlgorithmNotAllowed {
        /// The `alg` of the token.
        alg: String,
        /// What the verifier accepts.
        allowed: Vec<String>,
    },
    /// The token names a kid that no key has.
    #[error("no key has kid {kid:?} (known kids: {})", kid_list(known))]
    UnknownKid {
        /// The kid of the token.
        kid: String,
        /// The kids of the key set.
        known: Vec<String>,
    },
    /// The selected keys cannot check this algorithm (an RSA key for ES256…).
    #[error("algorithm {alg} does not match the key type: the candidate keys are {keys}")]
    KeyTypeMismatch {
        /// The `alg` of the token.
        alg: String,
        /// What the candidate keys are.
        keys: String,
    },
    /// No candidate key validated the signature.
    #[error("signature verification failed: no known key validated the token signature")]
    BadSignature,
    /// The claims segment is not a JSON object (or repeats a member).
    #[error("bad token claims: {0}")]
    BadClaims(String),
    /// A claim has the wrong type or value.
    #[error("claim {claim:?} {reason}")]
    InvalidClaim {
        /// The claim.
        claim: String,
        /// What is wrong.
        reason: String,
    },
    /// A required claim is absent.
    #[error("claim {0:?} is missing")]
    MissingClaim(String),
    /// `exp` has passed (beyond the leeway).
    #[error("token expired at {exp} (now {now}, leeway {leeway}s)")]
    Expired {
        /// The expiry.
        exp: i64,
        /// The time of the check.
        now: i64,
        /// The allowed clock skew.
        leeway: i64,
    },
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not valid before {nbf} (now {now}, leeway {leeway}s)")]
    NotYetValid {
        /// The not-before time.
        nbf: i64,
        /// The time of the check.
        now: i64,
        /// The allowed clock skew.
        leeway: i64,
    },
    /// `iat` is in the future (beyond the leeway).
    #[error("token issued in the future at {iat} (now {now}, leeway {leeway}s)")]
    IssuedInFuture {
        /// The issue time.
        iat: i64,
        /// The time of the check.
        now: i64,
        /// The allowed clock skew.
        leeway: i64,
    },
    /// The issuer is not the expected one.
    #[error("issuer {found:?} is not accepted (expected {})", quote_list(expected))]
    IssuerMismatch {
        /// The `iss` of the token.
        found: String,
        /// The accepted issuers.
        expected: Vec<String>,
    },
    /// No audience of the token is expected.
    #[error(
        "audience {} is not accepted (expected {})",
        quote_list(found),
        quote_list(expected)
    )]
    AudienceMismatch {
        /// The `aud` of the token.
        found: Vec<String>,
        /// The accepted audiences.
        expected: Vec<String>,
    },
    /// The subject is not the expected one.
    #[error("subject {found:?} is not accepted (expected {expected:?})")]
    SubjectMismatch {
        /// The `sub` of the token.
        found: String,
        /// The expected subject.
        expected: String,
    },
    /// A legacy (secret-based) token where only projected tokens are accepted.
    #[error(
        "legacy service-account token (iss \"kubernetes/serviceaccount\", no expiry) is not accepted here"
    )]
    LegacyNotAllowed,
    /// A rule of a relying party that has no variant of its own (the message is theirs).
    #[error("{0}")]
    Rejected(String),
}

fn quote_list(items: &[String]) -> String {
    if items.is_empty() {
        return "[]".into();
    }
    items
        .iter()
        .map(|i| format!("{i:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The known kids for a message: all of a cluster's few, the first ten of a large set.
fn kid_list(known: &[String]) -> String {
    const SHOWN: usize = 10;
    match known.len() {
        0 => "none".to_string(),
        n if n <= SHOWN => known.join(", "),
        n => format!("{} and {} more", known[..SHOWN].join(", "), n - SHOWN),
    }
}

#[cfg(test)]
mod kid_list_tests {
    use super::*;

    #[test]
    fn a_large_key_set_is_summed_up() {
        let known: Vec<String> = (0..25_000).map(|i| format!("kid-{i}")).collect();
        let message = TokenError::UnknownKid {
            kid: "x".into(),
            known,
        }
        .to_string();
        assert!(message.len() < 300, "{message}");
        assert!(message.ends_with("kid-9 and 24990 more)"), "{message}");
    }
}
