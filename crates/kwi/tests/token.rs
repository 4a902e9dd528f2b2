//! `kwi token verify` leeways and times, with reproducible tokens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Workdir, conformance};

const IAT: i64 = 1_800_000_000;

fn minted(w: &Workdir) {
    let key = conformance("rsa-private-pkcs1.pem");
    w.write(
        "pub.pem",
        std::fs::read(conformance("rsa-public.pem")).unwrap(),
    );
    w.run(&[
        "token",
        "mint",
        "--key",
        key.to_str().unwrap(),
        "--issuer",
        "https://i.example.com",
        "--namespace",
        "default",
        "--service-account",
        "app",
        "--aud",
        "vault",
        "--ttl",
        "10m",
        "--issued-at",
        &IAT.to_string(),
        "--jti",
        "j",
        "--sa-uid",
        "u",
        "-o",
        "t.jwt",
    ])
    .ok();
}

fn verify(w: &Workdir, at: i64, extra: &[&str]) -> i32 {
    let at = at.to_string();
    let mut args = vec![
        "token", "verify", "t.jwt", "--key", "pub.pem", "--aud", "vault", "--at", &at,
    ];
    args.extend_from_slice(extra);
    w.run(&args).code
}

#[test]
fn leeways_per_profile_and_override() {
    let w = Workdir::new();
    minted(&w);
    let exp = IAT + 600;
    assert_eq!(verify(&w, exp + 30, &[]), 0, "kube's 60 s leeway");
    assert_eq!(verify(&w, exp + 61, &[]), 1);
    assert_eq!(verify(&w, exp + 30, &["--leeway", "10s"]), 1);
    assert_eq!(
        verify(&w, exp + 1, &["--profile", "sts"]),
        1,
        "STS allows no skew"
    );
    assert_eq!(
        verify(&w, exp + 30, &["--profile", "sts", "--leeway", "1m"]),
        0
    );
    assert_eq!(
        verify(&w, exp + 30, &["--profile", "vault"]),
        0,
        "Vault's default clock skew is 60 s"
    );
    assert_eq!(
        verify(&w, exp + 1, &["--profile", "vault", "--leeway", "-1"]),
        1
    );
    assert_eq!(verify(&w, IAT - 120, &[]), 1, "not yet valid");
    w.run(&[
        "token", "verify", "t.jwt", "--key", "pub.pem", "--leeway", "soon",
    ])
    .usage_error(&["--leeway"]);
}

#[test]
fn mint_is_reproducible_and_private() {
    let w = Workdir::new();
    minted(&w);
    let first = w.read("t.jwt");
    minted(&w);
    assert_eq!(first, w.read("t.jwt"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(w.path("t.jwt"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
}

#[test]
fn a_missing_token_file_is_named_as_such() {
    let w = Workdir::new();
    for command in ["inspect", "verify"] {
        let mut args = vec!["token", command, "nonexistent.jwt"];
        if command == "verify" {
            args.extend(["--key", "k.pub"]);
        }
        w.run(&args)
            .usage_error(&["nonexistent.jwt: no such file, and not a token"]);
    }
}
