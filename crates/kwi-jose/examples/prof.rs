#![allow(clippy::unwrap_used, missing_docs)]
#[path = "../benches/common/mod.rs"]
mod common;
use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64ct::Encoding;
use std::hint::black_box;
fn main() {
    let which = std::env::args().nth(1).unwrap();
    let n: usize = std::env::args().nth(2).unwrap().parse().unwrap();
    let rsa = kwi_jose::parse_keys(
        &std::fs::read("/work/shared/conformance/kubernetes/rsa-private-pkcs1.pem").unwrap(),
    )
    .unwrap()
    .remove(0);
    let c = common::case(&rsa);
    let rules = common::rules();
    let raw = ParsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        kwi_jose::pkcs1_public_der(&rsa).unwrap(),
    )
    .unwrap();
    if which == "time" {
        for _ in 0..5 {
            let t = std::time::Instant::now();
            for _ in 0..n {
                raw.verify_sig(black_box(c.input.as_bytes()), black_box(&c.sig))
                    .unwrap();
            }
            let r = t.elapsed().as_nanos() as f64 / n as f64;
            let t = std::time::Instant::now();
            for _ in 0..n {
                let v = c.keys.verify(black_box(&c.token), &c.options).unwrap();
                rules.validate(&v.claims, common::NOW).unwrap();
            }
            let k = t.elapsed().as_nanos() as f64 / n as f64;
            let t = std::time::Instant::now();
            let hdr = base64ct::Base64UrlUnpadded::decode_vec(c.input.split('.').next().unwrap())
                .unwrap();
            let cl = base64ct::Base64UrlUnpadded::decode_vec(c.input.split('.').nth(1).unwrap())
                .unwrap();
            for _ in 0..n {
                black_box(kwi_jose::Header::parse(black_box(&hdr)).unwrap());
                let v = kwi_jose::Claims::parse(black_box(&cl)).unwrap();
                rules.validate(&v, common::NOW).unwrap();
            }
            let p = t.elapsed().as_nanos() as f64 / n as f64;
            println!(
                "raw {r:.0} ns kwi {k:.0} ns ratio {:.3}  (b64-claims-parse-ish {p:.0})",
                r / k
            );
        }
        return;
    }
    for _ in 0..n {
        if which == "raw" {
            raw.verify_sig(black_box(c.input.as_bytes()), black_box(&c.sig))
                .unwrap();
        } else {
            let v = c.keys.verify(black_box(&c.token), &c.options).unwrap();
            rules.validate(&v.claims, common::NOW).unwrap();
        }
    }
}
#[allow(dead_code)]
fn unused() {}
