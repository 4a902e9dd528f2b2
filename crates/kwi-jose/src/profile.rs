//! The claim rules of each relying party, applied to a token whose signature was checked.
//! `now` always comes from the caller.

use crate::alg::Algorithm;
use crate::claims::Claims;
use crate::json_error::JsonKind;
use crate::key_set::{VerifiedToken, VerifyOptions};
use crate::token_error::{ClaimProblem, TokenError, VaultRefusal};

/// kube-apiserver's rules for service-account tokens (`pkg/serviceaccount`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubernetesRules {
    /// Accepted issuers (`--service-account-issuer`); `None` leaves `iss` unchecked.
    pub issuers: Option<Vec<String>>,
    /// Accepted audiences (`--api-audiences`); `None` leaves `aud` unchecked.
    pub audiences: Option<Vec<String>>,
    /// Accept legacy secret-based tokens (iss `kubernetes/serviceaccount`, no aud, no exp).
    pub allow_legacy: bool,
}

/// go-jose's `DefaultLeeway`, which kube-apiserver uses for exp, nbf and iat.
pub const KUBERNETES_LEEWAY: i64 = 60;

/// kube-apiserver's algorithm list for service-account tokens.
pub const KUBERNETES_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::ES512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// exp, nbf and iat with one leeway, in go-jose's order: nbf, exp, iat.
pub(crate) fn check_times(claims: &Claims, now: i64, leeway: i64) -> Result<(), TokenError> {
    match time_problem(claims, now, leeway) {
        None => Ok(()),
        Some(problem) => Err(times_error(problem, now, leeway)),
    }
}

/// Which of a token's times fails, if any: the first of nbf, exp, iat, with its value.
#[derive(Clone, Copy)]
enum TimeProblem {
    NotYetValid(i64),
    Expired(i64),
    IssuedInFuture(i64),
}

fn time_problem(claims: &Claims, now: i64, leeway: i64) -> Option<TimeProblem> {
    if let Some(nbf) = claims.nbf
        && now.saturating_add(leeway) < nbf
    {
        return Some(TimeProblem::NotYetValid(nbf));
    }
    if let Some(exp) = claims.exp
        && now.saturating_sub(leeway) > exp
    {
        return Some(TimeProblem::Expired(exp));
    }
    if let Some(iat) = claims.iat
        && now.saturating_add(leeway) < iat
    {
        return Some(TimeProblem::IssuedInFuture(iat));
    }
    None
}

#[cold]
#[inline(never)]
fn times_error(problem: TimeProblem, now: i64, leeway: i64) -> TokenError {
    match problem {
        TimeProblem::NotYetValid(nbf) => TokenError::NotYetValid { nbf, now, leeway },
        TimeProblem::Expired(exp) => TokenError::Expired { exp, now, leeway },
        TimeProblem::IssuedInFuture(iat) => TokenError::IssuedInFuture { iat, now, leeway },
    }
}

