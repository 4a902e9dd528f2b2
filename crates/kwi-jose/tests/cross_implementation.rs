//! kwi and jsonwebtoken (an independent implementation) agree: each verifies the other's tokens,
//! and both refuse a token signed by the wrong key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jsonwebtoken::{Algorithm as JwtAlg, DecodingKey, EncodingKey, Header, Validation};
use kwi_jose::{
    Algorithm, Key, KeySet, KeySpec, KubernetesRules, PublicKey, SigningKey, VerifyOptions,
    base64url, generate, kubernetes_kid, parse_keys, pkcs1_private_der, pkcs8_der,
};
use serde_json::{Value, json};

fn conformance(name: &str) -> Key {
    let path = format!(
        "{}/../../tests/data/kubernetes/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    parse_keys(&std::fs::read(path).unwrap()).unwrap().remove(0)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The claims every token carries, with times fixed once per test run (a second boundary
/// between two calls made them differ).
fn claims() -> Value {
    static NOW: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let now = *NOW.get_or_init(now);
    json!({
        "aud": ["sts.amazonaws.com"],
        "exp": now + 600,
        "iat": now,
        "iss": "https://issuer.example.com",
        "jti": "0d4b6a51-2f0c-4a55-8f7a-8b9c0d1e2f30",
        "kubernetes.io": {"namespace": "default", "serviceaccount": {"name": "app", "uid": "uid-1"}},
        "nbf": now,
        "sub": "system:serviceaccount:default:app",
    })
}

fn decoding_key(key: &Key) -> DecodingKey {
    match key.public() {
        PublicKey::Rsa { n, e } => {
            DecodingKey::from_rsa_components(&base64url(n), &base64url(e)).unwrap()
        }
        PublicKey::Ec { .. } => {
            let (x, y) = key.public().ec_coordinates().unwrap();
            DecodingKey::from_ec_components(&base64url(x), &base64url(y)).unwrap()
        }
        PublicKey::Ed25519 { x } => DecodingKey::from_ed_components(&base64url(x)).unwrap(),
    }
}

fn validation(alg: JwtAlg) -> Validation {
    let mut v = Validation::new(alg);
    v.set_audience(&["sts.amazonaws.com"]);
    v.set_issuer(&["https://issuer.example.com"]);
    v
}

fn jwt_alg(alg: Algorithm) -> JwtAlg {
    match alg {
        Algorithm::RS256 => JwtAlg::RS256,
        Algorithm::PS256 => JwtAlg::PS256,
        Algorithm::ES256 => JwtAlg::ES256,
        Algorithm::ES384 => JwtAlg::ES384,
        Algorithm::EdDSA => JwtAlg::EdDSA,
        other => panic!("not covered: {other}"),
    }
}

fn keys_under_test() -> Vec<(Key, Algorithm)> {
    vec![
        (conformance("rsa-private-pkcs1.pem"), Algorithm::RS256),
        (conformance("ec-p256-private-sec1.pem"), Algorithm::ES256),
        (
            generate(KeySpec::Rsa { bits: 2048 }).unwrap(),
            Algorithm::RS256,
        ),
        (
            generate(KeySpec::Rsa { bits: 3072 }).unwrap(),
            Algorithm::PS256,
        ),
        (
            generate(KeySpec::Ec(kwi_jose::Curve::P256)).unwrap(),
            Algorithm::ES256,
        ),
        (
            generate(KeySpec::Ec(kwi_jose::Curve::P384)).unwrap(),
            Algorithm::ES384,
        ),
        (generate(KeySpec::Ed25519).unwrap(), Algorithm::EdDSA),
    ]
}

#[test]
fn jsonwebtoken_verifies_kwi_tokens() {
    let wrong = generate(KeySpec::Rsa { bits: 2048 }).unwrap();
    let wrong_ec = generate(KeySpec::Ec(kwi_jose::Curve::P256)).unwrap();
    for (key, alg) in keys_under_test() {
        let signer = SigningKey::new(&key, Some(alg), Some(kubernetes_kid(&key).unwrap())).unwrap();
        let token = signer.sign(claims().to_string().as_bytes()).unwrap();
        let data =
            jsonwebtoken::decode::<Value>(&token, &decoding_key(&key), &validation(jwt_alg(alg)))
                .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(data.claims, claims());
        assert_eq!(
            data.header.kid.as_deref(),
            Some(kubernetes_kid(&key).unwrap().as_str())
        );
        let other = if matches!(key.public(), PublicKey::Rsa { .. }) {
            &wrong
        } else {
            &wrong_ec
        };
        if alg.fits(other.public()) {
            assert!(
                jsonwebtoken::decode::<Value>(
                    &token,
                    &decoding_key(other),
                    &validation(jwt_alg(alg))
                )
                .is_err()
            );
        }
    }
}

#[test]
fn kwi_verifies_jsonwebtoken_tokens() {
    let rules = KubernetesRules {
        issuers: Some(vec!["https://issuer.example.com".into()]),
        audiences: Some(vec!["sts.amazonaws.com".into()]),
        allow_legacy: false,
    };
    for (key, alg) in keys_under_test() {
        let encoding = match key.public() {
            PublicKey::Rsa { .. } => EncodingKey::from_rsa_der(&pkcs1_private_der(&key).unwrap()),
            PublicKey::Ec { .. } => EncodingKey::from_ec_der(&pkcs8_der(&key).unwrap()),
            PublicKey::Ed25519 { .. } => EncodingKey::from_ed_der(&pkcs8_der(&key).unwrap()),
        };
        let mut header = Header::new(jwt_alg(alg));
        header.kid = Some(kubernetes_kid(&key).unwrap());
        let token = jsonwebtoken::encode(&header, &claims(), &encoding).unwrap();

        let keys = KeySet::with_kubernetes_kids(&[key.to_public()]).unwrap();
        let verified = keys
            .verify(&token, &VerifyOptions::default())
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        rules.validate(&verified.claims, now()).unwrap();
        assert_eq!(verified.claims.raw(), claims().as_object().unwrap());

        let wrong = generate(KeySpec::Ec(kwi_jose::Curve::P256)).unwrap();
        let wrong_keys = KeySet::new([(wrong, Some(kubernetes_kid(&key).unwrap()))]).unwrap();
        assert!(
            wrong_keys
                .verify(&token, &VerifyOptions::default())
                .is_err()
        );
    }
}
