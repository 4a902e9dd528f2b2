//! The claims kube-apiserver puts in the tokens it issues, built from the same identity type
//! that reading a token returns ([`ServiceAccountIdentity`]), so that what kwi mints and what it
//! reads are one model. Members are written in kube-apiserver's order (go-jose merges the claims
//! into a map, so they come out sorted by name, `kubernetes.io`'s members too).

use serde_json::{Map, Value};

use crate::claims::{LEGACY_ISSUER, ObjectRef, ServiceAccountIdentity, legacy};
use crate::time::LAST_DATE;

/// Why claims cannot be minted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MintError {
    /// The issuer is empty.
    #[error("the issuer is empty")]
    EmptyIssuer,
    /// The lifetime is zero or negative.
    #[error("the lifetime must be positive (a token that expires as it is issued is of no use)")]
    NotPositiveTtl,
    /// `iat` or `nbf` is before 1970 or after 9999-12-31.
    #[error("{value} is not between 1970-01-01 and 9999-12-31")]
    DateOutOfRange {
        /// The date, in Unix seconds.
        value: i64,
        /// Which claim: `iat` or `nbf`.
        claim: &'static str,
    },
    /// `iat + ttl` is after 9999-12-31.
    #[error("the token would expire after 9999-12-31")]
    ExpiresTooLate,
    /// `nbf` is not before `exp`.
    #[error("the token expires at {expires}, before it becomes valid")]
    ValidNever {
        /// The expiry, in Unix seconds.
        expires: i64,
    },
}

/// The claims of a projected (bound) service-account token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectedClaims {
    /// `iss`.
    pub issuer: String,
    /// `sub`: `system:serviceaccount:NS:NAME` for a service account.
    pub subject: String,
    /// `aud`.
    pub audiences: Vec<String>,
    /// `iat`.
    pub issued_at: i64,
    /// `nbf`.
    pub not_before: i64,
    /// `exp`.
    pub expires: i64,
    /// `jti`.
    pub id: String,
    /// `kubernetes.io`: namespace, service account, pod, node (the subject of a service account).
    pub identity: Option<ServiceAccountIdentity>,
}

impl ProjectedClaims {
    /// Claims for `subject`, checked as kube-apiserver and every verifier read dates:
    /// `iat` and `nbf` within 1970–9999, a positive lifetime, `nbf` before `exp`.
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per registered claim"
    )]
    pub fn new(
        issuer: &str,
        subject: &str,
        audiences: &[String],
        issued_at: i64,
        not_before: i64,
        ttl: i64,
        id: &str,
        identity: Option<ServiceAccountIdentity>,
    ) -> Result<ProjectedClaims, MintError> {
        if issuer.is_empty() {
            return Err(MintError::EmptyIssuer);
        }
        for (value, claim) in [(issued_at, "iat"), (not_before, "nbf")] {
            if !(0..=LAST_DATE).contains(&value) {
                return Err(MintError::DateOutOfRange { value, claim });
            }
        }
        if ttl <= 0 {
            return Err(MintError::NotPositiveTtl);
        }
        let expires = issued_at
            .checked_add(ttl)
            .filter(|exp| *exp <= LAST_DATE)
            .ok_or(MintError::ExpiresTooLate)?;
        if not_before >= expires {
            return Err(MintError::ValidNever { expires });
        }
        Ok(ProjectedClaims {
            issuer: issuer.to_string(),
            subject: subject.to_string(),
            audiences: audiences.to_vec(),
            issued_at,
            not_before,
            expires,
            id: id.to_string(),
            identity,
        })
    }

    /// The claims as JSON, member for member as kube-apiserver writes them.
    pub fn to_json(&self) -> Value {
        let mut claims = Map::new();
        claims.insert("aud".into(), Value::from(self.audiences.clone()));
        claims.insert("exp".into(), Value::from(self.expires));
        claims.insert("iat".into(), Value::from(self.issued_at));
        claims.insert("iss".into(), Value::from(self.issuer.as_str()));
        claims.insert("jti".into(), Value::from(self.id.as_str()));
        if let Some(identity) = &self.identity {
            claims.insert("kubernetes.io".into(), kubernetes_claim(identity));
        }
        claims.insert("nbf".into(), Value::from(self.not_before));
        claims.insert("sub".into(), Value::from(self.subject.as_str()));
        Value::Object(claims)
    }
}

fn name_uid(object: &ObjectRef) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), Value::from(object.name.as_str()));
    out.insert("uid".into(), Value::from(object.uid.as_str()));
    Value::Object(out)
}

/// The `kubernetes.io` claim of a projected token.
fn kubernetes_claim(identity: &ServiceAccountIdentity) -> Value {
    let mut k8s = Map::new();
    k8s.insert("namespace".into(), Value::from(identity.namespace.as_str()));
    if let Some(node) = &identity.node {
        k8s.insert("node".into(), name_uid(node));
    }
    if let Some(pod) = &identity.pod {
        k8s.insert("pod".into(), name_uid(pod));
    }
    if let Some(secret) = &identity.secret {
        k8s.insert("secret".into(), name_uid(secret));
    }
    k8s.insert("serviceaccount".into(), name_uid(&identity.service_account));
    if let Some(warn_after) = identity.warn_after {
        k8s.insert("warnafter".into(), Value::from(warn_after));
    }
    Value::Object(k8s)
}

