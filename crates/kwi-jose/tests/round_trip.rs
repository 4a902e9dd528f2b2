//! Every encode/decode pair gives back the key it started from, for random keys of every type.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kwi_jose::{
    Curve, Jwk, Jwks, Key, KeySpec, KidMethod, generate, jwk_from_key, jwks_document,
    openssh_private_key, openssh_public_key, parse_keys, pem, pkcs1_private_der, pkcs1_public_der,
    pkcs8_der, sec1_der, spki_der,
};
use proptest::prelude::*;

fn spec() -> impl Strategy<Value = KeySpec> {
    prop_oneof![
        Just(KeySpec::Rsa { bits: 2048 }),
        Just(KeySpec::Ec(Curve::P256)),
        Just(KeySpec::Ec(Curve::P384)),
        Just(KeySpec::Ec(Curve::P521)),
        Just(KeySpec::Ed25519),
    ]
}

fn one(input: &[u8]) -> Key {
    let mut keys = parse_keys(input).unwrap();
    assert_eq!(keys.len(), 1);
    keys.remove(0)
}

fn same_key(a: &Key, b: &Key) {
    assert_eq!(a.public(), b.public());
    assert_eq!(a.private(), b.private());
}

/// Every encoding of one key, each read back.
fn check_all_encodings(key: &Key) {
    let public = key.to_public();

    same_key(&one(&pkcs8_der(key).unwrap()), key);
    same_key(
        &one(pem::encode("PRIVATE KEY", &pkcs8_der(key).unwrap()).as_bytes()),
        key,
    );
    same_key(&one(&spki_der(key).unwrap()), &public);
    same_key(
        &one(pem::encode("PUBLIC KEY", &spki_der(key).unwrap()).as_bytes()),
        &public,
    );

    match key.public() {
        kwi_jose::PublicKey::Rsa { .. } => {
            same_key(
                &one(pem::encode("RSA PRIVATE KEY", &pkcs1_private_der(key).unwrap()).as_bytes()),
                key,
            );
            same_key(
                &one(pem::encode("RSA PUBLIC KEY", &pkcs1_public_der(key).unwrap()).as_bytes()),
                &public,
            );
            assert!(sec1_der(key).is_err());
        }
        kwi_jose::PublicKey::Ec { .. } => {
            same_key(
                &one(pem::encode("EC PRIVATE KEY", &sec1_der(key).unwrap()).as_bytes()),
                key,
            );
            assert!(pkcs1_private_der(key).is_err());
        }
        kwi_jose::PublicKey::Ed25519 { .. } => {
            assert!(sec1_der(key).is_err());
            assert!(pkcs1_public_der(key).is_err());
        }
    }

    let kid = KidMethod::Kubernetes.kid(key).unwrap();
    let private_jwk = serde_json::to_string(&jwk_from_key(key, Some(kid.clone()), true)).unwrap();
    let read = one(private_jwk.as_bytes());
    same_key(&read, key);
    assert_eq!(read.source_kid(), Some(kid.as_str()));
    let public_jwk = jwk_from_key(key, None, false);
    assert!(public_jwk.d.is_none());
    same_key(
        &Jwk::parse(&serde_json::to_string(&public_jwk).unwrap())
            .unwrap()
            .to_key()
            .unwrap(),
        &public,
    );

    let jwks = Jwks {
        keys: vec![public_jwk],
    };
    let keys = Jwks::parse(&jwks_document(&jwks).unwrap())
        .unwrap()
        .to_keys()
        .unwrap();
    same_key(&keys[0], &public);

    same_key(&one(openssh_public_key(key, "comment").as_bytes()), &public);
    same_key(
        &one(openssh_private_key(key, "comment").unwrap().as_bytes()),
        key,
    );

    // The kid depends only on the public half, whatever the format it was read from.
    assert_eq!(KidMethod::Kubernetes.kid(&public).unwrap(), kid);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_format_round_trips(spec in spec()) {
        let key = generate(spec).unwrap();
        prop_assert!(key.is_private());
        check_all_encodings(&key);
    }

    #[test]
    fn pem_round_trips_any_bytes(der in proptest::collection::vec(any::<u8>(), 1..600), label in "[A-Z]{1,12}( [A-Z]{1,12}){0,2}") {
        let blocks = pem::parse(&pem::encode(&label, &der)).unwrap();
        prop_assert_eq!(blocks.len(), 1);
        prop_assert_eq!(&blocks[0].label, &label);
        prop_assert_eq!(&blocks[0].der, &der);
    }

    #[test]
    fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_keys(&bytes);
    }

    #[test]
    fn arbitrary_jwk_members_never_panic(n in "[A-Za-z0-9_=/+-]{0,40}", e in "[A-Za-z0-9_=-]{0,8}", crv in "(P-256|P-384|P-521|Ed25519|X25519|)", kty in "(RSA|EC|OKP|oct|)") {
        let json = format!(r#"{{"kty":"{kty}","crv":"{crv}","n":"{n}","e":"{e}","x":"{n}","y":"{e}"}}"#);
        let _ = parse_keys(json.as_bytes());
    }
}

#[test]
fn larger_rsa_keys_round_trip() {
    for bits in [3072, 4096] {
        check_all_encodings(&generate(KeySpec::Rsa { bits }).unwrap());
    }
}
