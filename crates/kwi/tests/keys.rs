//! `kwi keys generate|convert|kid` run as a user runs them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::os::unix::fs::{FileTypeExt, PermissionsExt};

use common::{Workdir, conformance};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn generate_writes_a_private_key_0600_and_its_public_half() {
    let w = Workdir::new();
    let run = w
        .run(&[
            "keys",
            "generate",
            "--out",
            "sa.key",
            "--public-out",
            "sa.pub",
        ])
        .ok();
    assert_eq!(mode(&w.path("sa.key")), 0o600);
    assert!(
        String::from_utf8(w.read("sa.key"))
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----\n")
    );
    assert!(
        String::from_utf8(w.read("sa.pub"))
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----\n")
    );
    // The kid on stderr is the one `keys kid` computes, from either half.
    let kid = w.run(&["keys", "kid", "sa.pub"]).ok().stdout_text();
    assert_eq!(w.run(&["keys", "kid", "sa.key"]).ok().stdout_text(), kid);
    assert!(run.stderr.contains(kid.trim()), "{}", run.stderr);
    assert!(run.stderr.contains("RSA-2048"), "{}", run.stderr);
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(w.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn generate_never_overwrites_without_force() {
    let w = Workdir::new();
    w.write("sa.key", "precious");
    w.run(&["keys", "generate", "--out", "sa.key"])
        .usage_error(&["sa.key", "already exists", "--force"]);
    assert_eq!(w.read("sa.key"), b"precious");
    w.run(&["keys", "generate", "--out", "sa.key", "--force"])
        .ok();
    assert_ne!(w.read("sa.key"), b"precious");
    assert_eq!(mode(&w.path("sa.key")), 0o600);
}

#[test]
fn convert_never_overwrites_without_force() {
    let w = Workdir::new();
    let key = conformance("rsa-private-pkcs1.pem");
    let key = key.to_str().unwrap();
    w.write("sa.pub", "precious");
    w.run(&["keys", "convert", key, "--to", "spki", "-o", "sa.pub"])
        .usage_error(&["sa.pub", "already exists", "--force"]);
    assert_eq!(w.read("sa.pub"), b"precious");
    w.run(&[
        "keys", "convert", key, "--to", "spki", "-o", "sa.pub", "--force",
    ])
    .ok();
    assert_eq!(
        w.read("sa.pub"),
        std::fs::read(conformance("rsa-public.pem")).unwrap()
    );
}

#[test]
fn the_public_key_hint_names_a_file_beside_the_key() {
    let w = Workdir::new();
    let run = w
        .run(&["keys", "generate", "--alg", "ES256", "--out", "sa-ec.key"])
        .ok();
    assert!(
        run.stderr
            .contains("kwi keys convert sa-ec.key --to spki -o sa-ec.pub"),
        "{}",
        run.stderr
    );
    // A key named *.pub gets a hint that does not name the key itself.
    let run = w
        .run(&["keys", "generate", "--alg", "ES256", "--out", "odd.pub"])
        .ok();
    assert!(
        run.stderr
            .contains("kwi keys convert odd.pub --to spki -o odd.pub.pub"),
        "{}",
        run.stderr
    );
}

#[test]
fn generate_every_algorithm_and_format() {
    let w = Workdir::new();
    for (args, label) in [
        (&["--alg", "ES256"][..], "PRIVATE KEY"),
        (&["--alg", "ES384", "--format", "sec1"], "EC PRIVATE KEY"),
        (&["--alg", "ES512"], "PRIVATE KEY"),
        (&["--alg", "EdDSA"], "PRIVATE KEY"),
        (&["--bits", "3072", "--format", "pkcs1"], "RSA PRIVATE KEY"),
    ] {
        let mut all = vec!["keys", "generate", "--out", "k.pem", "--force"];
        all.extend_from_slice(args);
        w.run(&all).ok();
        let text = String::from_utf8(w.read("k.pem")).unwrap();
        assert!(
            text.starts_with(&format!("-----BEGIN {label}-----")),
            "{args:?}: {text}"
        );
        w.run(&["keys", "kid", "k.pem"]).ok();
    }
    w.run(&[
        "keys", "generate", "--alg", "ES256", "--bits", "2048", "--out", "x",
    ])
    .usage_error(&["--bits"]);
    w.run(&["keys", "generate", "--format", "sec1", "--out", "x"])
        .usage_error(&["sec1", "EC"]);
    w.run(&[
        "keys", "generate", "--alg", "ES256", "--format", "pkcs1", "--out", "x",
    ])
    .usage_error(&["pkcs1", "RSA"]);
}

#[test]
fn kid_of_the_conformance_keys() {
    let w = Workdir::new();
    let rsa = "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU\n";
    for file in ["rsa-public.pem", "rsa-private-pkcs1.pem"] {
        let path = conformance(file);
        assert_eq!(
            w.run(&["keys", "kid", path.to_str().unwrap()])
                .ok()
                .stdout_text(),
            rsa
        );
    }
    let ec = conformance("ec-p256-public.pem");
    assert_eq!(
        w.run(&["keys", "kid", ec.to_str().unwrap()])
            .ok()
            .stdout_text(),
        "SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc\n"
    );
    let rsa_pub = conformance("rsa-public.pem");
    assert_eq!(
        w.run(&[
            "keys",
            "kid",
            rsa_pub.to_str().unwrap(),
            "--method",
            "rfc7638"
        ])
        .ok()
        .stdout_text(),
        "-VkBv7ckVLGbPlrdyjF01LitmrAB_z87v-oICeALHRw\n"
    );
    // Standard input.
    let pem = std::fs::read(conformance("rsa-public.pem")).unwrap();
    assert_eq!(
        w.run_with_input(&["keys", "kid", "-"], Some(&pem))
            .ok()
            .stdout_text(),
        rsa
    );
}

#[test]
fn convert_between_formats_and_back() {
    let w = Workdir::new();
    let key = conformance("rsa-private-pkcs1.pem");
    let key = key.to_str().unwrap();
    // JWK of the public half carries use, alg and the Kubernetes kid, in kube-apiserver's order.
    let jwk = w
        .run(&["keys", "convert", key, "--to", "jwk", "--public"])
        .ok()
        .stdout_text();
    assert!(jwk.starts_with(r#"{"use":"sig","kty":"RSA","kid":"JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU","alg":"RS256","n":"#), "{jwk}");
    assert!(!jwk.contains("\"d\""));
    w.write("k.jwk", &jwk);
    let spki = w
        .run(&["keys", "convert", "k.jwk", "--to", "spki"])
        .ok()
        .stdout;
    assert_eq!(spki, std::fs::read(conformance("rsa-public.pem")).unwrap());
    // The private JWK keeps the private members and converts back to the same key.
    let private_jwk = w
        .run(&["keys", "convert", key, "--to", "jwk", "-o", "p.jwk"])
        .ok();
    assert!(private_jwk.stdout.is_empty());
    assert_eq!(mode(&w.path("p.jwk")), 0o600);
    let back = w
        .run(&["keys", "convert", "p.jwk", "--to", "pkcs1"])
        .ok()
        .stdout;
    assert_eq!(
        back,
        std::fs::read(conformance("rsa-private-pkcs1.pem")).unwrap()
    );
    // --kid none and a literal kid.
    let none = w
        .run(&[
            "keys", "convert", key, "--to", "jwk", "--public", "--kid", "none",
        ])
        .ok()
        .stdout_text();
    assert!(!none.contains("kid"));
    let literal = w
        .run(&[
            "keys", "convert", key, "--to", "jwk", "--public", "--kid", "my-key",
        ])
        .ok()
        .stdout_text();
    assert!(literal.contains(r#""kid":"my-key""#));
    // DER to a file, read back by auto-detection.
    w.run(&[
        "keys", "convert", key, "--to", "der", "--public", "-o", "k.der",
    ])
    .ok();
    assert_eq!(
        w.run(&["keys", "kid", "k.der"]).ok().stdout_text(),
        "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU\n"
    );
    // OpenSSH public line, read back.
    let ssh = w
        .run(&["keys", "convert", key, "--to", "openssh", "--public"])
        .ok()
        .stdout_text();
    assert!(ssh.starts_with("ssh-rsa AAAA"));
    w.write("k.ssh", &ssh);
    assert_eq!(
        w.run(&["keys", "kid", "k.ssh"]).ok().stdout_text(),
        "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU\n"
    );
}

#[test]
fn convert_a_jwks_to_pem_blocks_or_one_key() {
    let w = Workdir::new();
    let jwks = conformance("jwks.golden.json");
    let jwks = jwks.to_str().unwrap();
    let pem = w.run(&["keys", "convert", jwks, "--to", "pem"]).ok().stdout;
    let expected = [
        std::fs::read(conformance("rsa-public.pem")).unwrap(),
        std::fs::read(conformance("ec-p256-public.pem")).unwrap(),
    ]
    .concat();
    assert_eq!(pem, expected);
    let one = w
        .run(&[
            "keys",
            "convert",
            jwks,
            "--kid",
            "SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc",
            "--to",
            "pem",
        ])
        .ok()
        .stdout;
    assert_eq!(
        one,
        std::fs::read(conformance("ec-p256-public.pem")).unwrap()
    );
    w.run(&["keys", "convert", jwks, "--kid", "nope", "--to", "pem"])
        .usage_error(&["nope", "JHJehTTTZlsspKHT"]);
    w.run(&["keys", "convert", jwks, "--to", "jwk"])
        .usage_error(&["2 keys", "--kid"]);
}

#[test]
fn convert_refuses_what_a_format_cannot_hold() {
    let w = Workdir::new();
    let ec = conformance("ec-p256-public.pem");
    let ec = ec.to_str().unwrap();
    w.run(&["keys", "convert", ec, "--to", "pkcs8"])
        .usage_error(&["private key", "EC P-256 public key"]);
    w.run(&["keys", "convert", ec, "--to", "pkcs1"])
        .usage_error(&["RSA"]);
    let rsa = conformance("rsa-private-pkcs1.pem");
    w.run(&["keys", "convert", rsa.to_str().unwrap(), "--to", "sec1"])
        .usage_error(&["SEC1", "EC"]);
}

#[test]
fn bad_inputs_exit_2_with_one_line_naming_the_file() {
    let w = Workdir::new();
    w.write("empty.pem", "");
    w.write("junk.bin", [0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]);
    w.write(
        "trailing.pem",
        [
            std::fs::read(conformance("rsa-public.pem")).unwrap(),
            b"oops\n".to_vec(),
        ]
        .concat(),
    );
    std::fs::create_dir(w.path("dir")).unwrap();
    w.write("pkcs1.txt", "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    for (file, words) in [
        ("empty.pem", &["empty.pem", "empty"][..]),
        ("junk.bin", &["junk.bin", "not a key"]),
        ("trailing.pem", &["trailing.pem", "line"]),
        ("dir", &["dir", "directory"]),
        ("missing.pem", &["missing.pem", "no such file"]),
        (
            "pkcs1.txt",
            &["pkcs1.txt", "encrypted", "openssl rsa -in pkcs1.txt"],
        ),
    ] {
        w.run(&["keys", "kid", file]).usage_error(words);
        w.run(&["jwks", file]).usage_error(words);
        w.run(&["keys", "convert", file, "--to", "jwk"])
            .usage_error(words);
    }
}

#[test]
fn outputs_never_replace_a_private_key_and_write_into_devices() {
    let w = Workdir::new();
    let key = conformance("rsa-private-pkcs1.pem");
    let private = std::fs::read(&key).unwrap();
    w.write("sa.key", &private);
    // Documents and tokens written over the private key they were made from: refused.
    w.run(&["jwks", "sa.key", "-o", "sa.key"])
        .usage_error(&["sa.key", "holds a private key"]);
    w.run(&[
        "discovery",
        "--issuer",
        "https://a.example.com",
        "--key",
        "sa.key",
        "-o",
        "sa.key",
    ])
    .usage_error(&["sa.key", "holds a private key"]);
    assert_eq!(w.read("sa.key"), private);
    // A public file is replaced as before.
    w.write("jwks.json", "old");
    w.run(&["jwks", "sa.key", "-o", "jwks.json"]).ok();
    assert!(
        String::from_utf8(w.read("jwks.json"))
            .unwrap()
            .starts_with("{\"keys\"")
    );
    // `-o -` is standard output; a device is written into, not replaced.
    let run = w.run(&["jwks", "sa.key", "-o", "-"]).ok();
    assert!(run.stdout_text().starts_with("{\"keys\""));
    assert!(!w.path("-").exists());
    w.run(&["jwks", "sa.key", "-o", "/dev/null"]).ok();
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[test]
fn generate_checks_both_outputs_before_writing_either() {
    let w = Workdir::new();
    w.run(&["keys", "generate", "--out", "k", "--public-out", "k"])
        .usage_error(&["same file"]);
    w.write("k.pub", "precious");
    w.run(&["keys", "generate", "--out", "k", "--public-out", "k.pub"])
        .usage_error(&["k.pub", "already exists"]);
    assert!(!w.path("k").exists(), "the private key was written anyway");
    std::fs::create_dir(w.path("d")).unwrap();
    w.run(&["keys", "generate", "--out", "k", "--public-out", "d"])
        .usage_error(&["d", "directory"]);
    assert!(!w.path("k").exists());
    w.run(&["keys", "generate", "--out", "-"])
        .usage_error(&["file names"]);
}

#[test]
fn standard_input_is_read_once() {
    let w = Workdir::new();
    let public = std::fs::read(conformance("rsa-public.pem")).unwrap();
    let run = w.run_with_input(&["jwks", "-", "-"], Some(&public));
    run.usage_error(&["standard input", "twice"]);
}
