//! `kwi apiserver-flags`: the flags of the EKS guide, in three forms, and the traps it warns about.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Workdir, conformance};

fn setup() -> Workdir {
    let w = Workdir::new();
    w.write(
        "sa.key",
        std::fs::read(conformance("rsa-private-pkcs1.pem")).unwrap(),
    );
    w.write(
        "sa.pub",
        std::fs::read(conformance("rsa-public.pem")).unwrap(),
    );
    w.write(
        "old.pub",
        std::fs::read(conformance("ec-p256-public.pem")).unwrap(),
    );
    w
}

const BASE: [&str; 7] = [
    "apiserver-flags",
    "--issuer",
    "https://oidc.example.com",
    "--signing-key",
    "sa.key",
    "--key",
    "sa.pub",
];

#[test]
fn the_three_output_forms() {
    let w = setup();
    for format in ["flags", "kubeadm", "k3s"] {
        let mut args = BASE.to_vec();
        args.extend([
            "--key",
            "old.pub",
            "--audience",
            "https://oidc.example.com",
            "--format",
            format,
        ]);
        let out = w.run(&args).ok().stdout_text();
        insta::assert_snapshot!(format!("apiserver_flags_{format}"), out);
    }
}

#[test]
fn a_sound_setup_has_no_warnings_but_paths() {
    let w = setup();
    let mut args = BASE.to_vec();
    args.extend(["--key", "old.pub"]);
    let run = w.run(&args).ok();
    let warnings: Vec<_> = run
        .stderr
        .lines()
        .filter(|l| !l.contains("relative path"))
        .collect();
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn warns_about_pkcs1_public_keys() {
    let w = setup();
    w.run(&[
        "keys",
        "convert",
        "sa.key",
        "--to",
        "pkcs1",
        "--public",
        "-o",
        "sa-pkcs1.pub",
    ])
    .ok();
    let run = w.run(&[
        "apiserver-flags",
        "--issuer",
        "https://oidc.example.com",
        "--signing-key",
        "sa.key",
        "--key",
        "sa-pkcs1.pub",
    ]);
    // The only --key is one kube-apiserver ignores: its tokens would fail, exit 1.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("sa-pkcs1.pub: PKCS#1 \"RSA PUBLIC KEY\": kube-apiserver reads only SPKI"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("kwi keys convert sa-pkcs1.pub --to spki"),
        "{}",
        run.stderr
    );
    // And so the signing key's public half is missing.
    assert!(
        run.stderr.contains("tokens it signs will be rejected"),
        "{}",
        run.stderr
    );
}

#[test]
fn warns_about_the_sts_audience_replacing_the_default() {
    let w = setup();
    let mut args = BASE.to_vec();
    args.extend(["--audience", "sts.amazonaws.com"]);
    let run = w.run(&args).ok();
    assert!(
        run.stderr.contains("--api-audiences has sts.amazonaws.com"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("replaces the default"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout_text()
            .contains("--api-audiences=sts.amazonaws.com\n")
    );
}

#[test]
fn warns_when_the_signing_key_is_not_verified_and_when_rotation_lacks_the_old_key() {
    let w = setup();
    let run = w.run(&[
        "apiserver-flags",
        "--issuer",
        "https://oidc.example.com",
        "--signing-key",
        "sa.key",
        "--key",
        "old.pub",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("tokens it signs will be rejected"),
        "{}",
        run.stderr
    );
    // The fix it suggests writes beside the signing key, never over it.
    assert!(
        run.stderr
            .contains("kwi keys convert sa.key --to spki --public -o sa.pub)"),
        "{}",
        run.stderr
    );
    let run = w.run(&BASE).ok();
    // Advice is a note, with one prefix.
    assert!(
        run.stderr
            .contains("kwi: note: only the signing key verifies tokens"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("warning: note"), "{}", run.stderr);
    assert!(run.stderr.contains("relative path"), "{}", run.stderr);
}

#[test]
fn a_public_signing_key_is_refused_loudly() {
    let w = setup();
    let run = w.run(&[
        "apiserver-flags",
        "--issuer",
        "https://oidc.example.com",
        "--signing-key",
        "sa.pub",
    ]);
    // A setup that cannot work: exit 1, and no flags to paste.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("needs the private key"),
        "{}",
        run.stderr
    );
    w.run(&[
        "apiserver-flags",
        "--issuer",
        "http://oidc.example.com",
        "--signing-key",
        "sa.key",
    ])
    .usage_error(&["https"]);
}

#[test]
fn a_value_cannot_smuggle_in_another_flag() {
    let w = setup();
    for (audience, words) in [
        (
            "x\n--authorization-mode=AlwaysAllow",
            &["--audience", "control character"][..],
        ),
        ("", &["--audience", "empty"]),
    ] {
        let run = w.run(&[
            "apiserver-flags",
            "--issuer",
            "https://oidc.example.com",
            "--signing-key",
            "sa.key",
            "--audience",
            audience,
        ]);
        assert!(!run.stdout_text().contains("AlwaysAllow"));
        run.usage_error(words);
    }
}
