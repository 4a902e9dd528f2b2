//! `sts.toml`: the account, its IAM OIDC providers and its roles with their trust policies,
//! read once and checked (every trust policy parsed) before the server starts.

use serde::Deserialize;

use crate::trust_policy::TrustPolicy;

/// A config that cannot be used, with what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    account: String,
    max_token_age: Option<u64>,
    #[serde(default)]
    provider: Vec<RawProvider>,
    #[serde(default)]
    role: Vec<RawRole>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    url: String,
    #[serde(default)]
    client_ids: Vec<String>,
    #[serde(default)]
    thumbprints: Vec<String>,
    ca_file: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    arn: String,
    #[serde(default = "default_max_session")]
    max_session_duration: u32,
    trust_policy: String,
}

fn default_max_session() -> u32 {
    3600
}

/// An IAM OIDC identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// The provider URL, as IAM keeps it (`https://host[/path]`); a token's `iss` must equal it.
    pub url: String,
    /// The URL without `https://`: the provider ARN's resource and the condition key prefix.
    pub prefix: String,
    /// The client IDs (audiences).
    pub client_ids: Vec<String>,
    /// The thumbprints: a certificate no trusted CA signs is accepted when the SHA-1 of the top
    /// certificate its host sends is one of them (IAM's rule for private CAs).
    pub thumbprints: Vec<String>,
    /// A CA file to trust for this provider's HTTPS, instead of the platform's roots.
    pub ca_file: Option<String>,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Its ARN.
    pub arn: String,
    /// Its name: the ARN's last path segment.
    pub name: String,
    /// The longest session, in seconds (3600 to 43200).
    pub max_session_duration: u32,
    /// The trust policy, read.
    pub trust_policy: TrustPolicy,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The 12-digit account ID.
    pub account: String,
    /// The OIDC providers.
    pub providers: Vec<Provider>,
    /// The roles.
    pub roles: Vec<Role>,
    /// Tokens issued (`iat`) longer ago than this many seconds are refused with STS's
    /// `ExpiredTokenException: Token too old: <age>`, even before their `exp`. STS has such a
    /// rule (answers quoted in mozilla-iam/mozilla-aws-cli issues 146 and 155, for tokens 42.8 h
    /// and 5.1 days old) but its limit is not documented, so there is none unless set.
    pub max_token_age: Option<u64>,
}

fn provider(raw: RawProvider, index: usize) -> Result<Provider, ConfigError> {
    let at = |m: String| ConfigError(format!("[[provider]] {index} (url {:?}): {m}", raw.url));
    let Some(prefix) = raw.url.strip_prefix("https://") else {
        return Err(at(
            "the provider URL must begin with https:// (IAM refuses others)".into(),
        ));
    };
    if prefix.is_empty() || prefix.contains(['?', '#']) {
        return Err(at(
            "the provider URL needs a host and no query or fragment".into()
        ));
    }
    if raw.client_ids.is_empty() {
        return Err(at(
            "client_ids is empty: give the audiences tokens carry, e.g. client_ids = [\"sts.amazonaws.com\"]".into(),
        ));
    }
    for t in &raw.thumbprints {
        if t.len() != 40 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(at(format!(
                "thumbprint {t:?} is not 40 hexadecimal characters (a SHA-1)"
            )));
        }
    }
    Ok(Provider {
        prefix: prefix.to_string(),
        url: raw.url,
        client_ids: raw.client_ids,
        thumbprints: raw.thumbprints,
        ca_file: raw.ca_file,
    })
}

