//! Every kind of bad key input gives a typed error that says what was wrong, and never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kwi_jose::{KeyError, parse_keys};

const CONFORMANCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/kubernetes/");

fn conformance(name: &str) -> String {
    std::fs::read_to_string(format!("{CONFORMANCE}{name}")).unwrap()
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn err(input: &[u8]) -> KeyError {
    match parse_keys(input) {
        Ok(keys) => panic!("accepted {} key(s) from bad input", keys.len()),
        Err(e) => e,
    }
}

/// One bad input, the error it must give, and a word its message must contain.
struct Case {
    name: &'static str,
    input: Vec<u8>,
    check: fn(&KeyError) -> bool,
    says: &'static str,
}

fn cases() -> Vec<Case> {
    let rsa_public = conformance("rsa-public.pem");
    let ec_jwk = r#"{"kty":"EC","crv":"P-256","x":"H6cuzP8XuD5wal6wf9M6xDljTOPLX2i8uIp_C_ASqiI","y":"BlHnikLV9PyEd6gl8k4T_3Wwoh6xd79XLoQTh2PAi1Y"}"#;
    let rsa_jwk = r#"{"kty":"RSA","n":"249XwEo9k4tM8fMxV7zxOhcrP-WvXn917koM5Qr2ZXs4vo26e4ytdlrV0bQ9SlcLpQVSYjIxNfhTZdDt-ecIzshKuv1gKIxbbLQMOuK1eA_4HALyEkFgmS_tleLJrhc65tKPMGD-pKQ_xhmzRuCG51RoiMgbQxaCyYxGfNLpLAZK9L0Tctv9a0mJmGIYnIOQM4kC1A1I1n3EsXMWmeJUj7OTh_AjjCnMnkgvKT2tpKxYQ59PgDgU8Ssc7RDSmSkLxnrv-OrN80j6xrw0OjEiB4Ycr0PqfzZcvy8efTtFQ_Jnc4Bp1zUtFXt7-QeevePtQ2EcyELXE0i63T1CujRMWw","e":"AQAB"}"#;
    let mut truncated = rsa_public.clone();
    truncated.truncate(rsa_public.len() / 2);
    let body_cut = rsa_public.replacen("AQAB", "AQA", 1);
    vec![
        Case {
            name: "empty",
            input: vec![],
            check: |e| matches!(e, KeyError::Empty),
            says: "empty",
        },
        Case {
            name: "only white space",
            input: b" \n\t\n".to_vec(),
            check: |e| matches!(e, KeyError::Empty),
            says: "empty",
        },
        Case {
            name: "binary junk",
            input: vec![0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 0xff],
            check: |e| matches!(e, KeyError::UnknownFormat { .. }),
            says: "binary",
        },
        Case {
            name: "DER-looking junk",
            input: vec![0x30, 0x82, 0x01, 0x00, 0xff, 0xfe],
            check: |e| matches!(e, KeyError::Der { .. }),
            says: "DER",
        },
        Case {
            name: "plain text",
            input: b"hello, world".to_vec(),
            check: |e| matches!(e, KeyError::UnknownFormat { .. }),
            says: "not a key",
        },
        Case {
            name: "base64 without armour",
            input: b"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA".to_vec(),
            check: |e| matches!(e, KeyError::UnknownFormat { .. }),
            says: "without the -----BEGIN",
        },
        Case {
            name: "PEM cut in the middle",
            input: truncated.into_bytes(),
            check: |e| matches!(e, KeyError::Pem(_)),
            says: "no -----END",
        },
        Case {
            name: "truncated base64",
            input: body_cut.into_bytes(),
            check: |e| matches!(e, KeyError::Pem(_) | KeyError::Der { .. }),
            says: "",
        },
        Case {
            name: "wrong PEM label",
            input: rsa_public.replace("PUBLIC KEY", "PUBLIK KEY").into_bytes(),
            check: |e| matches!(e, KeyError::UnsupportedLabel { .. }),
            says: "PUBLIK KEY",
        },
        Case {
            name: "certificate request",
            input:
                b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"
                    .to_vec(),
            check: |e| matches!(e, KeyError::UnsupportedLabel { .. }),
            says: "openssl req",
        },
        Case {
            name: "mismatched END",
            input: rsa_public
                .replace("-----END PUBLIC KEY-----", "-----END PRIVATE KEY-----")
                .into_bytes(),
            check: |e| matches!(e, KeyError::Pem(_)),
            says: "ends",
        },
        Case {
            name: "trailing garbage",
            input: format!("{rsa_public}garbage\n").into_bytes(),
            check: |e| matches!(e, KeyError::Pem(_)),
            says: "after the last END",
        },
        Case {
            name: "label that lies",
            input: rsa_public.replace("PUBLIC KEY", "PRIVATE KEY").into_bytes(),
            check: |e| matches!(e, KeyError::Der { .. }),
            says: "PKCS#8",
        },
        Case {
            name: "encrypted PKCS#8",
            input: data("rsa-encrypted-pkcs8.pem"),
            check: |e| matches!(e, KeyError::Encrypted { .. }),
            says: "openssl pkey",
        },
        Case {
            name: "encrypted traditional RSA",
            input: data("rsa-encrypted-traditional.pem"),
            check: |e| matches!(e, KeyError::Encrypted { .. }),
            says: "openssl rsa",
        },
        Case {
            name: "RSA-1024",
            input: data("rsa1024.pem"),
            check: |e| matches!(e, KeyError::RsaTooSmall { bits: 1024 }),
            says: "at least 2048",
        },
        Case {
            name: "DSA PKCS#8",
            input: data("dsa-pkcs8.pem"),
            check: |e| matches!(e, KeyError::UnsupportedAlgorithm(_)),
            says: "DSA",
        },
        Case {
            name: "DSA traditional",
            input: data("dsa-traditional.pem"),
            check: |e| matches!(e, KeyError::UnsupportedAlgorithm(_)),
            says: "DSA",
        },
        Case {
            name: "DSA public",
            input: data("dsa-public.pem"),
            check: |e| matches!(e, KeyError::UnsupportedAlgorithm(_)),
            says: "DSA",
        },
        Case {
            name: "secp256k1 private",
            input: data("secp256k1-sec1.pem"),
            check: |e| matches!(e, KeyError::UnsupportedCurve(_)),
            says: "secp256k1",
        },
        Case {
            name: "secp256k1 public",
            input: data("secp256k1-public.pem"),
            check: |e| matches!(e, KeyError::UnsupportedCurve(_)),
            says: "secp256k1",
        },
        Case {
            name: "brainpool",
            input: data("brainpool-pkcs8.pem"),
            check: |e| matches!(e, KeyError::UnsupportedCurve(_)),
            says: "brainpoolP256r1",
        },
        Case {
            name: "explicit curve parameters",
            input: data("ec-explicit.pem"),
            check: |e| matches!(e, KeyError::UnsupportedCurve(_)),
            says: "named_curve",
        },
        Case {
            name: "X25519",
            input: data("x25519.pem"),
            check: |e| matches!(e, KeyError::UnsupportedAlgorithm(_)),
            says: "X25519",
        },
        Case {
            name: "Ed448",
            input: data("ed448.pem"),
            check: |e| matches!(e, KeyError::UnsupportedAlgorithm(_)),
            says: "Ed448",
        },
        Case {
            name: "RSA-PSS-only key",
            input: data("rsa-pss.pem"),
            check: |e| matches!(e, KeyError::UnsupportedAlgorithm(_)),
            says: "RSASSA-PSS",
        },
        Case {
            name: "JWK without n",
            input: br#"{"kty":"RSA","e":"AQAB"}"#.to_vec(),
            check: |e| matches!(e, KeyError::Jwk(_)),
            says: "\"n\"",
        },
        Case {
            name: "JWK without kty",
            input: br#"{"n":"AQAB","e":"AQAB"}"#.to_vec(),
            check: |e| matches!(e, KeyError::Jwk(_)),
            says: "kty",
        },
        Case {
            name: "JWK with padded base64",
            input: rsa_jwk.replace("\"AQAB\"", "\"AQAB==\"").into_bytes(),
            check: |e| matches!(e, KeyError::Jwk(_)),
            says: "padding",
        },
        Case {
            name: "JWK with standard base64",
            input: ec_jwk.replace("_C_ASqiI", "/C/ASqiI").into_bytes(),
            check: |e| matches!(e, KeyError::Jwk(_)),
            says: "not base64url",
        },
        Case {
            name: "JWK with short coordinate",
            input: ec_jwk
                .replace(
                    "H6cuzP8XuD5wal6wf9M6xDljTOPLX2i8uIp_C_ASqiI",
                    "H6cuzP8XuD5wal6wf9M6xDljTOPLX2i8uIp_C_AS",
                )
                .into_bytes(),
            check: |e| matches!(e, KeyError::Jwk(_)),
            says: "exactly 32",
        },
        Case {
            name: "JWK point not on the curve",
            input: ec_jwk
                .replace(
                    "BlHnikLV9PyEd6gl8k4T_3Wwoh6xd79XLoQTh2PAi1Y",
                    "BlHnikLV9PyEd6gl8k4T_3Wwoh6xd79XLoQTh2PAi1Z",
                )
                .into_bytes(),
            check: |e| matches!(e, KeyError::InvalidKey { .. } | KeyError::Jwk(_)),
            says: "",
        },
        Case {
            name: "JWK with unknown curve",
            input: ec_jwk.replace("P-256", "secp256k1").into_bytes(),
            check: |e| matches!(e, KeyError::UnsupportedCurve(_)),
            says: "secp256k1",
        },
        Case {
            name: "JWK with duplicate member",
            input: rsa_jwk
                .replace("{\"kty\":\"RSA\",", "{\"kty\":\"RSA\",\"e\":\"AQAB\",")
                .into_bytes(),
            check: |e| matches!(e, KeyError::Jwk(_)),
            says: "duplicate",
        },
        Case {
            name: "JWK kid of the wrong type",
            input: rsa_jwk
                .replace("{\"kty\"", "{\"kid\":7,\"kty\"")
                .into_bytes(),
            check: |e| matches!(e, KeyError::Jwk(_)),
            says: "string",
        },
        Case {
            name: "JWK alg of another key type",
            input: ec_jwk
                .replace("{\"kty\"", "{\"alg\":\"RS256\",\"kty\"")
                .into_bytes(),
            check: |e| matches!(e, KeyError::Jwk(_)),
            says: "RS256",
        },
        Case {
            name: "oct JWK",
            input: br#"{"kty":"oct","k":"c2VjcmV0"}"#.to_vec(),
            check: |e| matches!(e, KeyError::Jwk(_)),
            says: "shared secret",
        },
        Case {
            name: "JSON that is no JWK",
            input: br#"{"hello":1}"#.to_vec(),
            check: |e| matches!(e, KeyError::Jwk(_)),
            says: "neither",
        },
        Case {
            name: "broken JSON",
            input: br#"{"kty":"RSA","#.to_vec(),
            check: |e| matches!(e, KeyError::Jwk(_)),
            says: "JSON",
        },
        Case {
            name: "deeply nested JSON",
            input: format!("{}{}", "{\"a\":".repeat(10_000), "1").into_bytes(),
            check: |e| matches!(e, KeyError::Jwk(_)),
            says: "",
        },
        Case {
            name: "JWKS with duplicate kids",
            input: format!(
                r#"{{"keys":[{0},{0}]}}"#,
                rsa_jwk.replace("{\"kty\"", "{\"kid\":\"a\",\"kty\"")
            )
            .into_bytes(),
            check: |e| matches!(e, KeyError::DuplicateKid(k) if k == "a"),
            says: "\"a\"",
        },
        Case {
            name: "empty JWKS",
            input: br#"{"keys":[]}"#.to_vec(),
            check: |e| matches!(e, KeyError::Jwks(_)),
            says: "empty",
        },
        Case {
            name: "JWKS with a bad key",
            input: format!(r#"{{"keys":[{rsa_jwk},{{"kty":"RSA"}}]}}"#).into_bytes(),
            check: |e| matches!(e, KeyError::Jwks(_)),
            says: "key 1",
        },
        Case {
            name: "OpenSSH line with bad base64",
            input: b"ssh-rsa AAAA%%%% me@host\n".to_vec(),
            check: |e| matches!(e, KeyError::OpenSsh(_)),
            says: "line 1",
        },
        Case {
            name: "OpenSSH line whose type lies",
            input: b"ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQC8\n".to_vec(),
            check: |e| matches!(e, KeyError::OpenSsh(_)),
            says: "truncated",
        },
        Case {
            name: "OpenSSH DSA",
            input: b"ssh-dss AAAAB3NzaC1kc3MAAAAA\n".to_vec(),
            check: |e| matches!(e, KeyError::OpenSsh(_) | KeyError::UnsupportedAlgorithm(_)),
            says: "",
        },
    ]
}

#[test]
fn every_bad_input_gives_its_error() {
    let mut failures = Vec::new();
    for case in cases() {
        let error = err(&case.input);
        let message = error.to_string();
        if !(case.check)(&error) || !message.contains(case.says) {
            failures.push(format!("{}: got {error:?} ({message})", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn truncations_and_bit_flips_never_panic() {
    let inputs = [
        conformance("rsa-private-pkcs1.pem"),
        conformance("ec-p256-private-sec1-with-params.pem"),
        conformance("jwks.golden.json"),
    ];
    for input in inputs {
        let bytes = input.as_bytes();
        for cut in (0..bytes.len()).step_by(7) {
            let _ = parse_keys(&bytes[..cut]);
        }
        for i in (0..bytes.len()).step_by(5) {
            let mut flipped = bytes.to_vec();
            flipped[i] ^= 0x55;
            let _ = parse_keys(&flipped);
        }
    }
}

#[test]
fn accepted_forms() {
    // A certificate gives its public key.
    let cert = parse_keys(&data("ec-cert.pem")).unwrap();
    let public = parse_keys(&data("ec-cert-public.pem")).unwrap();
    assert_eq!(cert[0].public(), public[0].public());
    // The EC PARAMETERS block of kube's fixture is accepted.
    let with_params =
        parse_keys(conformance("ec-p256-private-sec1-with-params.pem").as_bytes()).unwrap();
    assert_eq!(with_params.len(), 1);
    assert!(with_params[0].is_private());
    // Several blocks give several keys, as kube-apiserver's --service-account-key-file reads them.
    let both = format!(
        "{}{}",
        conformance("rsa-public.pem"),
        conformance("ec-p256-public.pem")
    );
    assert_eq!(parse_keys(both.as_bytes()).unwrap().len(), 2);
}

#[test]
fn rsa_exponent_and_modulus_problems_are_named() {
    let rsa_jwk: serde_json::Value = serde_json::from_slice(&data_or_conformance_jwk()).unwrap();
    let with = |field: &str, value: &str| {
        let mut jwk = rsa_jwk.clone();
        jwk[field] = serde_json::Value::from(value);
        err(jwk.to_string().as_bytes()).to_string()
    };
    assert!(
        with("e", "AQ").contains("exponent e is 1"),
        "{}",
        with("e", "AQ")
    );
    assert!(with("e", "Ag").contains("must be odd"));
    assert!(with("e", "AQAAAAAB").contains("larger than 2^32"));
    // The modulus with its last byte made even.
    let n = rsa_jwk["n"].as_str().unwrap();
    let even = format!("{}g", &n[..n.len() - 1]);
    assert!(
        with("n", &even).contains("modulus n is even"),
        "{}",
        with("n", &even)
    );
}

/// The conformance RSA public key as a JWK (converted here, so that the test reads only data).
fn data_or_conformance_jwk() -> Vec<u8> {
    let key = parse_keys(conformance("rsa-public.pem").as_bytes())
        .unwrap()
        .remove(0);
    serde_json::to_vec(&kwi_jose::jwk_from_key(&key, None, false)).unwrap()
}
