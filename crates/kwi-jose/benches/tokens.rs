//! Token verification and minting against the raw signature primitive, in one run.
//!
//! `cargo bench -p kwi-jose --bench tokens`, then `python3 bench/ratios.py` prints the ratios
//! that DESIGN.md sets targets for.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, ParsedPublicKey};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::DecodingKey;
use kwi_jose::{
    Curve, Key, KeySpec, PublicKey, SigningKey, base64url, generate, kubernetes_kid,
    pkcs1_private_der, pkcs1_public_der, sec1_der,
};
mod common;
use common::{NOW, claims, rules, validation};

fn bench_key(
    c: &mut Criterion,
    label: &str,
    key: &Key,
    raw: ParsedPublicKey,
    jwt_key: DecodingKey,
    jwt_alg: jsonwebtoken::Algorithm,
) {
    let common::Case {
        token,
        input,
        sig,
        keys,
        options,
    } = common::case(key);
    let rules = rules();
    let validation = validation(jwt_alg);
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