fn role(raw: RawRole, account: &str) -> Result<Role, ConfigError> {
    let at = |m: String| ConfigError(format!("[[role]] {:?}: {m}", raw.arn));
    let prefix = format!("arn:aws:iam::{account}:role/");
    let Some(path) = raw.arn.strip_prefix(&prefix) else {
        return Err(at(format!(
            "a role ARN of this account reads {prefix}<name>"
        )));
    };
    let name = path.rsplit('/').next().unwrap_or_default().to_string();
    if name.is_empty() {
        return Err(at("the role ARN has no name".into()));
    }
    if !(3600..=43200).contains(&raw.max_session_duration) {
        return Err(at(format!(
            "max_session_duration {} is outside IAM's 3600 to 43200 seconds",
            raw.max_session_duration
        )));
    }
    let trust_policy = TrustPolicy::parse(&raw.trust_policy).map_err(|e| at(e.to_string()))?;
    Ok(Role {
        arn: raw.arn,
        name,
        max_session_duration: raw.max_session_duration,
        trust_policy,
    })
}

impl Config {
    /// Reads and checks a config file's text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        if raw.account.len() != 12 || !raw.account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError(format!(
                "account {:?} is not a 12-digit AWS account ID",
                raw.account
            )));
        }
        let providers = raw
            .provider
            .into_iter()
            .enumerate()
            .map(|(i, p)| provider(p, i))
            .collect::<Result<Vec<_>, _>>()?;
        let roles = raw
            .role
            .into_iter()
            .map(|r| role(r, &raw.account))
            .collect::<Result<Vec<_>, _>>()?;
        if raw.max_token_age == Some(0) {
            return Err(ConfigError(
                "max_token_age = 0 would refuse every token: give seconds, or leave it out".into(),
            ));
        }
        Ok(Config {
            account: raw.account,
            providers,
            roles,
            max_token_age: raw.max_token_age,
        })
    }

    /// The provider whose URL is exactly this issuer, as IAM finds it.
    pub fn provider_for(&self, iss: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.url == iss)
    }

    /// The role with this ARN.
    pub fn role(&self, arn: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.arn == arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The issue's example, verbatim.
    const EXAMPLE: &str = r#"
account = "111122223333"
[[provider]]
url = "https://oidc.example.com"       # IAM's provider URL; the provider ARN is arn:aws:iam::<account>:oidc-provider/oidc.example.com
client_ids = ["sts.amazonaws.com"]
thumbprints = []                       # optional, as IAM
ca_file = "ca.pem"                     # optional: trust this CA (tests, private issuers)
[[role]]
arn = "arn:aws:iam::111122223333:role/app"
max_session_duration = 3600
trust_policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.example.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.example.com:sub":"system:serviceaccount:default:app","oidc.example.com:aud":"sts.amazonaws.com"}}}]}'''
"#;

    #[test]
    fn the_issue_example_reads() {
        let c = Config::parse(EXAMPLE).unwrap();
        assert_eq!(c.providers[0].prefix, "oidc.example.com");
        assert_eq!(c.roles[0].name, "app");
        assert!(c.provider_for("https://oidc.example.com").is_some());
        assert!(c.provider_for("https://oidc.example.com/").is_none());
    }

    #[test]
    fn mistakes_are_named() {
        for (from, to, says) in [
            ("111122223333\"\n", "1111\"\n", "12-digit"),
            ("url = \"https://", "url = \"http://", "https://"),
            ("role/app", "user/app", "role ARN"),
            (
                "max_session_duration = 3600",
                "max_session_duration = 60",
                "3600 to 43200",
            ),
            ("\"Effect\":\"Allow\"", "\"Effect\":\"Yes\"", "Effect"),
            ("thumbprints = []", "thumbprints = [\"ab\"]", "SHA-1"),
            (
                "client_ids = [\"sts.amazonaws.com\"]",
                "client_ids = []",
                "client_ids",
            ),
            ("ca_file", "ca_fil", "unknown field"),
        ] {
            let text = EXAMPLE.replacen(from, to, 1);
            assert_ne!(text, EXAMPLE, "{from}");
            let e = Config::parse(&text).unwrap_err().to_string();
            assert!(e.contains(says), "{from} -> {e}");
        }
    }
}
