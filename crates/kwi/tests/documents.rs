//! `kwi jwks`, `kwi discovery` and `kwi issuer build` against kube-apiserver's own output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Workdir, conformance};

fn c(name: &str) -> String {
    conformance(name).to_str().unwrap().to_string()
}

#[test]
fn jwks_is_byte_identical_to_kube_apiserver() {
    let w = Workdir::new();
    let golden = std::fs::read(conformance("jwks.golden.json")).unwrap();
    let run = w
        .run(&["jwks", &c("rsa-public.pem"), &c("ec-p256-public.pem")])
        .ok();
    assert_eq!(run.stdout, golden);
    // Private keys contribute their public half.
    let run = w
        .run(&[
            "jwks",
            &c("rsa-private-pkcs1.pem"),
            &c("ec-p256-private-sec1.pem"),
        ])
        .ok();
    assert_eq!(run.stdout, golden);
    // A key given twice (private and public file) appears once.
    let run = w
        .run(&[
            "jwks",
            &c("rsa-private-pkcs1.pem"),
            &c("rsa-public.pem"),
            &c("ec-p256-public.pem"),
        ])
        .ok();
    assert_eq!(run.stdout, golden);
    // -o writes the same bytes.
    w.run(&[
        "jwks",
        &c("rsa-public.pem"),
        &c("ec-p256-public.pem"),
        "-o",
        "keys.json",
    ])
    .ok();
    assert_eq!(w.read("keys.json"), golden);
}

#[test]
fn discovery_is_byte_identical_to_kube_apiserver() {
    let w = Workdir::new();
    let golden = std::fs::read(conformance("discovery.golden.json")).unwrap();
    for keys in [
        ["rsa-public.pem", "ec-p256-public.pem"],
        ["ec-p256-private-sec1.pem", "rsa-private-pkcs1.pem"],
    ] {
        let run = w
            .run(&[
                "discovery",
                "--issuer",
                "https://issuer.example.com",
                "--key",
                &c(keys[0]),
                "--key",
                &c(keys[1]),
            ])
            .ok();
        assert_eq!(run.stdout, golden);
    }
}

#[test]
fn legacy_empty_kid_repeats_the_key_like_the_eks_guide() {
    let w = Workdir::new();
    let out = w
        .run(&["jwks", &c("rsa-public.pem"), "--legacy-empty-kid"])
        .ok()
        .stdout_text();
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keys = value["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        keys[0]["kid"],
        "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU"
    );
    assert_eq!(keys[1]["kid"], "");
    let mut first = keys[0].clone();
    first["kid"] = "".into();
    assert_eq!(first, keys[1]);
}

#[test]
fn the_ec_parameters_file_is_accepted() {
    let w = Workdir::new();
    let out = w
        .run(&["jwks", &c("ec-p256-private-sec1-with-params.pem")])
        .ok()
        .stdout_text();
    assert!(out.contains(r#""crv":"P-256","alg":"ES256""#), "{out}");
}

#[test]
fn discovery_eks_style_and_its_golden_file() {
    let w = Workdir::new();
    let out = w
        .run(&[
            "discovery",
            "--issuer",
            "https://oidc-test.s3.us-west-2.amazonaws.com",
            "--style",
            "eks",
        ])
        .ok()
        .stdout_text();
    insta::assert_snapshot!("discovery_eks", out);
    let out = w
        .run(&[
            "discovery",
            "--issuer",
            "https://issuer.example.com/a&b",
            "--key",
            &c("ec-p256-public.pem"),
        ])
        .ok()
        .stdout_text();
    // Go's encoding/json escapes & < > in strings; kube-apiserver's document does too.
    assert!(
        out.contains(r#""issuer":"https://issuer.example.com/a\u0026b""#),
        "{out}"
    );
}

#[test]
fn issuer_urls_are_checked_with_kube_apiservers_rules() {
    let w = Workdir::new();
    for (issuer, words) in [
        ("http://issuer.example.com", &["https"][..]),
        ("https://issuer.example.com?x=1", &["query"]),
        ("https://issuer.example.com#top", &["fragment"]),
        ("", &["empty"]),
        ("issuer.example.com", &["https://"]),
    ] {
        w.run(&["discovery", "--issuer", issuer]).usage_error(words);
        w.run(&[
            "issuer",
            "build",
            "--issuer",
            issuer,
            "--key",
            &c("rsa-public.pem"),
            "--out",
            "site",
        ])
        .usage_error(words);
    }
    w.run(&[
        "discovery",
        "--issuer",
        "https://i.example.com",
        "--jwks-uri",
        "http://i.example.com/k",
    ])
    .usage_error(&["jwks_uri", "https"]);
}

#[test]
fn issuer_build_writes_the_two_documents() {
    let w = Workdir::new();
    let run = w
        .run(&[
            "issuer",
            "build",
            "--issuer",
            "https://issuer.example.com",
            "--key",
            &c("rsa-public.pem"),
            "--key",
            &c("ec-p256-public.pem"),
            "--out",
            "site",
        ])
        .ok();
    assert_eq!(
        w.read("site/.well-known/openid-configuration"),
        std::fs::read(conformance("discovery.golden.json")).unwrap()
    );
    assert_eq!(
        w.read("site/openid/v1/jwks"),
        std::fs::read(conformance("jwks.golden.json")).unwrap()
    );
    assert!(
        run.stderr
            .contains("https://issuer.example.com/.well-known/openid-configuration"),
        "{}",
        run.stderr
    );

    // The EKS guide's layout: keys.json under an issuer with a path.
    w.run(&[
        "issuer",
        "build",
        "--issuer",
        "https://b.s3.amazonaws.com/cluster-1",
        "--key",
        &c("rsa-public.pem"),
        "--style",
        "eks",
        "--out",
        "eks",
    ])
    .ok();
    let discovery: serde_json::Value =
        serde_json::from_slice(&w.read("eks/.well-known/openid-configuration")).unwrap();
    assert_eq!(
        discovery["jwks_uri"],
        "https://b.s3.amazonaws.com/cluster-1/keys.json"
    );
    assert!(w.path("eks/keys.json").exists());

    // A JWKS elsewhere only when asked for explicitly, and never outside the folder.
    w.run(&[
        "issuer",
        "build",
        "--issuer",
        "https://i.example.com",
        "--key",
        &c("rsa-public.pem"),
        "--jwks-path",
        "../escape",
        "--out",
        "x",
    ])
    .usage_error(&["'..'"]);
    let run = w
        .run(&[
            "issuer",
            "build",
            "--issuer",
            "https://i.example.com/c1",
            "--key",
            &c("rsa-public.pem"),
            "--jwks-uri",
            "https://cdn.example.com/jwks.json",
            "--out",
            "y",
        ])
        .ok();
    assert!(
        run.stderr.contains("https://cdn.example.com/jwks.json"),
        "{}",
        run.stderr
    );
    assert!(w.path("y/jwks.json").exists());
}

#[test]
fn piped_output_has_no_trailing_newline() {
    // Regression guard: `kwi jwks … > keys.json` must stay byte-identical to kube-apiserver's.
    let w = Workdir::new();
    let out = w.run(&["jwks", &c("rsa-public.pem")]).ok().stdout;
    assert_eq!(out.last(), Some(&b'}'));
}
