//! The token both benchmarks measure, the three verifiers they compare and the raw signers.
#![allow(clippy::unwrap_used, dead_code)]

use std::hint::black_box;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, ParsedPublicKey};
use jsonwebtoken::{DecodingKey, Validation};
use kwi_jose::{Key, KeySet, KubernetesRules, PublicKey, VerifyOptions, base64url};
use serde_json::json;

/// The fixed "now" of every check.
pub(crate) const NOW: i64 = 1_800_000_000;
/// The issuer of the token.
pub(crate) const ISSUER: &str =
    "https://oidc.prod-eu-west-1.platform.example.com/clusters/payments-prod-7";

/// A pod's projected token: about 1.2 KB of claims, 1.36 KB signed with RSA-2048.
pub(crate) fn claims() -> Vec<u8> {
    json!({
        "aud": ["https://kubernetes.default.svc.cluster.local", "sts.amazonaws.com"],
        "exp": NOW + 3600,
        "iat": NOW,
        "iss": ISSUER,
        "jti": "6e2e7c36-6f5a-4a4e-9a3c-1d1b2c3d4e5f",
        "kubernetes.io": {
            "namespace": "payments-settlement",
            "node": {"name": "ip-10-42-17-203.eu-west-1.compute.internal", "uid": "8f3c2a9e-5b1d-4c7f-9e2a-1b3c5d7e9f01"},
            "pod": {"name": "settlement-worker-7d9f8b6c5d-x2k4p", "uid": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"},
            "serviceaccount": {"name": "settlement-worker", "uid": "0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f"},
            "warnafter": NOW + 3000
        },
        "nbf": NOW,
        "sub": "system:serviceaccount:payments-settlement:settlement-worker"
    })
    .to_string()
    .into_bytes()
}

/// kube-apiserver's rules for that token.
pub(crate) fn rules() -> KubernetesRules {
    KubernetesRules {
        issuers: Some(vec![ISSUER.into()]),
        audiences: Some(vec!["sts.amazonaws.com".into()]),
        allow_legacy: false,
    }
}

/// A signed token and the three verifiers of it: the raw signature check, kwi's whole
/// verification, and jsonwebtoken's.
pub(crate) struct Case {
    /// The token.
    pub token: String,
    /// Its signing input (header.claims).
    pub input: String,
    /// Its decoded signature.
    pub sig: Vec<u8>,
    raw: ParsedPublicKey,
    keys: KeySet,
    options: VerifyOptions,
    rules: KubernetesRules,
    jwt_key: DecodingKey,
    validation: Validation,
}

/// Signs the fixture's claims with `key` (RSA or P-256) under its Kubernetes kid.
pub(crate) fn case(key: &Key) -> Case {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let kid = kwi_jose::kubernetes_kid(key).unwrap();
    let token = kwi_jose::SigningKey::new(key, None, Some(kid))
        .unwrap()
        .sign(&claims())
        .unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let (raw, jwt_key, alg) = match key.public() {
        PublicKey::Rsa { n, e } => (
            ParsedPublicKey::new(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                kwi_jose::pkcs1_public_der(key).unwrap(),
            )
            .unwrap(),
            DecodingKey::from_rsa_components(&base64url(n), &base64url(e)).unwrap(),
            jsonwebtoken::Algorithm::RS256,
        ),
        PublicKey::Ec { point, .. } => {
            let (x, y) = key.public().ec_coordinates().unwrap();
            (
                ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).unwrap(),
                DecodingKey::from_ec_components(&base64url(x), &base64url(y)).unwrap(),
                jsonwebtoken::Algorithm::ES256,
            )
        }
        PublicKey::Ed25519 { .. } => unreachable!("the benchmarks use RSA and P-256 keys"),
    };
    // jsonwebtoken's equivalent checks (times off: the fixed NOW is in the future).
    let mut validation = Validation::new(alg);
    validation.set_audience(&["sts.amazonaws.com"]);
    validation.set_issuer(&[ISSUER]);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    Case {
        input: input.to_string(),
        sig: Base64UrlUnpadded::decode_vec(sig).unwrap(),
        raw,
        keys: KeySet::with_kubernetes_kids(&[key.to_public()]).unwrap(),
        options: VerifyOptions {
            algorithms: kwi_jose::KUBERNETES_ALGORITHMS.to_vec(),
            ..VerifyOptions::default()
        },
        rules: rules(),
        jwt_key,
        validation,
        token,
    }
}

impl Case {
    /// The signature check alone, with a pre-parsed key and the signature already decoded.
    pub(crate) fn verify_raw(&self) {
        self.raw
            .verify_sig(black_box(self.input.as_bytes()), black_box(&self.sig))
            .unwrap();
    }

    /// kwi's whole verification and kube-apiserver's claim rules.
    pub(crate) fn verify_kwi(&self) {
        let verified = self
            .keys
            .verify(black_box(&self.token), &self.options)
            .unwrap();
        self.rules.validate(&verified.claims, NOW).unwrap();
    }

    /// jsonwebtoken's decode with a pre-built key, checking aud and iss.
    pub(crate) fn verify_jsonwebtoken(&self) {
        jsonwebtoken::decode::<serde_json::Value>(
            black_box(&self.token),
            &self.jwt_key,
            &self.validation,
        )
        .unwrap();
    }
}

/// aws-lc-rs's own signer for a key (RSA PKCS#1 v1.5 SHA-256 or ECDSA P-256 SHA-256).
pub(crate) enum RawSigner {
    Rsa(aws_lc_rs::rsa::KeyPair, SystemRandom),
    Ec(EcdsaKeyPair, SystemRandom),
}

impl RawSigner {
    pub(crate) fn new(key: &Key) -> RawSigner {
        match key.public() {
            PublicKey::Rsa { .. } => RawSigner::Rsa(
                aws_lc_rs::rsa::KeyPair::from_der(&kwi_jose::pkcs1_private_der(key).unwrap())
                    .unwrap(),
                SystemRandom::new(),
            ),
            _ => RawSigner::Ec(
                EcdsaKeyPair::from_private_key_der(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &kwi_jose::sec1_der(key).unwrap(),
                )
                .unwrap(),
                SystemRandom::new(),
            ),
        }
    }

    /// Signs `input`, the signature thrown away.
    pub(crate) fn sign(&self, input: &[u8]) {
        match self {
            RawSigner::Rsa(pair, rng) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    rng,
                    black_box(input),
                    &mut sig,
                )
                .unwrap();
                black_box(sig);
            }
            RawSigner::Ec(pair, rng) => {
                black_box(pair.sign(rng, black_box(input)).unwrap());
            }
        }
    }
}

/// The signing input kwi makes for the fixture's claims (what the raw signers sign).
pub(crate) fn signing_input(signer: &kwi_jose::SigningKey) -> String {
    signer
        .sign(&claims())
        .unwrap()
        .rsplit_once('.')
        .unwrap()
        .0
        .to_string()
}