/// `aud` and `exp` must be present (both relying parties with audiences require them); `aud`
/// must share a value with `expected`, when given.
fn check_audience_and_expiry(
    claims: &Claims,
    expected: Option<&[String]>,
) -> Result<(), TokenError> {
    let Some(found) = claims.aud() else {
        return Err(missing("aud"));
    };
    if let Some(expected) = expected
        && !found.clone().any(|a| expected.iter().any(|e| e == a))
    {
        return Err(audience_mismatch(found, expected));
    }
    if claims.exp.is_none() {
        return Err(missing("exp"));
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn missing(claim: &str) -> TokenError {
    TokenError::MissingClaim(claim.into())
}

#[cold]
#[inline(never)]
fn audience_mismatch<'a>(found: impl Iterator<Item = &'a str>, expected: &[String]) -> TokenError {
    TokenError::AudienceMismatch {
        found: found.map(str::to_string).collect(),
        expected: expected.to_vec(),
    }
}

fn check_issuer(found: Option<&str>, expected: &[String]) -> Result<(), TokenError> {
    match found {
        Some(iss) if expected.iter().any(|e| e == iss) => Ok(()),
        _ => Err(issuer_error(found, expected)),
    }
}

#[cold]
#[inline(never)]
fn issuer_error(found: Option<&str>, expected: &[String]) -> TokenError {
    match found {
        Some(iss) => TokenError::IssuerMismatch {
            found: iss.to_string(),
            expected: expected.to_vec(),
        },
        None => TokenError::MissingClaim("iss".into()),
    }
}

#[cold]
#[inline(never)]
fn vault(refusal: VaultRefusal) -> TokenError {
    TokenError::Vault(refusal)
}

#[cold]
#[inline(never)]
fn rejected(message: &str) -> TokenError {
    TokenError::Rejected(message.to_string())
}

impl KubernetesRules {
    /// Validates the claims as kube-apiserver's service-account authenticator does.
    ///
    /// kwi is stricter in one respect: a token that is not a legacy one must carry `exp` and
    /// `aud` (kube-apiserver would default a missing `aud` to its API audiences); every token
    /// kube-apiserver issues through TokenRequest has both.
    pub fn validate(&self, claims: &Claims, now: i64) -> Result<(), TokenError> {
        self.validate_with_leeway(claims, now, KUBERNETES_LEEWAY)
    }

    /// [`KubernetesRules::validate`] with another clock leeway than kube-apiserver's 60 s.
    pub fn validate_with_leeway(
        &self,
        claims: &Claims,
        now: i64,
        leeway: i64,
    ) -> Result<(), TokenError> {
        if claims.is_legacy() {
            if !self.allow_legacy {
                return Err(TokenError::LegacyNotAllowed);
            }
            return validate_legacy(claims);
        }
        if let Some(issuers) = &self.issuers {
            check_issuer(claims.iss(), issuers)?;
        }
        check_audience_and_expiry(claims, self.audiences.as_deref())?;
        check_times(claims, now, leeway)?;
        let Some(identity) = claims.service_account_ref() else {
            return Err(missing("kubernetes.io"));
        };
        let sub = claims
            .sub()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| rejected("sub claim is missing"))?;
        if identity.namespace.is_empty() {
            return Err(rejected("namespace claim is missing"));
        }
        if identity.name.is_empty() || identity.uid.is_empty() {
            return Err(rejected("service account claim is missing"));
        }
        check_subject(sub, identity.namespace, identity.name)
    }
}

fn check_subject(sub: &str, namespace: &str, name: &str) -> Result<(), TokenError> {
    let matches = crate::claims::service_account_subject(sub) == Some((namespace, name));
    if !matches {
        return Err(subject_mismatch(sub, namespace, name));
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn subject_mismatch(sub: &str, namespace: &str, name: &str) -> TokenError {
    TokenError::SubjectMismatch {
        found: sub.to_string(),
        expected: format!("system:serviceaccount:{namespace}:{name}"),
    }
}

/// kube-apiserver's `legacyValidator`.
#[inline(never)]
fn validate_legacy(claims: &Claims) -> Result<(), TokenError> {
    use crate::claims::legacy;
    let sub = claims
        .sub()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| rejected("sub claim is missing"))?;
    let get = |name: &str| {
        claims
            .get(name)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
    };
    let namespace = get(legacy::NAMESPACE);
    if namespace.is_empty() {
        return Err(rejected("namespace claim is missing"));
    }
    if get(legacy::SECRET_NAME).is_empty() {
        return Err(rejected("secretName claim is missing"));
    }
    let name = get(legacy::SERVICE_ACCOUNT_NAME);
    if name.is_empty() {
        return Err(rejected("serviceAccountName claim is missing"));
    }
    if get(legacy::SERVICE_ACCOUNT_UID).is_empty() {
        return Err(rejected("serviceAccountUID claim is missing"));
    }
    check_subject(sub, namespace, name).map_err(|_| rejected("sub claim is invalid"))
}

/// AWS STS `AssumeRoleWithWebIdentity`'s documented constraints on the web identity token
/// (the checks themselves are in `sts.rs`: [`StsRules::check`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StsRules {
    /// The IAM OIDC provider URL; `iss` must equal it.
    pub provider_url: Option<String>,
    /// The provider's client IDs (audiences); `aud` must contain one.
    pub client_ids: Option<Vec<String>>,
}