/// The claims of a legacy, secret-based token (`iss: kubernetes/serviceaccount`, four flat
/// claims, no expiry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyClaims {
    /// The service account and the Secret that holds the token.
    pub identity: ServiceAccountIdentity,
}

impl LegacyClaims {
    /// Claims of a legacy token for a service account and the Secret that held it.
    pub fn new(namespace: &str, service_account: ObjectRef, secret_name: &str) -> LegacyClaims {
        LegacyClaims {
            identity: ServiceAccountIdentity {
                namespace: namespace.to_string(),
                service_account,
                secret: Some(ObjectRef {
                    name: secret_name.to_string(),
                    uid: String::new(),
                }),
                legacy: true,
                ..ServiceAccountIdentity::default()
            },
        }
    }

    /// The `sub` of the token.
    pub fn subject(&self) -> String {
        format!(
            "system:serviceaccount:{}:{}",
            self.identity.namespace, self.identity.service_account.name
        )
    }

    /// The claims as JSON, as kube-apiserver wrote them.
    pub fn to_json(&self) -> Value {
        let id = &self.identity;
        let secret = id
            .secret
            .as_ref()
            .map(|s| s.name.as_str())
            .unwrap_or_default();
        let mut claims = Map::new();
        claims.insert("iss".into(), Value::from(LEGACY_ISSUER));
        claims.insert(legacy::NAMESPACE.into(), Value::from(id.namespace.as_str()));
        claims.insert(legacy::SECRET_NAME.into(), Value::from(secret));
        claims.insert(
            legacy::SERVICE_ACCOUNT_NAME.into(),
            Value::from(id.service_account.name.as_str()),
        );
        claims.insert(
            legacy::SERVICE_ACCOUNT_UID.into(),
            Value::from(id.service_account.uid.as_str()),
        );
        claims.insert("sub".into(), Value::from(self.subject()));
        Value::Object(claims)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::{Claims, Curve, KeySet, KeySpec, SigningKey, VerifyOptions, generate};

    fn name() -> impl Strategy<Value = String> {
        "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?"
    }

    fn object() -> impl Strategy<Value = ObjectRef> {
        (name(), "[0-9a-f-]{1,36}").prop_map(|(name, uid)| ObjectRef { name, uid })
    }

    fn signed(json: &Value) -> Claims {
        let key = generate(KeySpec::Ec(Curve::P256)).expect("key");
        let signer = SigningKey::new(&key, None, None).expect("signer");
        let token = signer.sign(json.to_string().as_bytes()).expect("sign");
        let keys = KeySet::new([(key.to_public(), None)]).expect("keys");
        keys.verify(&token, &VerifyOptions::default())
            .expect("verifies")
            .claims
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn projected_claims_round_trip(
            ns in name(), sa in object(), pod in proptest::option::of(object()),
            node in proptest::option::of(object()), aud in proptest::collection::vec(name(), 1..3),
            iat in 0i64..4_000_000_000, ttl in 1i64..1_000_000, jti in "[0-9a-f-]{1,36}",
        ) {
            let identity = ServiceAccountIdentity {
                namespace: ns.clone(),
                service_account: sa.clone(),
                pod,
                node,
                ..ServiceAccountIdentity::default()
            };
            let subject = format!("system:serviceaccount:{ns}:{}", sa.name);
            let minted = ProjectedClaims::new("https://issuer.example", &subject, &aud, iat, iat, ttl, &jti, Some(identity.clone())).expect("claims");
            let read = signed(&minted.to_json());
            prop_assert_eq!(read.service_account(), Some(identity));
            prop_assert_eq!(read.sub(), Some(subject.as_str()));
            prop_assert_eq!(read.iss(), Some("https://issuer.example"));
            prop_assert_eq!(read.jti(), Some(jti.as_str()));
            prop_assert_eq!((read.iat, read.nbf, read.exp), (Some(iat), Some(iat), Some(iat + ttl)));
        }

        #[test]
        fn legacy_claims_round_trip(ns in name(), sa in object(), secret in name()) {
            let minted = LegacyClaims::new(&ns, sa.clone(), &secret);
            let read = signed(&minted.to_json());
            let identity = read.service_account().expect("identity");
            prop_assert!(identity.legacy);
            prop_assert_eq!(identity.namespace, ns);
            prop_assert_eq!(identity.service_account, sa);
            prop_assert_eq!(identity.secret.map(|s| s.name), Some(secret));
            prop_assert_eq!(read.iss(), Some(LEGACY_ISSUER));
        }
    }

    #[test]
    fn dates_are_checked_as_verifiers_read_them() {
        let new =
            |iat, nbf, ttl| ProjectedClaims::new("https://i", "s", &[], iat, nbf, ttl, "j", None);
        assert_eq!(
            new(-1, 0, 60),
            Err(MintError::DateOutOfRange {
                value: -1,
                claim: "iat"
            })
        );
        assert_eq!(new(0, 0, 0), Err(MintError::NotPositiveTtl));
        assert_eq!(new(LAST_DATE, LAST_DATE, 1), Err(MintError::ExpiresTooLate));
        assert_eq!(new(0, 60, 60), Err(MintError::ValidNever { expires: 60 }));
        assert!(new(0, 0, 60).is_ok());
        assert_eq!(
            ProjectedClaims::new("", "s", &[], 0, 0, 60, "j", None),
            Err(MintError::EmptyIssuer)
        );
    }
}
