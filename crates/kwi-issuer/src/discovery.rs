//! The OpenID Connect discovery document (`/.well-known/openid-configuration`).

use std::collections::BTreeSet;

use kwi_jose::Key;
use serde::Serialize;

use crate::issuer_url::split_https;
use crate::{IssuerError, IssuerUrl, go_json};

/// Which document to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiscoveryStyle {
    /// Exactly what kube-apiserver serves (`ServiceAccountIssuerDiscovery`).
    #[default]
    Kubernetes,
    /// The EKS self-hosted guide's document: adds `authorization_endpoint` and `claims_supported`,
    /// JWKS at `/keys.json`.
    Eks,
}

impl DiscoveryStyle {
    /// Where the JWKS lives below the issuer unless told otherwise.
    pub fn default_jwks_path(self) -> &'static str {
        match self {
            DiscoveryStyle::Kubernetes => "openid/v1/jwks",
            DiscoveryStyle::Eks => "keys.json",
        }
    }

    /// The default `jwks_uri` for an issuer.
    pub fn default_jwks_uri(self, issuer: &IssuerUrl) -> String {
        format!("{}/{}", issuer.base(), self.default_jwks_path())
    }
}

/// kube-apiserver's `openIDMetadata`, member for member.
#[derive(Serialize)]
struct KubernetesMetadata<'a> {
    issuer: &'a str,
    jwks_uri: &'a str,
    response_types_supported: [&'a str; 1],
    subject_types_supported: [&'a str; 1],
    id_token_signing_alg_values_supported: &'a [String],
}

/// The EKS guide's `discovery.json`, member for member.
#[derive(Serialize)]
struct EksMetadata<'a> {
    issuer: &'a str,
    jwks_uri: &'a str,
    authorization_endpoint: &'a str,
    response_types_supported: [&'a str; 1],
    subject_types_supported: [&'a str; 1],
    id_token_signing_alg_values_supported: &'a [String],
    claims_supported: [&'a str; 2],
}

/// The signing algorithms of the keys, sorted and without repeats (kube-apiserver's `getAlgs`).
pub fn signing_algorithms(keys: &[Key]) -> Vec<String> {
    keys.iter()
        .map(|k| k.public().alg().to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Checks a `jwks_uri` as kube-apiserver does (it must be an https URL).
pub(crate) fn check_jwks_uri(uri: &str) -> Result<(), IssuerError> {
    split_https(uri)
        .map(|_| ())
        .map_err(|rule| IssuerError::BadJwksUri {
            uri: uri.to_string(),
            rule: rule.to_string(),
        })
}

/// The discovery document, compact (algorithms sorted and deduplicated), byte for byte as kube-apiserver (or the EKS guide) has it.
pub fn discovery_document(
    issuer: &IssuerUrl,
    jwks_uri: &str,
    algs: &[String],
    style: DiscoveryStyle,
) -> Result<String, IssuerError> {
    check_jwks_uri(jwks_uri)?;
    discovery_json(issuer.as_str(), jwks_uri, algs, style)
}

/// [`discovery_document`] without the URL checks, for issuers that are not public OIDC issuers
/// (`kwi serve`'s own client-token issuer, which may be plain `kwi` on `http://localhost`).
pub fn discovery_json(
    issuer: &str,
    jwks_uri: &str,
    algs: &[String],
    style: DiscoveryStyle,
) -> Result<String, IssuerError> {
    let algs = algs
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>();
    let json = match style {
        DiscoveryStyle::Kubernetes => serde_json::to_string(&KubernetesMetadata {
            issuer,
            jwks_uri,
            response_types_supported: ["id_token"],
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: &algs,
        }),
        DiscoveryStyle::Eks => serde_json::to_string(&EksMetadata {
            issuer,
            jwks_uri,
            authorization_endpoint: "urn:kubernetes:programmatic_authorization",
            response_types_supported: ["id_token"],
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: &algs,
            claims_supported: ["sub", "iss"],
        }),
    };
    // Strings and string arrays always serialize; an error would still be one, never empty JSON.
    json.map(go_json::html_safe)
        .map_err(|e| IssuerError::Unwritable {
            what: "the discovery document",
            reason: e.to_string(),
        })
}
