//! `kwi token verify` leeways and times, with reproducible tokens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Workdir, conformance};

const IAT: i64 = 1_800_000_000;

/// `kwi token mint` of an `app` service-account token for `vault`, signed by the conformance
/// RSA key; the caller adds the times and the output.
fn mint_args(key: &std::path::Path) -> Vec<String> {
    [
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
    ]
    .map(String::from)
    .to_vec()
}

fn minted(w: &Workdir) {
    let key = conformance("rsa-private-pkcs1.pem");
    w.write(
        "pub.pem",
        std::fs::read(conformance("rsa-public.pem")).unwrap(),
    );
    let mut args = mint_args(&key);
    args.extend(
        [
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
        ]
        .map(String::from),
    );
    w.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
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

#[test]
fn mint_refuses_times_no_verifier_reads() {
    let w = Workdir::new();
    let mint = mint_args(&conformance("rsa-private-pkcs1.pem"));
    let base: Vec<&str> = mint.iter().map(String::as_str).collect();
    for (extra, words) in [
        (
            &["--issued-at=-9223372036854775808"][..],
            &["--issued-at", "9999-12-31"][..],
        ),
        (&["--ttl", "3000000000000h"], &["--ttl", "after 9999-12-31"]),
        (&["--ttl", "0"], &["--ttl", "positive"]),
        (
            &["--issued-at", "1800000000", "--not-before", "1900000000"],
            &["--not-before", "before it becomes valid"],
        ),
    ] {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        w.run(&args).usage_error(words);
    }
    // A token minted in the past says it has expired.
    let mut args = base.to_vec();
    args.extend_from_slice(&["--issued-at", "0"]);
    let run = w.run(&args).ok();
    assert!(
        run.stderr.contains("expired 1970-01-01T01:00:00Z ("),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(" ago)"), "{}", run.stderr);
}

#[test]
fn extreme_leeways_and_times_are_answers_not_crashes() {
    let w = Workdir::new();
    minted(&w);
    for extra in [
        &["--profile", "vault", "--leeway", "9223372036854775807"][..],
        &["--profile", "vault", "--at", "9223372036854775807"],
        &["--profile", "kubernetes", "--at=-9223372036854775808"],
    ] {
        let mut args = vec![
            "token", "verify", "t.jwt", "--key", "pub.pem", "--aud", "vault",
        ];
        args.extend_from_slice(extra);
        let run = w.run(&args);
        assert!(
            matches!(run.code, 0 | 1),
            "{extra:?}: {} {}",
            run.code,
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[test]
fn a_token_is_read_from_a_pipe() {
    let w = Workdir::new();
    minted(&w);
    let fifo = w.path("token.fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let token = std::fs::read(w.path("t.jwt")).unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, token).unwrap())
    };
    let run = w
        .run(&["token", "inspect", fifo.to_str().unwrap(), "--json"])
        .ok();
    writer.join().unwrap();
    assert!(
        run.stdout_text()
            .contains("system:serviceaccount:default:app")
    );
}

#[test]
fn token_text_reaches_the_terminal_escaped() {
    // base64url without padding, written out: the test crate has no base64 dependency.
    let b64 = |v: &str| {
        const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in v.as_bytes().chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i) & 63) as usize]));
            }
        }
        out
    };
    let claims = r#"{"sub":"\u001b[2J\u001b[Hvalid: trusted\nforged","iss":"\u009b31m","aud":["x"],"exp":9999999999}"#;
    let token = format!("{}.{}.AAAA", b64(r#"{"alg":"RS256"}"#), b64(claims));
    let w = Workdir::new();
    let run = w.run(&["token", "inspect", &token]).ok();
    let out = run.stdout_text();
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{9b}'),
        "{out:?}"
    );
    assert!(
        out.contains(r"\u{1b}[2J") && out.contains(r"\u{a}forged"),
        "{out}"
    );
    assert!(out.starts_with("NOT VERIFIED"), "{out}");
}
