//! Why a token was rejected: each variant says what was checked and what was found.

use crate::json_error::{JsonError, JsonKind};

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
    Malformed(MalformedToken),
    /// The JOSE header is unusable (not an object, no alg, crit, b64, bad kid).
    #[error("bad token header: {0}")]
    BadHeader(HeaderProblem),
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
    #[error("bad token claims: the claims are {0}")]
    BadClaims(JsonError),
    /// A claim has the wrong type or value.
    #[error("claim {claim:?} {reason}")]
    InvalidClaim {
        /// The claim (`kubernetes.io.pod` for a member of `kubernetes.io`).
        claim: String,
        /// What is wrong.
        reason: ClaimProblem,
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
    /// A rule of OpenBao's JWT auth (cap's checks, in its order) that the token breaks.
    #[error("{0}")]
    Vault(VaultRefusal),
    /// A rule of a relying party that has no variant of its own (the message is theirs).
    #[error("{0}")]
    Rejected(String),
}

/// What is wrong with a token's compact serialization (`header.claims.signature`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedToken {
    /// Nothing at all.
    #[error("the token is empty")]
    Empty,
    /// A character that has no place in a compact JWS.
    #[error("the token contains {0}")]
    Stray(StrayCharacter),
    /// Not three segments.
    #[error(
        "the token has {count} segment(s); a signed JWT has 3 (header.claims.signature){}",
        if *count == 5 { " (this looks like an encrypted JWE)" } else { "" }
    )]
    Segments {
        /// How many `.`-separated segments there are.
        count: usize,
    },
    /// The header or the signature segment is empty.
    #[error("the header or signature segment is empty")]
    EmptySegment,
    /// A segment that is not canonical base64url (its length, or bits after the last byte).
    #[error("the {0} segment is truncated or not canonical base64url")]
    NotBase64url(Segment),
}

/// A character that compact JWS forbids, by what it most likely means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StrayCharacter {
    /// Space, tab, CR or LF.
    #[error("white space")]
    WhiteSpace,
    /// `=`.
    #[error("'=' padding, which compact JWS forbids")]
    Padding,
    /// `+` or `/`.
    #[error("standard base64 characters ('+' or '/'); JWS uses base64url")]
    StandardBase64,
    /// A byte of 0x80 or more.
    #[error("non-ASCII bytes")]
    NonAscii,
    /// Any other ASCII character.
    #[error("the character {0:?}")]
    Other(char),
}

/// One of the three segments of a compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Segment {
    /// The JOSE header.
    #[error("header")]
    Header,
    /// The claims (payload).
    #[error("claims")]
    Claims,
    /// The signature.
    #[error("signature")]
    Signature,
}

/// What makes a JOSE header unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderProblem {
    /// Not a JSON object kwi reads (syntax, UTF-8, size, a member name twice).
    #[error("the header is {0}")]
    Json(JsonError),
    /// A JSON array where the object should be.
    #[error("the header is a JSON array, not an object")]
    Array,
    /// `alg`, `kid` or `typ` is not a string.
    #[error("\"{0}\" is not a string")]
    NotString(&'static str),
    /// `crit` is present: it names extensions that must be understood.
    #[error("\"crit\" names extensions that must be understood, and kwi understands none")]
    Critical,
    /// `b64` is not `true` (RFC 7797's unencoded payload).
    #[error("\"b64\": false (unencoded payload, RFC 7797) is not supported")]
    UnencodedPayload,
    /// No `alg`.
    #[error("there is no \"alg\"")]
    NoAlgorithm,
    /// A `kid` with control characters.
    #[error("\"kid\" {0:?} contains control characters")]
    KidControlCharacters(String),
    /// A `kid` longer than kwi reads (its length in bytes).
    #[error("\"kid\" is {0} bytes long")]
    KidTooLong(usize),
}

