//! The token both benchmarks measure, and the rules it is checked against.
#![allow(clippy::unwrap_used, dead_code)]

use jsonwebtoken::Validation;
use kwi_jose::KubernetesRules;
use serde_json::json;

/// The fixed "now" of every check.
pub const NOW: i64 = 1_800_000_000;
/// The issuer of the token.
pub const ISSUER: &str =
    "https://oidc.prod-eu-west-1.platform.example.com/clusters/payments-prod-7";

/// A pod's projected token: about 1.2 KB of claims, 1.36 KB signed with RSA-2048.
pub fn claims() -> Vec<u8> {
    json!({
        "aud": ["https://kubernetes.default.svc.cluster.local", "sts.amazonaws.com"],
        "exp": NOW + 3600,
        "iat": NOW,
        "iss": ISSUER,
        "jti": "6e2e7c36-6f5a-4a4e-9a3c-1d1b2c3d4e5f",
        "kubernetes.io": {
            "namespace": "payments-settlement",
            "node": {"name": "ip-10-42-17-203.eu-west-1.compute.internal", "uid": "8f3c2a9e-5b1d-4c7f-9e2a-1b3c5d7e9f01"},
            "pod": {"name": "settlement-worker-7d9f8b6c5d-x2k4p", "uid": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"},
            "serviceaccount": {"name": "settlement-worker", "uid": "0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f"},
            "warnafter": NOW + 3000
        },
        "nbf": NOW,
        "sub": "system:serviceaccount:payments-settlement:settlement-worker"
    })
    .to_string()
    .into_bytes()
}

/// kube-apiserver's rules for that token.
pub fn rules() -> KubernetesRules {
    KubernetesRules {
        issuers: Some(vec![ISSUER.into()]),
        audiences: Some(vec!["sts.amazonaws.com".into()]),
        allow_legacy: false,
    }
}

/// jsonwebtoken's equivalent checks (times off: the fixed NOW is in the future).
pub fn validation(alg: jsonwebtoken::Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.set_audience(&["sts.amazonaws.com"]);
    v.set_issuer(&[ISSUER]);
    v.validate_exp = false;
    v.validate_nbf = false;
    v
}

/// A signed token and everything the three verifiers need for it.
pub struct Case {
    /// The token.
    pub token: String,
    /// Its signing input (header.claims).
    pub input: String,
    /// Its decoded signature.
    pub sig: Vec<u8>,
    /// kwi's key set with the public key.
    pub keys: kwi_jose::KeySet,
    /// kube-apiserver's algorithm list.
    pub options: kwi_jose::VerifyOptions,
}

/// Signs the fixture's claims with `key` under its Kubernetes kid.
pub fn case(key: &kwi_jose::Key) -> Case {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let kid = kwi_jose::kubernetes_kid(key).unwrap();
    let token = kwi_jose::SigningKey::new(key, None, Some(kid))
        .unwrap()
        .sign(&claims())
        .unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    Case {
        input: input.to_string(),
        sig: Base64UrlUnpadded::decode_vec(sig).unwrap(),
        keys: kwi_jose::KeySet::with_kubernetes_kids(&[key.to_public()]).unwrap(),
        options: kwi_jose::VerifyOptions {
            algorithms: kwi_jose::KUBERNETES_ALGORITHMS.to_vec(),
            ..kwi_jose::VerifyOptions::default()
        },
        token,
    }
}
