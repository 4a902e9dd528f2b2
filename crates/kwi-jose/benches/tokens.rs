//! Token verification and minting against the raw signature primitive, in one run.
//!
//! `cargo bench -p kwi-jose --bench tokens` gives criterion's absolute times; the ratios that
//! DESIGN.md sets targets for come from `cargo bench -p kwi-jose --bench ratios`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kwi_jose::{Curve, KeySpec, SigningKey, generate, kubernetes_kid};
mod common;
use common::{RawSigner, claims, signing_input};

fn verify(c: &mut Criterion) {
    for (label, spec) in [
        ("RS256-2048", KeySpec::Rsa { bits: 2048 }),
        ("ES256", KeySpec::Ec(Curve::P256)),
    ] {
        let case = common::case(&generate(spec).unwrap());
        eprintln!("{label}: token of {} bytes", case.token.len());
        let mut group = c.benchmark_group(format!("verify/{label}"));
        group.bench_function("raw aws-lc-rs", |b| b.iter(|| case.verify_raw()));
        group.bench_function("kwi", |b| b.iter(|| case.verify_kwi()));
        group.bench_function("jsonwebtoken", |b| b.iter(|| case.verify_jsonwebtoken()));
        group.finish();
    }
}

fn mint(c: &mut Criterion) {
    let claims = claims();
    for (label, spec) in [
        ("RS256-2048", KeySpec::Rsa { bits: 2048 }),
        ("ES256", KeySpec::Ec(Curve::P256)),
    ] {
        let key = generate(spec).unwrap();
        let signer = SigningKey::new(&key, None, Some(kubernetes_kid(&key).unwrap())).unwrap();
        let input = signing_input(&signer);
        let raw = RawSigner::new(&key);
        let mut group = c.benchmark_group(format!("mint/{label}"));
        group.bench_function("raw aws-lc-rs", |b| b.iter(|| raw.sign(input.as_bytes())));
        group.bench_function("kwi", |b| {
            b.iter(|| signer.sign(black_box(&claims)).unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, verify, mint);
criterion_main!(benches);
