//! The request handling of `kwi sts serve`, without HTTP: each parameter, token and policy
//! failure gets STS's code and status; a good request gets credentials.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kwi_jose::{Key, KeySet, KeySpec, SigningKey, generate};
use kwi_sts::{Config, Incoming, KeySource, Provider, Sts, StsError, answer};
use serde_json::json;

const NOW: i64 = 1_800_000_000;
const ISS: &str = "https://oidc.example.com";
const ROLE: &str = "arn:aws:iam::111122223333:role/app";
const SUB: &str = "system:serviceaccount:default:app";

struct Fixed(Vec<(Key, Option<String>)>);

impl KeySource for Fixed {
    async fn keys(
        &self,
        _provider: &Provider,
        _kid: Option<&str>,
    ) -> Result<std::sync::Arc<KeySet>, StsError> {
        Ok(std::sync::Arc::new(KeySet::new(self.0.clone()).unwrap()))
    }
}

fn config(max: u32) -> Config {
    Config::parse(&format!(
        r#"account = "111122223333"
[[provider]]
url = "{ISS}"
client_ids = ["sts.amazonaws.com"]
[[role]]
arn = "{ROLE}"
max_session_duration = {max}
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.example.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"oidc.example.com:sub":"{SUB}","oidc.example.com:aud":"sts.amazonaws.com"}}}}}}]}}'''
"#
    ))
    .unwrap()
}

struct Env {
    sts: Sts<Fixed>,
    signer: SigningKey,
}

fn env() -> Env {
    let key = generate(KeySpec::Rsa { bits: 2048 }).unwrap();
    let signer = SigningKey::new(&key, None, Some("k1".into())).unwrap();
    Env {
        sts: Sts::new(
            config(7200),
            Fixed(vec![(key.to_public(), Some("k1".into()))]),
        ),
        signer,
    }
}

fn claims() -> serde_json::Value {
    json!({"iss": ISS, "sub": SUB, "aud": ["sts.amazonaws.com"],
           "exp": NOW + 3600, "iat": NOW, "nbf": NOW})
}

fn params(token: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = [
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", ROLE),
        ("RoleSessionName", "botocore-session-1"),
        ("WebIdentityToken", token),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        p.retain(|(name, _)| name != k);
        if !v.is_empty() {
            p.push((k.to_string(), v.to_string()));
        }
    }
    p
}

fn incoming(params: &[(String, String)]) -> Incoming<'_> {
    Incoming {
        params,
        credential: None,
    }
}

fn code(xml: &str) -> &str {
    let start = xml.find("<Code>").map(|i| i + 6).unwrap_or(0);
    let end = xml.find("</Code>").unwrap_or(0);
    &xml[start..end]
}

async fn ask(env: &Env, claims: serde_json::Value, extra: &[(&str, &str)]) -> (u16, String) {
    let token = env.signer.sign(claims.to_string().as_bytes()).unwrap();
    answer(&env.sts, incoming(&params(&token, extra)), NOW, "req-1").await
}

fn with(key: &str, value: serde_json::Value) -> serde_json::Value {
    let mut c = claims();
    c[key] = value;
    c
}

#[tokio::test]
async fn a_good_request_gets_credentials_for_the_requested_duration() {
    let env = env();
    let (status, xml) = ask(&env, claims(), &[("DurationSeconds", "7200")]).await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains(&format!(
        "<SubjectFromWebIdentityToken>{SUB}</SubjectFromWebIdentityToken>"
    )));
    assert!(xml.contains("<Audience>sts.amazonaws.com</Audience>"));
    assert!(xml.contains(&format!("<Provider>{ISS}</Provider>")));
    assert!(
        xml.contains("<Arn>arn:aws:sts::111122223333:assumed-role/app/botocore-session-1</Arn>")
    );
    let expected = kwi_jose::time::format_rfc3339(NOW + 7200);
    assert!(
        xml.contains(&format!("<Expiration>{expected}</Expiration>")),
        "{xml}"
    );
    assert!(xml.contains("<AccessKeyId>ASIA"));
}

#[tokio::test]
async fn each_refusal_gets_stss_code_and_status() {
    let env = env();
    let other = generate(KeySpec::Rsa { bits: 2048 }).unwrap();
    let forged = SigningKey::new(&other, None, Some("k1".into()))
        .unwrap()
        .sign(claims().to_string().as_bytes())
        .unwrap();
    let unknown_kid = SigningKey::new(&other, None, Some("k9".into()))
        .unwrap()
        .sign(claims().to_string().as_bytes())
        .unwrap();
    let cases: Vec<(&str, (u16, String), &str, &str)> = vec![
        (
            "wrong audience",
            ask(&env, with("aud", json!("sts.amazon.com")), &[]).await,
            "InvalidIdentityToken",
            "Incorrect token audience",
        ),
        (
            "issuer with a trailing slash",
            ask(&env, with("iss", json!(format!("{ISS}/"))), &[]).await,
            "InvalidIdentityToken",
            "No OpenIDConnect provider found in your account for https://oidc.example.com/",
        ),
        (
            "expired",
            ask(&env, with("exp", json!(NOW - 1)), &[]).await,
            "ExpiredTokenException",
            "Token expired: current date/time",
        ),
        (
            "issued in the future",
            ask(&env, with("iat", json!(NOW + 600)), &[]).await,
            "InvalidIdentityToken",
            "in the future",
        ),
        (
            "float time",
            ask(&env, with("exp", json!(NOW as f64 + 0.5)), &[]).await,
            "InvalidIdentityToken",
            "integer",
        ),
        (
            "other subject",
            ask(
                &env,
                with("sub", json!("system:serviceaccount:default:other")),
                &[],
            )
            .await,
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        ),
        (
            "unknown role",
            ask(
                &env,
                claims(),
                &[("RoleArn", "arn:aws:iam::111122223333:role/nope")],
            )
            .await,
            "AccessDenied",
            "Not authorized",
        ),
        (
            "duration over the role's maximum",
            ask(&env, claims(), &[("DurationSeconds", "7201")]).await,
            "ValidationError",
            "exceeds the MaxSessionDuration",
        ),
        (
            "duration under 900",
            ask(&env, claims(), &[("DurationSeconds", "899")]).await,
            "ValidationError",
            "greater than or equal to 900",
        ),
        (
            "bad session name",
            ask(&env, claims(), &[("RoleSessionName", "a b")]).await,
            "ValidationError",
            "regular expression",
        ),
        (
            "no role ARN",
            ask(&env, claims(), &[("RoleArn", "")]).await,
            "ValidationError",
            "Value null at 'roleArn'",
        ),
        (
            "other action",
            ask(&env, claims(), &[("Action", "AssumeRole")]).await,
            "InvalidAction",
            "Could not find operation AssumeRole",
        ),
        (
            "forged signature",
            answer(&env.sts, incoming(&params(&forged, &[])), NOW, "r").await,
            "InvalidIdentityToken",
            "signature",
        ),
        (
            "kid not published",
            answer(&env.sts, incoming(&params(&unknown_kid, &[])), NOW, "r").await,
            "InvalidIdentityToken",
            "Couldn't retrieve verification key",
        ),
        (
            "not a JWT",
            answer(&env.sts, incoming(&params("abcd.efgh", &[])), NOW, "r").await,
            "InvalidIdentityToken",
            "not a valid JWT",
        ),
        (
            "token too short",
            answer(&env.sts, incoming(&params("abc", &[])), NOW, "r").await,
            "ValidationError",
            "greater than or equal to 4",
        ),
    ];
    for (name, (status, xml), want_code, want_message) in cases {
        assert_eq!(code(&xml), want_code, "{name}: {xml}");
        let want_status = if want_code == "AccessDenied" {
            403
        } else {
            400
        };
        assert_eq!(status, want_status, "{name}");
        assert!(xml.contains(want_message), "{name}: {xml}");
    }
}

#[tokio::test]
async fn a_token_older_than_max_token_age_is_too_old_as_sts_says() {
    let mut env = env();
    env.sts.config.max_token_age = Some(86_400);
    let old = with("iat", json!(NOW - 153_938));
    let (status, xml) = ask(&env, with_exp(old, NOW + 3600), &[]).await;
    assert_eq!(
        (status, code(&xml)),
        (400, "ExpiredTokenException"),
        "{xml}"
    );
    assert!(
        xml.contains("<Message>Token too old: 153938</Message>"),
        "{xml}"
    );
    let young = with("iat", json!(NOW - 3600));
    let (status, xml) = ask(&env, young, &[]).await;
    assert_eq!(status, 200, "{xml}");
    // without max_token_age, no age limit: only exp counts
    env.sts.config.max_token_age = None;
    let old = with("iat", json!(NOW - 153_938));
    let (status, xml) = ask(&env, with_exp(old, NOW + 3600), &[]).await;
    assert_eq!(status, 200, "{xml}");
}

fn with_exp(mut claims: serde_json::Value, exp: i64) -> serde_json::Value {
    claims["exp"] = json!(exp);
    claims
}
