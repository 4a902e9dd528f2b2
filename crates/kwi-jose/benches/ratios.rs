//! Paired ratios: kwi against the raw primitive and against jsonwebtoken, measured in
//! alternating batches so that a noisy machine slows both sides alike.
//!
//! `cargo bench -p kwi-jose --bench ratios` prints the table recorded in bench/RESULTS.md and
//! exits non-zero when a DESIGN.md target is missed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use kwi_jose::{Curve, Key, KeySpec, PublicKey, SigningKey, generate, kubernetes_kid};
mod common;
use common::{RawSigner, claims, signing_input};

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

fn verify_row(rounds: usize, label: &str, key: &Key) -> bool {
    let case = common::case(key);
    let mut raw_fn = || case.verify_raw();
    let mut kwi_fn = || case.verify_kwi();
    let mut jwt_fn = || case.verify_jsonwebtoken();
    let (raw_ns, rest) = paired(rounds, 200, &mut raw_fn, &mut [&mut kwi_fn, &mut jwt_fn]);
    // raw / jsonwebtoken: what kwi / jsonwebtoken would be if kwi's own work cost nothing.
    let ((kwi_ns, kwi_vs_raw), (jwt_ns, jwt_vs_raw)) = (rest[0], rest[1]);
    let ceiling = 1.0 / jwt_vs_raw;
    // kwi vs jsonwebtoken, paired on their own.
    let (kwi_ns2, rest2) = paired(rounds, 200, &mut kwi_fn, &mut [&mut jwt_fn]);
    let kwi_vs_jwt = 1.0 / rest2[0].1;
    let ok = kwi_vs_raw >= 0.90 && kwi_vs_jwt >= 1.2;
    println!(
        "| verify {label} ({} B token) | {:>9.0}/s | {:>9.0}/s | {:>9.0}/s | {kwi_vs_raw:.3} (≥ 0.90) | {kwi_vs_jwt:.2} (≥ 1.2) | {ceiling:.2} | {} |",
        case.token.len(),
        1e9 / raw_ns,
        1e9 / ((kwi_ns + kwi_ns2) / 2.0),
        1e9 / jwt_ns,
        if ok { "met" } else { "MISSED" }
    );
    ok
}

fn mint_row(rounds: usize, label: &str, key: &Key) {
    let claims = claims();
    let signer = SigningKey::new(key, None, Some(kubernetes_kid(key).unwrap())).unwrap();
    let input = signing_input(&signer);
    let raw = RawSigner::new(key);
    let mut raw_fn = || raw.sign(input.as_bytes());
    let mut kwi_fn = || {
        black_box(signer.sign(black_box(&claims)).unwrap());
    };
    // RSA signs a thousand times slower: smaller batches.
    let batch = if matches!(key.public(), PublicKey::Rsa { .. }) {
        20
    } else {
        200
    };
    let (raw_ns, rest) = paired(rounds, batch, &mut raw_fn, &mut [&mut kwi_fn]);
    println!(
        "| mint {label} | {:>9.0}/s | {:>9.0}/s | | {:.3} | | | |",
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
    let ec = generate(KeySpec::Ec(Curve::P256)).unwrap();
    println!(
        "| what | raw aws-lc-rs | kwi | jsonwebtoken | kwi / raw | kwi / jsonwebtoken | raw / jsonwebtoken | target |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut ok = verify_row(rounds, "RS256-2048", &rsa);
    ok &= verify_row(rounds, "ES256", &ec);
    mint_row(rounds, "RS256-2048", &rsa);
    mint_row(rounds, "ES256", &ec);
    if bench && !ok {
        eprintln!("a DESIGN.md target was missed");
        std::process::exit(1);
    }
}
