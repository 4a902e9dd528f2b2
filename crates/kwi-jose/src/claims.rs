//! Token claims, typed once: the registered claims of RFC 7519 and the `kubernetes.io` claims of
//! projected and legacy service-account tokens.

use serde_json::{Map, Value};

use crate::token_error::TokenError;

/// The issuer of legacy, secret-based service-account tokens.
pub const LEGACY_ISSUER: &str = "kubernetes/serviceaccount";

/// Claim names of legacy tokens (Kubernetes `legacyPrivateClaims`).
pub mod legacy {
    /// Namespace of the service account.
    pub const NAMESPACE: &str = "kubernetes.io/serviceaccount/namespace";
    /// Name of the Secret that held the token.
    pub const SECRET_NAME: &str = "kubernetes.io/serviceaccount/secret.name";
    /// Name of the service account.
    pub const SERVICE_ACCOUNT_NAME: &str = "kubernetes.io/serviceaccount/service-account.name";
    /// UID of the service account.
    pub const SERVICE_ACCOUNT_UID: &str = "kubernetes.io/serviceaccount/service-account.uid";
}

/// A name and UID pair (`serviceaccount`, `pod`, `node`, `secret`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectRef {
    /// The object's name.
    pub name: String,
    /// The object's UID.
    pub uid: String,
}

/// Who a service-account token says it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceAccountIdentity {
    /// Namespace.
    pub namespace: String,
    /// Service account.
    pub service_account: ObjectRef,
    /// Pod the token is bound to.
    pub pod: Option<ObjectRef>,
    /// Node the pod runs on.
    pub node: Option<ObjectRef>,
    /// Secret the token is bound to (legacy tokens, and tokens bound to a Secret).
    pub secret: Option<ObjectRef>,
    /// After this time kube-apiserver warns about the token's use (extended expiry).
    pub warn_after: Option<i64>,
    /// A secret-based token (iss `kubernetes/serviceaccount`, no expiry).
    pub legacy: bool,
}

/// A token's claims: the registered ones typed, every one available raw.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    raw: Map<String, Value>,
    /// `iss`.
    pub iss: Option<String>,
    /// `sub`.
    pub sub: Option<String>,
    /// `aud`, always as a list; `None` when absent.
    pub aud: Option<Vec<String>>,
    /// `exp`, seconds since the epoch.
    pub exp: Option<i64>,
    /// `nbf`, seconds since the epoch.
    pub nbf: Option<i64>,
    /// `iat`, seconds since the epoch.
    pub iat: Option<i64>,
    /// `jti`.
    pub jti: Option<String>,
}

fn invalid(claim: &str, reason: impl Into<String>) -> TokenError {
    TokenError::InvalidClaim {
        claim: claim.to_string(),
        reason: reason.into(),
    }
}

fn string_claim(raw: &Map<String, Value>, name: &str) -> Result<Option<String>, TokenError> {
    match raw.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(name, "must be a string")),
    }
}

/// A NumericDate (RFC 7519 §2): a JSON number of seconds. Fractions are truncated, as go-jose
/// (kube-apiserver, Vault) does; strings and numbers beyond the range of dates are refused.
fn date_claim(raw: &Map<String, Value>, name: &str) -> Result<Option<i64>, TokenError> {
    const LIMIT: f64 = 253_402_300_799.0; // 9999-12-31T23:59:59Z
    match raw.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                if (i as f64).abs() > LIMIT {
                    return Err(invalid(name, format!("{i} is beyond the range of dates")));
                }
                return Ok(Some(i));
            }
            match n.as_f64() {
                Some(f) if f.is_finite() && f.abs() <= LIMIT => Ok(Some(f.trunc() as i64)),
                _ => Err(invalid(name, format!("{n} is beyond the range of dates"))),
            }
        }
        Some(Value::String(_)) => Err(invalid(
            name,
            "must be a number of seconds (NumericDate), not a string",
        )),
        Some(_) => Err(invalid(name, "must be a number of seconds (NumericDate)")),
    }
}

fn audience_claim(raw: &Map<String, Value>) -> Result<Option<Vec<String>>, TokenError> {
    match raw.get("aud") {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| invalid("aud", "must be a string or an array of strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(invalid("aud", "must be a string or an array of strings")),
    }
}

fn object_ref(value: &Value, claim: &str) -> Result<ObjectRef, TokenError> {
    let field = |name: &str| match value.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        None => Ok(String::new()),
        Some(_) => Err(invalid(claim, format!("member {name:?} must be a string"))),
    };
    if !value.is_object() {
        return Err(invalid(claim, "must be an object"));
    }
    Ok(ObjectRef {
        name: field("name")?,
        uid: field("uid")?,
    })
}

impl Claims {
    /// Types the registered claims of a claims object.
    pub fn from_map(raw: Map<String, Value>) -> Result<Claims, TokenError> {
        Ok(Claims {
            iss: string_claim(&raw, "iss")?,
            sub: string_claim(&raw, "sub")?,
            aud: audience_claim(&raw)?,
            exp: date_claim(&raw, "exp")?,
            nbf: date_claim(&raw, "nbf")?,
            iat: date_claim(&raw, "iat")?,
            jti: string_claim(&raw, "jti")?,
            raw,
        })
    }

    /// Every claim as decoded.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// One claim as decoded.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.raw.get(name)
    }

    /// Whether this is a legacy, secret-based token.
    pub fn is_legacy(&self) -> bool {
        self.iss.as_deref() == Some(LEGACY_ISSUER)
    }

    /// The service-account identity, from the `kubernetes.io` claim or the legacy flat claims;
    /// `Ok(None)` for tokens that are not service-account tokens.
    pub fn service_account(&self) -> Result<Option<ServiceAccountIdentity>, TokenError> {
        if let Some(k8s) = self.raw.get("kubernetes.io") {
            let claim = "kubernetes.io";
            if !k8s.is_object() {
                return Err(invalid(claim, "must be an object"));
            }
            let namespace = match k8s.get("namespace") {
                Some(Value::String(s)) => s.clone(),
                Some(_) => return Err(invalid(claim, "member \"namespace\" must be a string")),
                None => String::new(),
            };
            let optional = |name: &str| {
                k8s.get(name)
                    .map(|v| object_ref(v, &format!("{claim}.{name}")))
                    .transpose()
            };
            let warn_after = match k8s.get("warnafter") {
                None => None,
                Some(_) => date_claim(k8s.as_object().unwrap_or(&Map::new()), "warnafter")
                    .map_err(|_| invalid(claim, "member \"warnafter\" must be a NumericDate"))?,
            };
            return Ok(Some(ServiceAccountIdentity {
                namespace,
                service_account: optional("serviceaccount")?.unwrap_or_default(),
                pod: optional("pod")?,
                node: optional("node")?,
                secret: optional("secret")?,
                warn_after,
                legacy: false,
            }));
        }
        if self.is_legacy() || self.raw.contains_key(legacy::NAMESPACE) {
            let get = |name: &str| string_claim(&self.raw, name).map(Option::unwrap_or_default);
            return Ok(Some(ServiceAccountIdentity {
                namespace: get(legacy::NAMESPACE)?,
                service_account: ObjectRef {
                    name: get(legacy::SERVICE_ACCOUNT_NAME)?,
                    uid: get(legacy::SERVICE_ACCOUNT_UID)?,
                },
                secret: Some(ObjectRef {
                    name: get(legacy::SECRET_NAME)?,
                    uid: String::new(),
                }),
                legacy: true,
                ..ServiceAccountIdentity::default()
            }));
        }
        Ok(None)
    }
}
