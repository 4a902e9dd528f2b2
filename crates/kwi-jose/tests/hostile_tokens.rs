//! Hostile tokens: each one is refused with the exact kind of error that names what is wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64ct::{Base64UrlUnpadded, Encoding};
use kwi_jose::{
    Algorithm, KUBERNETES_ALGORITHMS, Key, KeySet, KubernetesRules, SigningKey, TokenError,
    VerifyOptions, kubernetes_kid, parse_keys,
};
use serde_json::{Value, json};

const NOW: i64 = 1_700_000_000;
const ISSUER: &str = "https://issuer.example.com";

fn conformance(name: &str) -> Key {
    let path = format!(
        "{}/../../tests/data/kubernetes/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    parse_keys(&std::fs::read(path).unwrap()).unwrap().remove(0)
}

struct World {
    rsa: Key,
    ec: Key,
    other: Key,
    keys: KeySet,
    rsa_kid: String,
    ec_kid: String,
}

fn world() -> World {
    let rsa = conformance("rsa-private-pkcs1.pem");
    let ec = conformance("ec-p256-private-sec1.pem");
    let other = kwi_jose::generate(kwi_jose::KeySpec::Rsa { bits: 2048 }).unwrap();
    let keys = KeySet::with_kubernetes_kids(&[rsa.to_public(), ec.to_public()]).unwrap();
    let rsa_kid = kubernetes_kid(&rsa).unwrap();
    let ec_kid = kubernetes_kid(&ec).unwrap();
    World {
        rsa,
        ec,
        other,
        keys,
        rsa_kid,
        ec_kid,
    }
}

fn claims() -> Value {
    json!({
        "aud": ["vault"],
        "exp": NOW + 3600,
        "iat": NOW,
        "iss": ISSUER,
        "jti": "6e2e7c36-6f5a-4a4e-9a3c-1d1b2c3d4e5f",
        "kubernetes.io": {"namespace": "default", "serviceaccount": {"name": "app", "uid": "1b6d"}},
        "nbf": NOW,
        "sub": "system:serviceaccount:default:app",
    })
}

/// The claims of a legacy, secret-based token for default/app.
fn legacy_claims() -> Value {
    json!({
        "iss": "kubernetes/serviceaccount",
        "kubernetes.io/serviceaccount/namespace": "default",
        "kubernetes.io/serviceaccount/secret.name": "app-token",
        "kubernetes.io/serviceaccount/service-account.name": "app",
        "kubernetes.io/serviceaccount/service-account.uid": "1b6d",
        "sub": "system:serviceaccount:default:app",
    })
}

fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

fn sign(key: &Key, header: &Value, payload: &[u8]) -> String {
    let alg = Algorithm::from_name(header["alg"].as_str().unwrap()).unwrap();
    SigningKey::new(key, Some(alg), None)
        .unwrap()
        .sign_with_header(header.to_string().as_bytes(), payload)
        .unwrap()
}

fn rsa_token(w: &World, claims: &Value) -> String {
    sign(
        &w.rsa,
        &json!({"alg": "RS256", "kid": w.rsa_kid}),
        claims.to_string().as_bytes(),
    )
}

fn with_claims(w: &World, f: impl FnOnce(&mut Value)) -> String {
    let mut c = claims();
    f(&mut c);
    rsa_token(w, &c)
}

fn raw_header_token(header: &str, claims: &Value) -> String {
    format!(
        "{}.{}.{}",
        b64(header.as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(&[1u8; 256])
    )
}

fn flip_signature_bit(token: &str) -> String {
    let (head, sig) = token.rsplit_once('.').unwrap();
    let mut bytes = Base64UrlUnpadded::decode_vec(sig).unwrap();
    bytes[10] ^= 0x01;
    format!("{head}.{}", b64(&bytes))
}

fn check(w: &World, token: &str) -> Result<(), TokenError> {
    let options = VerifyOptions {
        algorithms: KUBERNETES_ALGORITHMS.to_vec(),
        ..VerifyOptions::default()
    };
    let verified = w.keys.verify(token, &options)?;
    KubernetesRules {
        issuers: Some(vec![ISSUER.into()]),
        audiences: Some(vec!["vault".into()]),
        allow_legacy: false,
    }
    .validate(&verified.claims, NOW)
}

type Expect = fn(&TokenError) -> bool;

fn cases(w: &World) -> Vec<(&'static str, String, Expect)> {
    let good = rsa_token(w, &claims());
    let (head, rest) = good.split_once('.').unwrap();
    let (payload, sig) = rest.split_once('.').unwrap();
    let hs_secret_header = json!({"alg": "HS256", "kid": w.rsa_kid});
    let hs_input = format!(
        "{}.{}",
        b64(hs_secret_header.to_string().as_bytes()),
        payload
    );
    let hs_mac = {
        let public_pem = kwi_jose::pem::encode("PUBLIC KEY", &kwi_jose::spki_der(&w.rsa).unwrap());
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, public_pem.as_bytes());
        aws_lc_rs::hmac::sign(&key, hs_input.as_bytes())
            .as_ref()
            .to_vec()
    };
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let legacy = legacy_claims();
    vec![
        ("alg none", raw_header_token(r#"{"alg":"none"}"#, &claims()), |e| matches!(e, TokenError::AlgorithmNotAllowed { alg, .. } if alg == "none")),
        ("alg none, empty signature", format!("{}.{}.", b64(br#"{"alg":"none"}"#), payload), |e| matches!(e, TokenError::Malformed(_))),
        ("HS256 keyed with the RSA public key", format!("{hs_input}.{}", b64(&hs_mac)), |e| matches!(e, TokenError::AlgorithmNotAllowed { alg, .. } if alg == "HS256")),
        ("unknown alg", raw_header_token(r#"{"alg":"RS257"}"#, &claims()), |e| matches!(e, TokenError::AlgorithmNotAllowed { .. })),
        ("EdDSA not in kube's list", raw_header_token(r#"{"alg":"EdDSA"}"#, &claims()), |e| matches!(e, TokenError::AlgorithmNotAllowed { .. })),
        ("ES256 header on the RSA key's kid", sign(&w.ec, &json!({"alg": "ES256", "kid": w.rsa_kid}), claims().to_string().as_bytes()), |e| matches!(e, TokenError::KeyTypeMismatch { .. })),
        ("RS256 header on the EC key's kid", raw_header_token(&json!({"alg": "RS256", "kid": w.ec_kid}).to_string(), &claims()), |e| matches!(e, TokenError::KeyTypeMismatch { .. })),
        ("unknown kid", sign(&w.rsa, &json!({"alg": "RS256", "kid": "nope"}), claims().to_string().as_bytes()), |e| matches!(e, TokenError::UnknownKid { kid, known } if kid == "nope" && known.len() == 2)),
        ("kid with a path", sign(&w.rsa, &json!({"alg": "RS256", "kid": "../../etc/passwd"}), claims().to_string().as_bytes()), |e| matches!(e, TokenError::UnknownKid { .. })),
        ("kid with control characters", raw_header_token(&json!({"alg": "RS256", "kid": "a\u{0}b\nc"}).to_string(), &claims()), |e| matches!(e, TokenError::BadHeader(_))),
        ("kid not a string", raw_header_token(r#"{"alg":"RS256","kid":7}"#, &claims()), |e| matches!(e, TokenError::BadHeader(_))),
        ("signed by another key under a trusted kid", sign(&w.other, &json!({"alg": "RS256", "kid": w.rsa_kid}), claims().to_string().as_bytes()), |e| matches!(e, TokenError::BadSignature)),
        ("flipped signature bit", flip_signature_bit(&good), |e| matches!(e, TokenError::BadSignature)),
        ("truncated signature", format!("{head}.{payload}.{}", b64(&Base64UrlUnpadded::decode_vec(sig).unwrap()[..250])), |e| matches!(e, TokenError::BadSignature)),
        ("signature cut mid-character", format!("{head}.{payload}.{}", &sig[..sig.len() - 1]), |e| matches!(e, TokenError::Malformed(_))),
        ("signature of another token", format!("{head}.{}.{sig}", b64(br#"{"sub":"x"}"#)), |e| matches!(e, TokenError::BadSignature)),
        ("padded base64", format!("{good}=="), |e| matches!(e, TokenError::Malformed(_))),
        ("standard base64 alphabet", format!("{head}.{payload}+/.{sig}"), |e| matches!(e, TokenError::Malformed(_))),
        ("two segments", format!("{head}.{payload}"), |e| matches!(e, TokenError::Malformed(_))),
        ("four segments", format!("{good}.{sig}"), |e| matches!(e, TokenError::Malformed(_))),
        ("five segments (JWE)", format!("{head}.{payload}.{sig}.{sig}.{sig}"), |e| matches!(e, TokenError::Malformed(kwi_jose::MalformedToken::Segments { count: 5 }))),
        ("empty token", String::new(), |e| matches!(e, TokenError::Malformed(_))),
        ("white space inside", format!("{head}. {payload}.{sig}"), |e| matches!(e, TokenError::Malformed(kwi_jose::MalformedToken::Stray(kwi_jose::StrayCharacter::WhiteSpace)))),
        ("non-ASCII characters", format!("{head}.{payload}é.{sig}"), |e| matches!(e, TokenError::Malformed(kwi_jose::MalformedToken::Stray(kwi_jose::StrayCharacter::NonAscii)))),
        ("header not base64url", format!("A.{payload}.{sig}"), |e| matches!(e, TokenError::Malformed(_))),
        ("header a JSON array", raw_header_token(r#"["alg","RS256"]"#, &claims()), |e| matches!(e, TokenError::BadHeader(kwi_jose::HeaderProblem::Array))),
        ("header not JSON", raw_header_token("alg=RS256", &claims()), |e| matches!(e, TokenError::BadHeader(_))),
        ("header without alg", raw_header_token(r#"{"kid":"x"}"#, &claims()), |e| matches!(e, TokenError::BadHeader(kwi_jose::HeaderProblem::NoAlgorithm))),
        ("alg not a string", raw_header_token(r#"{"alg":256}"#, &claims()), |e| matches!(e, TokenError::BadHeader(_))),
        ("duplicate header member", raw_header_token(r#"{"alg":"RS256","alg":"none"}"#, &claims()), |e| matches!(e, TokenError::BadHeader(kwi_jose::HeaderProblem::Json(kwi_jose::JsonError::DuplicateMember { .. })))),
        ("crit header", sign(&w.rsa, &json!({"alg": "RS256", "kid": w.rsa_kid, "crit": ["exp"], "exp": 1}), claims().to_string().as_bytes()), |e| matches!(e, TokenError::BadHeader(kwi_jose::HeaderProblem::Critical))),
        ("crit written with an escape", raw_header_token(r#"{"alg":"RS256","\u0063rit":["exp"]}"#, &claims()), |e| matches!(e, TokenError::BadHeader(kwi_jose::HeaderProblem::Critical))),
        ("b64 false", sign(&w.rsa, &json!({"alg": "RS256", "kid": w.rsa_kid, "b64": false}), claims().to_string().as_bytes()), |e| matches!(e, TokenError::BadHeader(kwi_jose::HeaderProblem::UnencodedPayload))),
        ("duplicate claim names", sign(&w.rsa, &json!({"alg": "RS256", "kid": w.rsa_kid}), br#"{"sub":"system:serviceaccount:default:app","sub":"system:serviceaccount:kube-system:admin"}"#), |e| matches!(e, TokenError::BadClaims(kwi_jose::JsonError::DuplicateMember { .. }))),
        ("claims a JSON array", sign(&w.rsa, &json!({"alg": "RS256", "kid": w.rsa_kid}), b"[1,2]"), |e| matches!(e, TokenError::BadClaims(_))),
        ("claims not UTF-8", sign(&w.rsa, &json!({"alg": "RS256", "kid": w.rsa_kid}), &[b'{', 0xff, 0xfe, b'}']), |e| matches!(e, TokenError::BadClaims(kwi_jose::JsonError::NotUtf8 { .. }))),
        ("deep JSON nesting", sign(&w.rsa, &json!({"alg": "RS256", "kid": w.rsa_kid}), format!("{{\"x\":{deep}}}").as_bytes()), |e| matches!(e, TokenError::BadClaims(_))),
        ("a 1 MiB token", format!("{head}.{}.{sig}", "A".repeat(1 << 20)), |e| matches!(e, TokenError::TooLarge { .. })),
        ("exp as a string", with_claims(w, |c| c["exp"] = json!("1700003600")), |e| matches!(e, TokenError::InvalidClaim { claim, .. } if claim == "exp")),
        ("exp negative", with_claims(w, |c| c["exp"] = json!(-1)), |e| matches!(e, TokenError::Expired { exp: -1, .. })),
        ("exp beyond i64", with_claims(w, |c| c["exp"] = json!(1e300)), |e| matches!(e, TokenError::InvalidClaim { claim, .. } if claim == "exp")),
        ("exp 2^63", with_claims(w, |c| c["exp"] = json!(9_223_372_036_854_775_808u64)), |e| matches!(e, TokenError::InvalidClaim { claim, .. } if claim == "exp")),
        ("exp passed beyond the leeway", with_claims(w, |c| c["exp"] = json!(NOW - 61)), |e| matches!(e, TokenError::Expired { .. })),
        ("nbf in the future beyond the leeway", with_claims(w, |c| c["nbf"] = json!(NOW + 61)), |e| matches!(e, TokenError::NotYetValid { .. })),
        ("iat in the future beyond the leeway", with_claims(w, |c| c["iat"] = json!(NOW + 61)), |e| matches!(e, TokenError::IssuedInFuture { .. })),
        ("iat as an object", with_claims(w, |c| c["iat"] = json!({"t": 1})), |e| matches!(e, TokenError::InvalidClaim { claim, .. } if claim == "iat")),
        ("no exp", with_claims(w, |c| { c.as_object_mut().unwrap().remove("exp"); }), |e| matches!(e, TokenError::MissingClaim(c) if c == "exp")),
        ("empty aud array", with_claims(w, |c| c["aud"] = json!([])), |e| matches!(e, TokenError::AudienceMismatch { found, .. } if found.is_empty())),
        ("aud of the wrong type", with_claims(w, |c| c["aud"] = json!(42)), |e| matches!(e, TokenError::InvalidClaim { claim, .. } if claim == "aud")),
        ("aud array with a number", with_claims(w, |c| c["aud"] = json!(["vault", 1])), |e| matches!(e, TokenError::InvalidClaim { claim, .. } if claim == "aud")),
        ("another audience", with_claims(w, |c| c["aud"] = json!(["sts.amazonaws.com"])), |e| matches!(e, TokenError::AudienceMismatch { .. })),
        ("no aud", with_claims(w, |c| { c.as_object_mut().unwrap().remove("aud"); }), |e| matches!(e, TokenError::MissingClaim(c) if c == "aud")),
        ("another issuer", with_claims(w, |c| c["iss"] = json!("https://evil.example.com")), |e| matches!(e, TokenError::IssuerMismatch { .. })),
        ("iss not a string", with_claims(w, |c| c["iss"] = json!(["https://issuer.example.com"])), |e| matches!(e, TokenError::InvalidClaim { claim, .. } if claim == "iss")),
        ("sub not the service account's", with_claims(w, |c| c["sub"] = json!("system:serviceaccount:kube-system:admin")), |e| matches!(e, TokenError::SubjectMismatch { .. })),
        ("no kubernetes.io claim", with_claims(w, |c| { c.as_object_mut().unwrap().remove("kubernetes.io"); }), |e| matches!(e, TokenError::MissingClaim(c) if c == "kubernetes.io")),
        ("kubernetes.io not an object", with_claims(w, |c| c["kubernetes.io"] = json!("default")), |e| matches!(e, TokenError::InvalidClaim { .. })),
        ("legacy token where projected ones are required", rsa_token(w, &legacy), |e| matches!(e, TokenError::LegacyNotAllowed)),
    ]
}

#[test]
fn every_hostile_token_is_refused_with_its_error() {
    let w = world();
    let cases = cases(&w);
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (name, token, expected) in &cases {
        match check(&w, token) {
            Ok(()) => failures.push(format!("{name}: accepted")),
            Err(e) if !expected(&e) => failures.push(format!("{name}: wrong error {e:?}")),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_good_tokens_pass() {
    let w = world();
    let ok = |token: &str| check(&w, token).unwrap_or_else(|e| panic!("{e}"));
    ok(&rsa_token(&w, &claims()));
    // ES256 with the EC key, and no kid at all (every key is tried).
    ok(&sign(
        &w.ec,
        &json!({"alg": "ES256", "kid": w.ec_kid}),
        claims().to_string().as_bytes(),
    ));
    ok(&sign(
        &w.rsa,
        &json!({"alg": "RS256"}),
        claims().to_string().as_bytes(),
    ));
    ok(&sign(
        &w.rsa,
        &json!({"alg": "PS256", "kid": w.rsa_kid}),
        claims().to_string().as_bytes(),
    ));
    // Within the 60-second leeway, and a float exp truncated as go-jose does.
    ok(&with_claims(&w, |c| c["exp"] = json!(NOW - 59)));
    ok(&with_claims(&w, |c| c["nbf"] = json!(NOW + 59)));
    ok(&with_claims(&w, |c| {
        c["exp"] = json!((NOW + 100) as f64 + 0.75)
    }));
    // aud as a string.
    ok(&with_claims(&w, |c| c["aud"] = json!("vault")));
}

#[test]
fn legacy_tokens_pass_only_when_allowed() {
    let w = world();
    let legacy = legacy_claims();
    let token = rsa_token(&w, &legacy);
    let verified = w.keys.verify(&token, &VerifyOptions::default()).unwrap();
    let rules = KubernetesRules {
        issuers: Some(vec![ISSUER.into()]),
        audiences: Some(vec!["vault".into()]),
        allow_legacy: true,
    };
    rules.validate(&verified.claims, NOW).unwrap();
    let mut forged = legacy.clone();
    forged["sub"] = json!("system:serviceaccount:kube-system:admin");
    let verified = w
        .keys
        .verify(&rsa_token(&w, &forged), &VerifyOptions::default())
        .unwrap();
    assert_eq!(
        rules.validate(&verified.claims, NOW),
        Err(TokenError::Rejected("sub claim is invalid".into()))
    );
}
