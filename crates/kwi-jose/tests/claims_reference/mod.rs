//! A plain reading of a claims object through serde_json, written from the rules kwi's typed
//! claims follow: the values, the identity (projected or legacy) and, for claims of the wrong
//! type, which one is reported first and how. Shared by `tests/claims_typing.rs` and the
//! `claims_parse` fuzz target, which compare kwi's reading with it.
#![allow(dead_code, clippy::unwrap_used)]

use kwi_jose::{Claims, ObjectRef, ServiceAccountIdentity, TokenError, legacy};
use serde_json::{Map, Value};

const LIMIT: f64 = 253_402_300_799.0;
pub(crate) const LEGACY_ISSUER: &str = "kubernetes/serviceaccount";

/// A wrong-type error: the claim and the reason.
pub(crate) type Wrong = (String, String);

fn kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong(claim: &str, reason: impl Into<String>) -> Wrong {
    (claim.to_string(), reason.into())
}

fn string(v: Option<&Value>, claim: &str) -> Result<Option<String>, Wrong> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(wrong(claim, format!("must be a string, not {}", kind(v)))),
    }
}

fn date(v: Option<&Value>, claim: &str) -> Result<Option<i64>, Wrong> {
    match v {
        // go-jose reads `null` as no date.
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) if (i as f64).abs() <= LIMIT => Ok(Some(i)),
            (None, Some(f)) if f.abs() <= LIMIT => Ok(Some(f.trunc() as i64)),
            _ => Err(wrong(claim, "is beyond the range of dates")),
        },
        Some(v) => Err(wrong(
            claim,
            format!("must be a number of seconds (NumericDate), not {}", kind(v)),
        )),
    }
}

fn reference(v: Option<&Value>, claim: &str) -> Result<Option<ObjectRef>, Wrong> {
    let Some(v) = v else { return Ok(None) };
    let Value::Object(o) = v else {
        return Err(wrong(claim, "must be an object"));
    };
    let member = |name: &str| match o.get(name) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(wrong(claim, format!("member {name:?} must be a string"))),
    };
    Ok(Some(ObjectRef {
        name: member("name")?,
        uid: member("uid")?,
    }))
}

/// What a claims object should read as, straight from its JSON tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expected {
    iss: Option<String>,
    sub: Option<String>,
    jti: Option<String>,
    aud: Option<Vec<String>>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    identity: Option<ServiceAccountIdentity>,
}

pub(crate) fn expected(m: &Map<String, Value>) -> Result<Expected, Wrong> {
    let iss = string(m.get("iss"), "iss")?;
    let identity = if let Some(k8s) = m.get("kubernetes.io") {
        let Value::Object(k) = k8s else {
            return Err(wrong("kubernetes.io", "must be an object"));
        };
        let namespace = match k.get("namespace") {
            None => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(wrong(
                    "kubernetes.io",
                    "member \"namespace\" must be a string",
                ));
            }
        };
        let service_account = reference(k.get("serviceaccount"), "kubernetes.io.serviceaccount")?;
        let pod = reference(k.get("pod"), "kubernetes.io.pod")?;
        let node = reference(k.get("node"), "kubernetes.io.node")?;
        let secret = reference(k.get("secret"), "kubernetes.io.secret")?;
        Some(ServiceAccountIdentity {
            namespace,
            service_account: service_account.unwrap_or_default(),
            pod,
            node,
            secret,
            warn_after: date(k.get("warnafter"), "kubernetes.io.warnafter")?,
            legacy: false,
        })
    } else if iss.as_deref() == Some(LEGACY_ISSUER) || m.contains_key(legacy::NAMESPACE) {
        let get = |name: &str| string(m.get(name), name).map(Option::unwrap_or_default);
        Some(ServiceAccountIdentity {
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
        })
    } else {
        None
    };
    let sub = string(m.get("sub"), "sub")?;
    let aud = match m.get("aud") {
        None => None,
        Some(Value::String(s)) => Some(vec![s.clone()]),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Some(
            items
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect(),
        ),
        Some(_) => return Err(wrong("aud", "must be a string or an array of strings")),
    };
    Ok(Expected {
        iss,
        sub,
        aud,
        exp: date(m.get("exp"), "exp")?,
        nbf: date(m.get("nbf"), "nbf")?,
        iat: date(m.get("iat"), "iat")?,
        jti: string(m.get("jti"), "jti")?,
        identity,
    })
}

/// kwi's reading of `json`: `None` when kwi refuses it as JSON (not a typing question).
pub(crate) fn read(json: &[u8]) -> Option<Result<Expected, Wrong>> {
    match Claims::parse(json) {
        Ok(c) => Some(Ok(Expected {
            iss: c.iss().map(str::to_string),
            sub: c.sub().map(str::to_string),
            jti: c.jti().map(str::to_string),
            aud: c.aud_list(),
            exp: c.exp,
            nbf: c.nbf,
            iat: c.iat,
            identity: c.service_account(),
        })),
        Err(TokenError::InvalidClaim { claim, reason }) => Some(Err((claim, reason.to_string()))),
        Err(_) => None,
    }
}
