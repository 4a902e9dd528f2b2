//! Google's workload identity federation, as its STS checks a presented token for a pool's OIDC
//! provider: the audience the credential configuration names must be the provider's full resource
//! name; the token's `aud` must be one of the provider's `allowedAudiences`, or, when it has none,
//! that resource name with or without `https:`; the default attribute mapping
//! (`google.subject=assertion.sub`) takes at most 127 bytes. The token itself, as the STS API
//! reference (`ExchangeTokenRequest.subjectToken`) states it: `kid` and `alg` (RS256 or ES256) in
//! the header; `iss`, `iat` (in the past), `exp` (less than 48 hours after `iat`), `sub` and `aud`.

use crate::catalogue::Party;
use crate::finding::Report;

/// Google's limit on a mapped `google.subject`.
pub const MAX_SUBJECT_BYTES: usize = 127;
/// At most this many allowed audiences per provider.
pub const MAX_ALLOWED_AUDIENCES: usize = 10;
/// Each allowed audience is at most this long.
pub const MAX_AUDIENCE_CHARS: usize = 256;

/// What doctor knows of the pool's provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoogleProvider {
    /// Its full resource name, as the credential configuration's `audience` holds it.
    pub name: Option<String>,
    /// Its `oidc.allowedAudiences`.
    pub allowed_audiences: Vec<String>,
}

/// Why the provider as given cannot be used (bad usage, exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// More than 10 allowed audiences.
    #[error("a provider takes at most {MAX_ALLOWED_AUDIENCES} allowed audiences, {0} given")]
    TooManyAudiences(usize),
    /// An allowed audience over 256 characters.
    #[error("an allowed audience is at most {MAX_AUDIENCE_CHARS} characters: {0:?}")]
    AudienceTooLong(String),
}

/// Whether a segment is a pool or provider id as Google allows them: 4 to 32 lower-case
/// letters, digits and hyphens.
fn id_ok(id: &str) -> bool {
    (4..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// What is wrong with a provider resource name, if anything.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.starts_with("https:") || name.starts_with("http:") {
        return Some(
            "it starts with a scheme: the credential configuration's audience starts with //iam.googleapis.com/",
        );
    }
    let Some(rest) = name.strip_prefix("//iam.googleapis.com/projects/") else {
        return Some("it does not start with //iam.googleapis.com/projects/");
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [
            project,
            "locations",
            "global",
            "workloadIdentityPools",
            pool,
            "providers",
            provider,
        ] => {
            if project.is_empty() || !project.bytes().all(|b| b.is_ascii_digit()) {
                Some("the project is not a project number (the ID or the name was given)")
            } else if !id_ok(pool) || !id_ok(provider) {
                Some("a pool or provider id is not 4–32 lower-case letters, digits or hyphens")
            } else {
                None
            }
        }
        _ => Some(
            "it is not projects/<NUMBER>/locations/global/workloadIdentityPools/<POOL>/providers/<PROVIDER>",
        ),
    }
}

impl GoogleProvider {
    /// Checks the limits Google puts on a provider's allowed audiences.
    pub fn validate(&self) -> Result<(), ProviderError> {
        if self.allowed_audiences.len() > MAX_ALLOWED_AUDIENCES {
            return Err(ProviderError::TooManyAudiences(
                self.allowed_audiences.len(),
            ));
        }
        if let Some(long) = self
            .allowed_audiences
            .iter()
            .find(|a| a.chars().count() > MAX_AUDIENCE_CHARS)
        {
            return Err(ProviderError::AudienceTooLong(long.clone()));
        }
        Ok(())
    }

    /// The provider resource name's check (no token needed).
    pub fn check_name(&self, report: &mut Report) {
        let Some(name) = &self.name else {
            return;
        };
        match name_problem(name) {
            Some(problem) => report.fail(
                "gcp.provider-name",
                format!("--gcp-provider {name}: {problem}"),
                &[Party::Gcp],
            ),
            None => report.pass("Google", format!("provider {name} is a full resource name")),
        }
    }

    /// The audiences a token may carry, when doctor knows them.
    pub fn accepted_audiences(&self) -> Option<Vec<String>> {
        if !self.allowed_audiences.is_empty() {
            return Some(self.allowed_audiences.clone());
        }
        self.name
            .as_ref()
            .map(|name| vec![name.clone(), format!("https:{name}")])
    }
}

