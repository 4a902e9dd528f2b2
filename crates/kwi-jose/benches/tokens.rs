//! Token verification and minting against the raw signature primitive, in one run.
//!
//! `cargo bench -p kwi-jose --bench tokens`, then `python3 bench/ratios.py` prints the ratios
//! that DESIGN.md sets targets for.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, ParsedPublicKey};
use base64ct::{Base64UrlUnpadded, Encoding};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{DecodingKey, Validation};
use kwi_jose::{
    Curve, KUBERNETES_ALGORITHMS, Key, KeySet, KeySpec, KubernetesRules, PublicKey, SigningKey,
    VerifyOptions, base64url, generate, kubernetes_kid, pkcs1_private_der, pkcs1_public_der,
    sec1_der,
};
use serde_json::json;

const NOW: i64 = 1_800_000_000;

/// A token shaped like a pod's projected token: about 1.2 KB with an RSA-2048 signature.
fn claims() -> Vec<u8> {
    json!({
        "aud": ["https://kubernetes.default.svc.cluster.local", "sts.amazonaws.com"],
        "exp": NOW + 3600,
        "iat": NOW,
        "iss": "https://oidc.prod-eu-west-1.platform.example.com/clusters/payments-prod-7",
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

fn rules() -> KubernetesRules {
    KubernetesRules {
        issuers: Some(vec![
            "https://oidc.prod-eu-west-1.platform.example.com/clusters/payments-prod-7".into(),
        ]),
        audiences: Some(vec!["sts.amazonaws.com".into()]),
        allow_legacy: false,
    }
}

fn jwt_validation(alg: jsonwebtoken::Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.set_audience(&["sts.amazonaws.com"]);
    v.set_issuer(&["https://oidc.prod-eu-west-1.platform.example.com/clusters/payments-prod-7"]);
    v.validate_exp = false; // the fixed NOW is in the future of the bench machine's clock anyway
    v.validate_nbf = false;
    v
}

fn bench_key(
    c: &mut Criterion,
    label: &str,
    key: &Key,
    raw: ParsedPublicKey,
    jwt_key: DecodingKey,
    jwt_alg: jsonwebtoken::Algorithm,
) {
    let signer = SigningKey::new(key, None, Some(kubernetes_kid(key).unwrap())).unwrap();
    let token = signer.sign(&claims()).unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = Base64UrlUnpadded::decode_vec(sig).unwrap();
    let keys = KeySet::with_kubernetes_kids(&[key.to_public()]).unwrap();
    let options = VerifyOptions {
        algorithms: KUBERNETES_ALGORITHMS.to_vec(),
        ..VerifyOptions::default()
    };
    let rules = rules();
    let validation = jwt_validation(jwt_alg);
    eprintln!("{label}: token of {} bytes", token.len());

    let mut group = c.benchmark_group(format!("verify/{label}"));
    group.bench_function("raw aws-lc-rs", |b| {
        b.iter(|| {
            raw.verify_sig(black_box(input.as_bytes()), black_box(&sig))
                .unwrap()
        })
    });
    group.bench_function("kwi", |b| {
        b.iter(|| {
            let verified = keys.verify(black_box(&token), &options).unwrap();
            rules.validate(&verified.claims, NOW).unwrap();
        })
    });
    group.bench_function("jsonwebtoken", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &jwt_key, &validation)
                .unwrap()
        })
    });
    group.finish();
}

fn verify(c: &mut Criterion) {
    let rsa = generate(KeySpec::Rsa { bits: 2048 }).unwrap();
    let PublicKey::Rsa { n, e } = rsa.public().clone() else {
        unreachable!()
    };
    let raw = ParsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        pkcs1_public_der(&rsa).unwrap(),
    )
    .unwrap();
    let jwt_key = DecodingKey::from_rsa_components(&base64url(&n), &base64url(&e)).unwrap();
    bench_key(
        c,
        "RS256-2048",
        &rsa,
        raw,
        jwt_key,
        jsonwebtoken::Algorithm::RS256,
    );

    let ec = generate(KeySpec::Ec(Curve::P256)).unwrap();
    let PublicKey::Ec { point, .. } = ec.public().clone() else {
        unreachable!()
    };
    let raw = ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point).unwrap();
    let (x, y) = ec.public().ec_coordinates().unwrap();
    let jwt_key = DecodingKey::from_ec_components(&base64url(x), &base64url(y)).unwrap();
    bench_key(
        c,
        "ES256",
        &ec,
        raw,
        jwt_key,
        jsonwebtoken::Algorithm::ES256,
    );
}

fn mint(c: &mut Criterion) {
    let rng = SystemRandom::new();
    let claims = claims();
    for (label, key) in [
        ("RS256-2048", generate(KeySpec::Rsa { bits: 2048 }).unwrap()),
        ("ES256", generate(KeySpec::Ec(Curve::P256)).unwrap()),
    ] {
        let signer = SigningKey::new(&key, None, Some(kubernetes_kid(&key).unwrap())).unwrap();
        let input = signer
            .sign(&claims)
            .unwrap()
            .rsplit_once('.')
            .unwrap()
            .0
            .to_string();
        let mut group = c.benchmark_group(format!("mint/{label}"));
        match key.public() {
            PublicKey::Rsa { .. } => {
                let pair =
                    aws_lc_rs::rsa::KeyPair::from_der(&pkcs1_private_der(&key).unwrap()).unwrap();
                let mut sig = vec![0u8; pair.public_modulus_len()];
                group.bench_function("raw aws-lc-rs", |b| {
                    b.iter(|| {
                        pair.sign(
                            &signature::RSA_PKCS1_SHA256,
                            &rng,
                            black_box(input.as_bytes()),
                            &mut sig,
                        )
                        .unwrap()
                    })
                });
            }
            _ => {
                let pair = EcdsaKeyPair::from_private_key_der(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &sec1_der(&key).unwrap(),
                )
                .unwrap();
                group.bench_function("raw aws-lc-rs", |b| {
                    b.iter(|| pair.sign(&rng, black_box(input.as_bytes())).unwrap())
                });
            }
        }
        group.bench_function("kwi", |b| {
            b.iter(|| signer.sign(black_box(&claims)).unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, verify, mint);
criterion_main!(benches);
