//! The one error type of the issuer crate.

/// Why an issuer document or site could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerError {
    /// The issuer URL breaks one of kube-apiserver's (or OIDC's) rules.
    #[error("issuer URL {url:?} {rule}")]
    BadIssuer {
        /// The URL as given.
        url: String,
        /// The rule it breaks, phrased to follow the URL.
        rule: String,
    },
    /// The JWKS URI is unusable.
    #[error("jwks_uri {uri:?} {rule}")]
    BadJwksUri {
        /// The URI as given.
        uri: String,
        /// The rule it breaks.
        rule: String,
    },
    /// A flag value kube-apiserver could not take as it is.
    #[error("{flag} {value:?} {rule}")]
    BadFlag {
        /// The flag.
        flag: &'static str,
        /// The value as given.
        value: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A document serde_json could not write (not seen: its members are strings).
    #[error("{what} cannot be written as JSON: {reason}")]
    Unwritable {
        /// The document.
        what: &'static str,
        /// serde_json's error.
        reason: String,
    },
    /// No keys were given.
    #[error("no keys given: the issuer needs at least one public key")]
    NoKeys,
    /// A key could not be encoded.
    #[error(transparent)]
    Key(#[from] kwi_jose::KeyError),
}