/// A check of OpenBao's JWT auth (through cap) that the token fails, worded as OpenBao says it
/// (without its "error validating token: " prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VaultRefusal {
    /// `alg` is not among the role's `jwt_supported_algs`.
    #[error("invalid algorithm (alg) header parameter: token signed with unexpected algorithm")]
    UnexpectedAlgorithm,
    /// `iss` is not `bound_issuer`.
    #[error("invalid issuer (iss) claim")]
    Issuer,
    /// `sub` is not `bound_subject`.
    #[error("invalid subject (sub) claim")]
    Subject,
    /// No `aud` is one of `bound_audiences`.
    #[error("invalid audience (aud) claim: audience claim does not match any expected audience")]
    Audience,
    /// None of `iat`, `nbf`, `exp`.
    #[error("no issued at (iat), not before (nbf), or expiration time (exp) claims in token")]
    NoTimes,
    /// `nbf` (or what stands for it) is in the future.
    #[error("invalid not before (nbf) claim: token not yet valid")]
    NotYetValid,
    /// `exp` (or what stands for it) has passed.
    #[error("invalid expiration time (exp) claim: token is expired")]
    Expired,
    /// `iat` is in the future.
    #[error("invalid issued at (iat) claim: token issued in the future")]
    IssuedInFuture,
    /// The token has an audience and the role binds none.
    #[error("audience claim found in JWT but no audiences bound to the role")]
    AudienceNotBound,
}

/// What is wrong with a claim that is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimProblem {
    /// A claim that must be a string is not.
    #[error("must be a string, not {}", .0.with_article())]
    NotString(JsonKind),
    /// A NumericDate (`exp`, `nbf`, `iat`, `warnafter`) that is not a number.
    #[error("must be a number of seconds (NumericDate), not {}", .0.with_article())]
    NotDate(JsonKind),
    /// A NumericDate beyond year 9999 (or before year 1).
    #[error("is beyond the range of dates")]
    DateOutOfRange,
    /// `aud` is neither a string nor an array of strings (the kind found, an array when one
    /// of its items is not a string).
    #[error("must be a string or an array of strings")]
    NotAudience(JsonKind),
    /// `kubernetes.io` or one of its references is not an object.
    #[error("must be an object")]
    NotObject(JsonKind),
    /// A member of an object claim must be a string and is not.
    #[error("member {member:?} must be a string")]
    MemberNotString {
        /// The member (`namespace`, `name`, `uid`).
        member: &'static str,
        /// What it is instead.
        found: JsonKind,
    },
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

#[cfg(test)]
mod rendering_tests {
    use super::*;
    use crate::json_error::JsonSyntax;

    #[test]
    fn malformed_tokens_say_what_is_broken() {
        let cases = [
            (MalformedToken::Empty, "the token is empty"),
            (
                MalformedToken::Stray(StrayCharacter::WhiteSpace),
                "the token contains white space",
            ),
            (
                MalformedToken::Stray(StrayCharacter::Padding),
                "the token contains '=' padding, which compact JWS forbids",
            ),
            (
                MalformedToken::Stray(StrayCharacter::StandardBase64),
                "the token contains standard base64 characters ('+' or '/'); JWS uses base64url",
            ),
            (
                MalformedToken::Stray(StrayCharacter::NonAscii),
                "the token contains non-ASCII bytes",
            ),
            (
                MalformedToken::Stray(StrayCharacter::Other('*')),
                "the token contains the character '*'",
            ),
            (
                MalformedToken::Segments { count: 2 },
                "the token has 2 segment(s); a signed JWT has 3 (header.claims.signature)",
            ),
            (
                MalformedToken::Segments { count: 5 },
                "the token has 5 segment(s); a signed JWT has 3 (header.claims.signature) (this looks like an encrypted JWE)",
            ),
            (
                MalformedToken::EmptySegment,
                "the header or signature segment is empty",
            ),
            (
                MalformedToken::NotBase64url(Segment::Header),
                "the header segment is truncated or not canonical base64url",
            ),
            (
                MalformedToken::NotBase64url(Segment::Claims),
                "the claims segment is truncated or not canonical base64url",
            ),
            (
                MalformedToken::NotBase64url(Segment::Signature),
                "the signature segment is truncated or not canonical base64url",
            ),
        ];
        for (problem, text) in cases {
            assert_eq!(
                TokenError::Malformed(problem).to_string(),
                format!("malformed token: {text}")
            );
        }
    }