/// STS accepts tokens of 4 to 20,000 characters.
pub const STS_MAX_TOKEN_SIZE: usize = 20_000;
/// STS's lower bound.
pub const STS_MIN_TOKEN_SIZE: usize = 4;
/// The signature algorithms STS documents for web identity tokens ("RSA keys (RS256, RS384, or
/// RS512) or ECDSA keys (ES256, ES384, or ES512)").
pub const STS_ALGORITHMS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::ES512,
];

/// OpenBao's JWT auth method (`role_type: jwt`), through hashicorp/cap's validator. Leeways are
/// the role's stored values: 0 means the default (60 s clock skew, 150 s for the other two), a
/// negative value disables the leeway.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VaultRules {
    /// The config's `bound_issuer`.
    pub bound_issuer: Option<String>,
    /// The role's `bound_subject`.
    pub bound_subject: Option<String>,
    /// The role's `bound_audiences`.
    pub bound_audiences: Vec<String>,
    /// `clock_skew_leeway`, applied to exp, nbf and iat.
    pub clock_skew_leeway: i64,
    /// `expiration_leeway`, used only to derive exp when the token has none.
    pub expiration_leeway: i64,
    /// `not_before_leeway`, used only to derive nbf when the token has neither nbf nor iat.
    pub not_before_leeway: i64,
    /// The config's `jwt_supported_algs`; empty means all ten asymmetric algorithms.
    pub supported_algorithms: Vec<Algorithm>,
}

/// cap's `jwt.DefaultLeeway`.
pub(crate) const VAULT_DEFAULT_CLOCK_SKEW: i64 = 60;
/// OpenBao's `claimDefaultLeeway`.
pub(crate) const VAULT_DEFAULT_LEEWAY: i64 = 150;

fn vault_leeway(value: i64, default: i64) -> i64 {
    match value {
        0 => default,
        v if v < 0 => 0,
        v => v,
    }
}

/// The message cap wraps signature failures in.
pub const VAULT_BAD_SIGNATURE: &str =
    "error verifying token signature: no known key successfully validated the token signature";

impl VaultRules {
    /// How OpenBao reads tokens: every asymmetric algorithm for the signature (the allow-list
    /// is checked after it, as cap does), and every static key tried whatever the kid.
    pub fn verify_options(&self) -> VerifyOptions {
        VerifyOptions {
            unknown_kid_tries_all: true,
            reading: crate::Reading::GoJose,
            ..VerifyOptions::default()
        }
    }

    /// Validates a verified token in cap's order, with cap's messages; OpenBao prefixes them
    /// with "error validating token: ".
    pub fn validate(&self, token: &VerifiedToken, now: i64) -> Result<(), TokenError> {
        let claims = &token.claims;
        let allowed = if self.supported_algorithms.is_empty() {
            &Algorithm::ALL[..]
        } else {
            &self.supported_algorithms[..]
        };
        if !token
            .header
            .algorithm()
            .is_some_and(|a| allowed.contains(&a))
        {
            return Err(vault(VaultRefusal::UnexpectedAlgorithm));
        }
        if let Some(iss) = self.bound_issuer.as_deref().filter(|i| !i.is_empty())
            && claims.iss().unwrap_or_default() != iss
        {
            return Err(vault(VaultRefusal::Issuer));
        }
        if let Some(sub) = self.bound_subject.as_deref().filter(|s| !s.is_empty())
            && claims.sub().unwrap_or_default() != sub
        {
            return Err(vault(VaultRefusal::Subject));
        }
        if !self.bound_audiences.is_empty() {
            let matches = claims
                .aud()
                .is_some_and(|mut aud| aud.any(|a| self.bound_audiences.iter().any(|b| b == a)));
            if !matches {
                return Err(vault(VaultRefusal::Audience));
            }
        }
        // cap counts a zero NumericDate as absent.
        let present = |v: Option<i64>| v.filter(|&t| t != 0);
        let (iat, mut nbf, mut exp) = (
            present(claims.iat),
            present(claims.nbf),
            present(claims.exp),
        );
        if iat.is_none() && nbf.is_none() && exp.is_none() {
            return Err(vault(VaultRefusal::NoTimes));
        }
        if exp.is_none() {
            let latest = iat.unwrap_or(0).max(nbf.unwrap_or(0));
            exp = Some(
                latest.saturating_add(vault_leeway(self.expiration_leeway, VAULT_DEFAULT_LEEWAY)),
            );
        }
        if nbf.is_none() {
            nbf = match iat {
                Some(iat) => Some(iat),
                None => exp.map(|e| {
                    e.saturating_sub(vault_leeway(self.not_before_leeway, VAULT_DEFAULT_LEEWAY))
                }),
            };
        }
        let skew = vault_leeway(self.clock_skew_leeway, VAULT_DEFAULT_CLOCK_SKEW);
        if nbf.is_some_and(|nbf| now.saturating_add(skew) < nbf) {
            return Err(vault(VaultRefusal::NotYetValid));
        }
        // go-jose: expired when `now - leeway` is after `exp`. `now` has a fraction of a second
        // that kwi's whole seconds drop, so an `exp` equal to `now - leeway` is already past.
        if exp.is_some_and(|exp| now.saturating_sub(skew) >= exp) {
            return Err(vault(VaultRefusal::Expired));
        }
        if iat.is_some_and(|iat| now.saturating_add(skew) < iat) {
            return Err(vault(VaultRefusal::IssuedInFuture));
        }
        if self.bound_audiences.is_empty() && claims.aud().is_some_and(|a| a.len() > 0) {
            return Err(vault(VaultRefusal::AudienceNotBound));
        }
        Ok(())
    }
}