/// The algorithms Google's STS takes.
pub const ALGORITHMS: [&str; 2] = ["RS256", "ES256"];
/// `exp` must be less than this long after `iat`.
pub const MAX_LIFETIME: i64 = 48 * 3600;

/// The header and claims rules of Google's STS; returns whether the token passes them.
pub fn check_token(report: &mut Report, verified: &kwi_jose::VerifiedToken, now: i64) -> bool {
    let gcp = [Party::Gcp];
    let alg = verified.header.alg();
    if !ALGORITHMS.contains(&alg) {
        report.fail(
            "token.algorithm",
            format!("Google: the token is signed with {alg}; Google's STS takes RS256 or ES256"),
            &gcp,
        );
        return false;
    }
    let claims = &verified.claims;
    let missing: Vec<&str> = [
        (
            "kid (header)",
            verified.header.kid().is_none_or(str::is_empty),
        ),
        ("iss", claims.iss().is_none()),
        ("iat", claims.iat.is_none()),
        ("exp", claims.exp.is_none()),
        ("sub", claims.sub().is_none()),
        ("aud", claims.aud().is_none()),
    ]
    .iter()
    .filter(|(_, absent)| *absent)
    .map(|(name, _)| *name)
    .collect();
    if !missing.is_empty() {
        report.fail(
            "gcp.token-claims",
            format!("Google: the token has no {}", missing.join(", ")),
            &gcp,
        );
        return false;
    }
    let (Some(iat), Some(exp)) = (claims.iat, claims.exp) else {
        return false;
    };
    if iat > now {
        report.fail(
            "token.not-yet-valid",
            format!("Google: iat {iat} is in the future (now {now}); it must be in the past"),
            &gcp,
        );
        return false;
    }
    if exp - iat >= MAX_LIFETIME {
        report.fail(
            "token.lifetime",
            format!(
                "Google: exp is {} s after iat; it must be less than 48 h ({MAX_LIFETIME} s)",
                exp - iat
            ),
            &gcp,
        );
        return false;
    }
    true
}

/// Google's answer to a token whose audience is not accepted.
pub fn audience_message(aud: &[String]) -> String {
    format!(
        "invalid_grant: The audience in ID Token [{}] does not match the expected audience.",
        aud.join(", ")
    )
}

/// The default mapping `google.subject=assertion.sub`: at most 127 bytes.
pub fn check_subject(report: &mut Report, sub: &str) -> bool {
    if sub.len() <= MAX_SUBJECT_BYTES {
        return true;
    }
    report.fail(
        "gcp.subject-too-long",
        format!(
            "Google: sub is {} bytes ({sub:?}); google.subject takes at most {MAX_SUBJECT_BYTES}",
            sub.len()
        ),
        &[Party::Gcp],
    );
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/k8s-pool/providers/cluster-1";

    #[test]
    fn provider_names_as_google_takes_them() {
        assert_eq!(name_problem(GOOD), None);
        for bad in [
            "https://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/k8s-pool/providers/cluster-1",
            "//iam.googleapis.com/projects/my-project/locations/global/workloadIdentityPools/k8s-pool/providers/cluster-1",
            "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/K8S/providers/cluster-1",
            "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/k8s-pool",
            "projects/123/locations/global/workloadIdentityPools/k8s-pool/providers/cluster-1",
        ] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn accepted_audiences_follow_the_provider() {
        let named = GoogleProvider {
            name: Some(GOOD.into()),
            allowed_audiences: vec![],
        };
        assert_eq!(
            named.accepted_audiences().unwrap(),
            vec![GOOD.to_string(), format!("https:{GOOD}")]
        );
        let allowed = GoogleProvider {
            name: Some(GOOD.into()),
            allowed_audiences: vec!["sts.googleapis.com".into()],
        };
        assert_eq!(
            allowed.accepted_audiences().unwrap(),
            vec!["sts.googleapis.com"]
        );
        assert_eq!(GoogleProvider::default().accepted_audiences(), None);
        let many = GoogleProvider {
            name: None,
            allowed_audiences: (0..11).map(|i| i.to_string()).collect(),
        };
        assert_eq!(many.validate(), Err(ProviderError::TooManyAudiences(11)));
    }
}