    #[test]
    fn header_problems_say_what_is_wrong() {
        let cases = [
            (
                HeaderProblem::Json(JsonError::NotUtf8 { at: 1 }),
                "the header is not UTF-8",
            ),
            (
                HeaderProblem::Json(JsonError::TooLarge),
                "the header is too large",
            ),
            (
                HeaderProblem::Json(JsonError::Syntax {
                    at: 0,
                    problem: JsonSyntax::BadLiteral,
                }),
                "the header is not a valid JSON object: bad literal at byte 0",
            ),
            (
                HeaderProblem::Array,
                "the header is a JSON array, not an object",
            ),
            (HeaderProblem::NotString("kid"), "\"kid\" is not a string"),
            (
                HeaderProblem::Critical,
                "\"crit\" names extensions that must be understood, and kwi understands none",
            ),
            (
                HeaderProblem::UnencodedPayload,
                "\"b64\": false (unencoded payload, RFC 7797) is not supported",
            ),
            (HeaderProblem::NoAlgorithm, "there is no \"alg\""),
            (
                HeaderProblem::KidControlCharacters("a\nb".into()),
                "\"kid\" \"a\\nb\" contains control characters",
            ),
            (
                HeaderProblem::KidTooLong(2000),
                "\"kid\" is 2000 bytes long",
            ),
        ];
        for (problem, text) in cases {
            assert_eq!(
                TokenError::BadHeader(problem).to_string(),
                format!("bad token header: {text}")
            );
        }
    }

    #[test]
    fn bad_claims_name_the_claims() {
        assert_eq!(
            TokenError::BadClaims(JsonError::DuplicateMember { name: "sub".into() }).to_string(),
            "bad token claims: the claims are not a valid JSON object: duplicate member \"sub\""
        );
    }

    #[test]
    fn claim_problems_say_what_the_claim_must_be() {
        let cases = [
            (
                ClaimProblem::NotString(JsonKind::Array),
                "must be a string, not an array",
            ),
            (
                ClaimProblem::NotDate(JsonKind::String),
                "must be a number of seconds (NumericDate), not a string",
            ),
            (ClaimProblem::DateOutOfRange, "is beyond the range of dates"),
            (
                ClaimProblem::NotAudience(JsonKind::Number),
                "must be a string or an array of strings",
            ),
            (ClaimProblem::NotObject(JsonKind::Bool), "must be an object"),
            (
                ClaimProblem::MemberNotString {
                    member: "uid",
                    found: JsonKind::Null,
                },
                "member \"uid\" must be a string",
            ),
        ];
        for (reason, text) in cases {
            let error = TokenError::InvalidClaim {
                claim: "c".into(),
                reason,
            };
            assert_eq!(error.to_string(), format!("claim \"c\" {text}"));
        }
    }

    #[test]
    fn vault_refusals_are_caps_words() {
        let cases = [
            (
                VaultRefusal::UnexpectedAlgorithm,
                "invalid algorithm (alg) header parameter: token signed with unexpected algorithm",
            ),
            (VaultRefusal::Issuer, "invalid issuer (iss) claim"),
            (VaultRefusal::Subject, "invalid subject (sub) claim"),
            (
                VaultRefusal::Audience,
                "invalid audience (aud) claim: audience claim does not match any expected audience",
            ),
            (
                VaultRefusal::NoTimes,
                "no issued at (iat), not before (nbf), or expiration time (exp) claims in token",
            ),
            (
                VaultRefusal::NotYetValid,
                "invalid not before (nbf) claim: token not yet valid",
            ),
            (
                VaultRefusal::Expired,
                "invalid expiration time (exp) claim: token is expired",
            ),
            (
                VaultRefusal::IssuedInFuture,
                "invalid issued at (iat) claim: token issued in the future",
            ),
            (
                VaultRefusal::AudienceNotBound,
                "audience claim found in JWT but no audiences bound to the role",
            ),
        ];
        for (refusal, text) in cases {
            assert_eq!(TokenError::Vault(refusal).to_string(), text);
            assert_eq!(TokenError::Vault(refusal).vault_message(), text);
        }
    }
}
