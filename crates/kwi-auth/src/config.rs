//! `auth/<mount>/config`: where the keys that verify tokens come from.

use kwi_jose::{Algorithm, KeySet, KidMethod, parse_keys};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{ApiError, fields};

/// A mount's configuration, as OpenBao's JWT auth method stores it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtConfig {
    /// PEM public keys that verify tokens.
    pub jwt_validation_pubkeys: Vec<String>,
    /// Remote JWKS (not fetched by kwi yet).
    pub jwks_url: String,
    /// OIDC discovery URL (not fetched by kwi yet).
    pub oidc_discovery_url: String,
    /// The issuer every token must have (`iss`); empty means any.
    pub bound_issuer: String,
    /// Algorithms accepted; empty means all ten asymmetric ones.
    pub jwt_supported_algs: Vec<String>,
    /// The role used when a login names none.
    pub default_role: String,
}

const SOURCES: &str = "exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs' or 'oidc_discovery_url' must be set";

impl JwtConfig {
    /// Reads a config write (a full replace, as Vault does), with Vault's checks and messages.
    pub fn from_request(body: &Map<String, Value>) -> Result<JwtConfig, ApiError> {
        let config = JwtConfig {
            jwt_validation_pubkeys: fields::pem_list(body, "jwt_validation_pubkeys")?
                .unwrap_or_default(),
            jwks_url: fields::string(body, "jwks_url")?.unwrap_or_default(),
            oidc_discovery_url: fields::string(body, "oidc_discovery_url")?.unwrap_or_default(),
            bound_issuer: fields::string(body, "bound_issuer")?.unwrap_or_default(),
            jwt_supported_algs: fields::list(body, "jwt_supported_algs")?.unwrap_or_default(),
            default_role: fields::string(body, "default_role")?
                .unwrap_or_default()
                .to_lowercase(),
        };
        let pairs = fields::list(body, "jwks_pairs")?.is_some_and(|p| !p.is_empty())
            || body
                .get("jwks_pairs")
                .is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty()));
        let sources = [
            !config.jwt_validation_pubkeys.is_empty(),
            !config.jwks_url.is_empty(),
            !config.oidc_discovery_url.is_empty(),
            pairs,
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(ApiError::bad_request(SOURCES));
        }
        if !config.jwks_url.is_empty() || !config.oidc_discovery_url.is_empty() || pairs {
            return Err(ApiError::bad_request(
                "kwi does not fetch remote keys yet: give the keys as jwt_validation_pubkeys (convert a JWKS with: kwi keys convert jwks.json --to pem)",
            ));
        }
        for alg in &config.jwt_supported_algs {
            if Algorithm::from_name(alg).is_none() {
                return Err(ApiError::bad_request(format!(
                    "invalid jwt_supported_algs: {alg}"
                )));
            }
        }
        config.key_set()?;
        Ok(config)
    }

    /// The trusted keys, each known by its Kubernetes kid so a token's kid finds it at once.
    pub fn key_set(&self) -> Result<KeySet, ApiError> {
        let mut entries = Vec::new();
        for pem in &self.jwt_validation_pubkeys {
            let keys = parse_keys(pem.as_bytes())
                .map_err(|e| ApiError::bad_request(format!("error parsing public key: {e}")))?;
            for key in keys {
                let kid = KidMethod::Kubernetes
                    .kid(&key)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
                entries.push((key.to_public(), Some(kid)));
            }
        }
        KeySet::new(entries)
            .map_err(|e| ApiError::bad_request(format!("error parsing public key: {e}")))
    }

    /// The algorithms a login accepts.
    pub fn algorithms(&self) -> Vec<Algorithm> {
        self.jwt_supported_algs
            .iter()
            .filter_map(|a| Algorithm::from_name(a))
            .collect()
    }

    /// The `data` of a config read.
    pub fn to_response(&self) -> Value {
        json!({
            "bound_issuer": self.bound_issuer,
            "default_role": self.default_role,
            "jwks_ca_pem": "",
            "jwks_pairs": [],
            "jwks_url": self.jwks_url,
            "jwt_supported_algs": self.jwt_supported_algs,
            "jwt_validation_pubkeys": self.jwt_validation_pubkeys,
            "namespace_in_state": true,
            "oidc_client_id": "",
            "oidc_discovery_ca_pem": "",
            "oidc_discovery_url": self.oidc_discovery_url,
            "oidc_response_mode": "",
            "oidc_response_types": [],
            "provider_config": {},
        })
    }
}
