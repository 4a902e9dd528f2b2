//! `auth/<mount>/config`: where the keys that verify tokens come from.

use kwi_jose::{Algorithm, KeySet, KidMethod};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::ApiError;
use crate::openbao::weak_decode;

/// A mount's configuration, as OpenBao's JWT auth method stores it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtConfig {
    /// PEM public keys that verify tokens.
    pub jwt_validation_pubkeys: Vec<String>,
    /// A remote JWKS.
    pub jwks_url: String,
    /// CA certificates (PEM) for `jwks_url`.
    #[serde(default)]
    pub jwks_ca_pem: String,
    /// An OIDC issuer whose discovery document names the JWKS.
    pub oidc_discovery_url: String,
    /// CA certificates (PEM) for `oidc_discovery_url`.
    #[serde(default)]
    pub oidc_discovery_ca_pem: String,
    /// Several JWKS URLs, each with its CA (one per cluster).
    #[serde(default)]
    pub jwks_pairs: Vec<JwksPair>,
    /// The issuer every token must have (`iss`); empty means any.
    pub bound_issuer: String,
    /// Algorithms accepted; empty means all ten asymmetric ones.
    pub jwt_supported_algs: Vec<String>,
    /// The role used when a login names none.
    pub default_role: String,
}

/// One entry of `jwks_pairs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwksPair {
    /// The JWKS URL.
    pub jwks_url: String,
    /// CA certificates (PEM) for it.
    #[serde(default)]
    pub jwks_ca_pem: String,
}

const SOURCES: &str = "exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs', 'oidc_discovery_url', or 'provider_config' must be set";

/// A field OpenBao's config write cannot convert: its message carries this prefix there.
pub(crate) fn field_validation(mut e: ApiError) -> ApiError {
    for m in &mut e.errors {
        m.insert_str(0, "Field validation failed: ");
    }
    e
}

impl JwtConfig {
    /// Reads a config write (a full replace, as Vault does), with Vault's checks and messages.
    pub fn from_request(body: &Map<String, Value>) -> Result<JwtConfig, ApiError> {
        let jwks_pairs = match body.get("jwks_pairs") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => serde_json::from_str::<JwksPair>(s),
                    other => serde_json::from_value::<JwksPair>(other.clone()),
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ApiError::bad_request(format!("invalid jwks_pairs: {e}")))?,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "invalid jwks_pairs: expected a list of {jwks_url, jwks_ca_pem}",
                ));
            }
        };
        let text = |field: &str| {
            weak_decode::string(body, field)
                .map(Option::unwrap_or_default)
                .map_err(field_validation)
        };
        let list = |field: &str| {
            weak_decode::list(body, field)
                .map(Option::unwrap_or_default)
                .map_err(field_validation)
        };
        let config = JwtConfig {
            jwt_validation_pubkeys: list("jwt_validation_pubkeys")?,
            jwks_url: text("jwks_url")?,
            jwks_ca_pem: text("jwks_ca_pem")?,
            oidc_discovery_url: text("oidc_discovery_url")?,
            oidc_discovery_ca_pem: text("oidc_discovery_ca_pem")?,
            jwks_pairs,
            bound_issuer: text("bound_issuer")?,
            jwt_supported_algs: list("jwt_supported_algs")?,
            default_role: text("default_role")?.to_lowercase(),
        };
        let sources = [
            !config.jwt_validation_pubkeys.is_empty(),
            !config.jwks_url.is_empty(),
            !config.oidc_discovery_url.is_empty(),
            !config.jwks_pairs.is_empty(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(ApiError::bad_request(SOURCES));
        }
        // The keys (PEMs parsed, URLs fetched) and then the algorithms are checked when the
        // mount's keys are built from the config, in OpenBao's order.
        Ok(config)
    }

    /// `jwt_supported_algs` holds only algorithms kwi (and OpenBao) verify.
    pub fn check_algorithms(&self) -> Result<(), ApiError> {
        for alg in &self.jwt_supported_algs {
            if Algorithm::from_name(alg).is_none() {
                return Err(ApiError::bad_request(format!(
                    "invalid jwt_supported_algs: unsupported signing algorithm {}",
                    crate::go::fmt::quote(alg)
                )));
            }
        }
        Ok(())
    }

    /// The remote sources of keys; `None` when the keys are static PEMs.
    pub fn sources(&self) -> Result<Option<Vec<crate::remote::Source>>, ApiError> {
        let source = |url: &str, discovery: bool, ca: &str| {
            crate::remote::Source::new(url, discovery, ca).map_err(|e| {
                let field = if discovery {
                    "oidc_discovery_ca_pem"
                } else {
                    "jwks_ca_pem"
                };
                ApiError::bad_request(format!("error checking {field}: {e}"))
            })
        };
        if !self.jwks_url.is_empty() {
            return Ok(Some(vec![source(
                &self.jwks_url,
                false,
                &self.jwks_ca_pem,
            )?]));
        }
        if !self.oidc_discovery_url.is_empty() {
            return Ok(Some(vec![source(
                &self.oidc_discovery_url,
                true,
                &self.oidc_discovery_ca_pem,
            )?]));
        }
        if !self.jwks_pairs.is_empty() {
            return self
                .jwks_pairs
                .iter()
                .map(|p| source(&p.jwks_url, false, &p.jwks_ca_pem))
                .collect::<Result<Vec<_>, _>>()
                .map(Some);
        }
        Ok(None)
    }

    /// The trusted keys, each known by its Kubernetes kid so a token's kid finds it at once.
    pub fn key_set(&self) -> Result<KeySet, ApiError> {
        let mut entries = Vec::new();
        // One PEM block per entry, read as OpenBao reads it (and refused with its words).
        for pem in &self.jwt_validation_pubkeys {
            let key = crate::go::pem::openbao_public_key(pem)
                .map_err(|e| ApiError::bad_request(format!("error parsing public key: {e}")))?;
            let kid = KidMethod::Kubernetes
                .kid(&key)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            entries.push((key, Some(kid)));
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
    /// OpenBao's read has no `jwks_pairs`: kwi shows them only when set.
    pub fn to_response(&self) -> Value {
        let mut data = json!({
            "bound_issuer": self.bound_issuer,
            "default_role": self.default_role,
            "jwks_ca_pem": self.jwks_ca_pem,
            "jwks_url": self.jwks_url,
            "jwt_supported_algs": self.jwt_supported_algs,
            "jwt_validation_pubkeys": self.jwt_validation_pubkeys,
            "namespace_in_state": true,
            "oidc_client_id": "",
            "oidc_discovery_ca_pem": self.oidc_discovery_ca_pem,
            "oidc_discovery_url": self.oidc_discovery_url,
            "oidc_response_mode": "",
            "oidc_response_types": [],
            "override_allowed_server_names": [],
            "provider_config": {},
            // Every config kwi keeps has passed its checks when written.
            "status": "valid",
        });
        if !self.jwks_pairs.is_empty()
            && let Some(data) = data.as_object_mut()
        {
            data.insert("jwks_pairs".into(), json!(self.jwks_pairs));
        }
        data
    }
}