impl TokenError {
    /// The message OpenBao's JWT auth gives for this failure (without its
    /// "error validating token: " prefix).
    pub fn vault_message(&self) -> String {
        match self {
            TokenError::Rejected(message) => message.clone(),
            TokenError::Vault(refusal) => refusal.to_string(),
            TokenError::InvalidClaim { claim, .. }
                if matches!(claim.as_str(), "exp" | "nbf" | "iat") =>
            {
                "go-jose/go-jose/jwt: expected number value to unmarshal NumericDate".into()
            }
            TokenError::InvalidClaim {
                reason: ClaimProblem::NotAudience(_),
                ..
            } => "go-jose/go-jose/jwt: expected string or array value to unmarshal to Audience"
                .into(),
            // go-jose's Claims struct, decoded by encoding/json.
            TokenError::InvalidClaim {
                claim,
                reason: ClaimProblem::NotString(kind),
            } if matches!(claim.as_str(), "sub" | "iss" | "jti")
                && !matches!(kind, JsonKind::Null | JsonKind::String) =>
            {
                format!(
                    "json: cannot unmarshal {} into Go struct field Claims.{claim} of type string",
                    kind.go_name()
                )
            }
            // go-jose has no size limit: kwi's is its own, and says so.
            TokenError::TooLarge { .. } => self.to_string(),
            // What is still malformed once kwi-auth's go::jose::go_jose_compact has read a token the way go-jose
            // does (an empty header or signature) fails go-jose's signature check.
            _ => VAULT_BAD_SIGNATURE.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jws::Header;
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;

    fn token(claims: serde_json::Value, alg: &str) -> VerifiedToken {
        VerifiedToken {
            header: Header::parse(json!({ "alg": alg }).to_string().as_bytes()).unwrap(),
            claims: Claims::from_map(claims.as_object().unwrap().clone()).unwrap(),
        }
    }

    fn vault(claims: serde_json::Value) -> Result<(), String> {
        let rules = VaultRules {
            bound_audiences: vec!["vault".into()],
            ..VaultRules::default()
        };
        rules
            .validate(&token(claims, "RS256"), NOW)
            .map_err(|e| e.vault_message())
    }

    #[test]
    fn vault_leeways_follow_cap() {
        // Only iat: exp is derived as iat + 150, then the 60 s clock skew applies.
        assert_eq!(vault(json!({"aud": "vault", "iat": NOW - 205})), Ok(()));
        assert_eq!(
            vault(json!({"aud": "vault", "iat": NOW - 215})),
            Err("invalid expiration time (exp) claim: token is expired".into())
        );
        // At the edge of the 60 s skew: OpenBao's clock has a fraction of a second more.
        assert_eq!(
            vault(json!({"aud": "vault", "iat": NOW - 100, "exp": NOW - 60})),
            Err("invalid expiration time (exp) claim: token is expired".into())
        );
        assert_eq!(
            vault(json!({"aud": "vault", "iat": NOW - 100, "exp": NOW - 59})),
            Ok(())
        );
        // Only exp: nbf is derived as exp - 150, so a far expiry is "not yet valid".
        assert_eq!(vault(json!({"aud": "vault", "exp": NOW + 200})), Ok(()));
        assert_eq!(
            vault(json!({"aud": "vault", "exp": NOW + 220})),
            Err("invalid not before (nbf) claim: token not yet valid".into())
        );
        assert_eq!(
            vault(json!({"aud": "vault"})),
            Err(
                "no issued at (iat), not before (nbf), or expiration time (exp) claims in token"
                    .into()
            )
        );
        // A zero NumericDate counts as absent.
        assert!(vault(json!({"aud": "vault", "exp": 0, "iat": 0})).is_err());
        assert_eq!(
            vault(json!({"aud": "vault", "iat": NOW + 61, "exp": NOW + 600})),
            Err("invalid not before (nbf) claim: token not yet valid".into())
        );
    }

    #[test]
    fn vault_negative_leeway_disables_it() {
        let rules = VaultRules {
            bound_audiences: vec!["vault".into()],
            clock_skew_leeway: -1,
            ..VaultRules::default()
        };
        let t = token(json!({"aud": "vault", "iat": NOW, "exp": NOW - 1}), "RS256");
        assert_eq!(
            rules.validate(&t, NOW).map_err(|e| e.vault_message()),
            Err("invalid expiration time (exp) claim: token is expired".into())
        );
        let t = token(json!({"aud": "vault", "iat": NOW, "exp": NOW - 1}), "RS256");
        assert_eq!(
            VaultRules {
                bound_audiences: vec!["vault".into()],
                ..VaultRules::default()
            }
            .validate(&t, NOW),
            Ok(())
        );
    }

    #[test]
    fn vault_checks_in_caps_order() {
        let rules = VaultRules {
            bound_issuer: Some("https://i".into()),
            bound_subject: Some("s".into()),
            bound_audiences: vec!["vault".into()],
            supported_algorithms: vec![Algorithm::ES256],
            ..VaultRules::default()
        };
        let msg = |claims, alg| {
            rules
                .validate(&token(claims, alg), NOW)
                .map_err(|e| e.vault_message())
        };
        let all_wrong = json!({"iss": "x", "sub": "y", "aud": "z", "iat": NOW});
        assert_eq!(
            msg(all_wrong.clone(), "RS256"),
            Err(
                "invalid algorithm (alg) header parameter: token signed with unexpected algorithm"
                    .into()
            )
        );
        assert_eq!(
            msg(all_wrong, "ES256"),
            Err("invalid issuer (iss) claim".into())
        );
        assert_eq!(
            msg(json!({"iss": "https://i", "sub": "y", "aud": "z"}), "ES256"),
            Err("invalid subject (sub) claim".into())
        );
        assert_eq!(
            msg(
                json!({"iss": "https://i", "sub": "s", "aud": ["z"]}),
                "ES256"
            ),
            Err(
                "invalid audience (aud) claim: audience claim does not match any expected audience"
                    .into()
            )
        );
        let unbound = VaultRules::default();
        assert_eq!(
            unbound
                .validate(&token(json!({"aud": "x", "iat": NOW}), "RS256"), NOW)
                .map_err(|e| e.vault_message()),
            Err("audience claim found in JWT but no audiences bound to the role".into())
        );
    }

    #[test]
    fn kubernetes_leeway_boundaries() {
        let c = |v: serde_json::Value| Claims::from_map(v.as_object().unwrap().clone()).unwrap();
        assert!(check_times(&c(json!({"exp": NOW - 60})), NOW, 60).is_ok());
        assert!(check_times(&c(json!({"exp": NOW - 61})), NOW, 60).is_err());
        assert!(check_times(&c(json!({"nbf": NOW + 60})), NOW, 60).is_ok());
        assert!(check_times(&c(json!({"nbf": NOW + 61})), NOW, 60).is_err());
        assert!(check_times(&c(json!({"iat": NOW + 60})), NOW, 60).is_ok());
        assert!(check_times(&c(json!({"iat": NOW + 61})), NOW, 60).is_err());
    }
}
