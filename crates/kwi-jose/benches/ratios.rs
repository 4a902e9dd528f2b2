//! Paired ratios: kwi against the raw primitive and against jsonwebtoken, measured in
//! alternating batches so that a noisy machine slows both sides alike.
//!
//! `cargo bench -p kwi-jose --bench ratios` prints the table recorded in bench/RESULTS.md and
//! exits non-zero when a DESIGN.md target is missed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, ParsedPublicKey};
use jsonwebtoken::DecodingKey;
use kwi_jose::{
    Curve, Key, KeySpec, PublicKey, SigningKey, base64url, generate, kubernetes_kid,
    pkcs1_private_der, pkcs1_public_der, sec1_der,
};
mod common;
use common::{NOW, claims, rules, validation};

/// Nanoseconds per call of each function, measured in alternating batches; returns the median
/// per-round time of each and the median of the per-round ratios base/other.
fn paired(
    rounds: usize,
    batch: usize,
    base: &mut dyn FnMut(),
    others: &mut [&mut dyn FnMut()],
) -> (f64, Vec<(f64, f64)>) {
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..batch {
            f();
        }
        start.elapsed().as_nanos() as f64 / batch as f64
    };
    for _ in 0..3 {
        time(base);
        for o in others.iter_mut() {
            time(*o);
        }
    }
    let mut base_times = Vec::new();
    let mut other_times = vec![Vec::new(); others.len()];
    let mut ratios = vec![Vec::new(); others.len()];
    for _ in 0..rounds {
        let b = time(base);
        base_times.push(b);
        for (i, o) in others.iter_mut().enumerate() {
            let t = time(*o);
            other_times[i].push(t);
            ratios[i].push(b / t);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let base_median = median(&mut base_times);
    let results = other_times
        .iter_mut()
        .zip(ratios.iter_mut())
        .map(|(t, r)| (median(t), median(r)))
        .collect();
    (base_median, results)
}

fn verify_row(
    rounds: usize,
    label: &str,
    key: &Key,
    raw: ParsedPublicKey,
    jwt_key: DecodingKey,
    alg: jsonwebtoken::Algorithm,
) -> bool {
    let common::Case {
        token,
        input,
        sig,
        keys,
        options,
    } = common::case(key);
    let rules = rules();
    let validation = validation(alg);
    let mut raw_fn = || {
        raw.verify_sig(black_box(input.as_bytes()), black_box(&sig))
            .unwrap()
    };
    let mut kwi_fn = || {
        let verified = keys.verify(black_box(&token), &options).unwrap();
        rules.validate(&verified.claims, NOW).unwrap();
    };
    let mut jwt_fn = || {
        jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &jwt_key, &validation)
            .unwrap();
    };
    let (raw_ns, rest) = paired(rounds, 200, &mut raw_fn, &mut [&mut kwi_fn, &mut jwt_fn]);
    let ((kwi_ns, kwi_vs_raw), (jwt_ns, _)) = (rest[0], rest[1]);
    // kwi vs jsonwebtoken, paired on their own.
    let (kwi_ns2, rest2) = paired(rounds, 200, &mut kwi_fn, &mut [&mut jwt_fn]);
    let kwi_vs_jwt = 1.0 / rest2[0].1;
    let ok = kwi_vs_raw >= 0.90 && kwi_vs_jwt >= 1.2;
    println!(
        "| verify {label} ({} B token) | {:>9.0}/s | {:>9.0}/s | {:>9.0}/s | {kwi_vs_raw:.3} (≥ 0.90) | {kwi_vs_jwt:.2} (≥ 1.2) | {} |",
        token.len(),
        1e9 / raw_ns,
        1e9 / ((kwi_ns + kwi_ns2) / 2.0),
        1e9 / jwt_ns,
        if ok { "met" } else { "MISSED" }
    );
    ok
}

fn mint_row(rounds: usize, label: &str, key: &Key) {
    let rng = SystemRandom::new();
    let claims = claims();
    let signer = SigningKey::new(key, None, Some(kubernetes_kid(key).unwrap())).unwrap();
    let input = signer
        .sign(&claims)
        .unwrap()
        .rsplit_once('.')
        .unwrap()
        .0
        .to_string();
    let mut kwi_fn = || {
        black_box(signer.sign(black_box(&claims)).unwrap());
    };
    let (raw_ns, rest) = match key.public() {
        PublicKey::Rsa { .. } => {
            let pair = aws_lc_rs::rsa::KeyPair::from_der(&pkcs1_private_der(key).unwrap()).unwrap();
            let mut sig = vec![0u8; pair.public_modulus_len()];
            let mut raw_fn = || {
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &rng,
                    black_box(input.as_bytes()),
                    &mut sig,
                )
                .unwrap()
            };
            paired(rounds, 20, &mut raw_fn, &mut [&mut kwi_fn])
        }
        _ => {
            let pair = EcdsaKeyPair::from_private_key_der(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &sec1_der(key).unwrap(),
            )
            .unwrap();
            let mut raw_fn = || {
                black_box(pair.sign(&rng, black_box(input.as_bytes())).unwrap());
            };
            paired(rounds, 200, &mut raw_fn, &mut [&mut kwi_fn])
        }
    };
    println!(
        "| mint {label} | {:>9.0}/s | {:>9.0}/s | | {:.3} | | |",
        1e9 / raw_ns,
        1e9 / rest[0].0,
        rest[0].1
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this once as a smoke test.
    let bench = std::env::args().any(|a| a == "--bench");
    let rounds = if bench { 41 } else { 1 };
    let rsa = generate(KeySpec::Rsa { bits: 2048 }).unwrap();
    let PublicKey::Rsa { n, e } = rsa.public().clone() else {
        unreachable!()
    };
    let ec = generate(KeySpec::Ec(Curve::P256)).unwrap();
    let (x, y) = ec.public().ec_coordinates().unwrap();
    let PublicKey::Ec { point, .. } = ec.public().clone() else {
        unreachable!()
    };

    println!(
        "| what | raw aws-lc-rs | kwi | jsonwebtoken | kwi / raw | kwi / jsonwebtoken | target |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let mut ok = verify_row(
        rounds,
        "RS256-2048",
        &rsa,
        ParsedPublicKey::new(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            pkcs1_public_der(&rsa).unwrap(),
        )
        .unwrap(),
        DecodingKey::from_rsa_components(&base64url(&n), &base64url(&e)).unwrap(),
        jsonwebtoken::Algorithm::RS256,
    );
    ok &= verify_row(
        rounds,
        "ES256",
        &ec,
        ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point).unwrap(),
        DecodingKey::from_ec_components(&base64url(x), &base64url(y)).unwrap(),
        jsonwebtoken::Algorithm::ES256,
    );
    mint_row(rounds, "RS256-2048", &rsa);
    mint_row(rounds, "ES256", &ec);
    if bench && !ok {
        eprintln!("a DESIGN.md target was missed");
        std::process::exit(1);
    }
}
