//! The typed claims agree with a plain reading of the same object through serde_json: the
//! values, the identity (projected or legacy) and, for claims of the wrong type, which one is
//! reported first and how. Random objects put every kind of value in every typed slot.
#![allow(clippy::unwrap_used, clippy::panic)]

use kwi_jose::{Claims, ObjectRef, ServiceAccountIdentity, TokenError, legacy};
use serde_json::{Map, Value, json};

const LIMIT: f64 = 253_402_300_799.0;
const LEGACY_ISSUER: &str = "kubernetes/serviceaccount";

type Wrong = (String, String);

fn kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong(claim: &str, reason: impl Into<String>) -> Wrong {
    (claim.to_string(), reason.into())
}

fn string(v: Option<&Value>, claim: &str) -> Result<Option<String>, Wrong> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(wrong(claim, format!("must be a string, not {}", kind(v)))),
    }
}

fn date(v: Option<&Value>, claim: &str) -> Result<Option<i64>, Wrong> {
    match v {
        None => Ok(None),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) if (i as f64).abs() <= LIMIT => Ok(Some(i)),
            (None, Some(f)) if f.abs() <= LIMIT => Ok(Some(f.trunc() as i64)),
            _ => Err(wrong(claim, "is beyond the range of dates")),
        },
        Some(v) => Err(wrong(
            claim,
            format!("must be a number of seconds (NumericDate), not {}", kind(v)),
        )),
    }
}

fn reference(v: Option<&Value>, claim: &str) -> Result<Option<ObjectRef>, Wrong> {
    let Some(v) = v else { return Ok(None) };
    let Value::Object(o) = v else {
        return Err(wrong(claim, "must be an object"));
    };
    let member = |name: &str| match o.get(name) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(wrong(claim, format!("member {name:?} must be a string"))),
    };
    Ok(Some(ObjectRef {
        name: member("name")?,
        uid: member("uid")?,
    }))
}

/// What a claims object should read as, straight from its JSON tree.
#[derive(Debug, PartialEq)]
struct Expected {
    iss: Option<String>,
    sub: Option<String>,
    jti: Option<String>,
    aud: Option<Vec<String>>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    identity: Option<ServiceAccountIdentity>,
}

fn expected(m: &Map<String, Value>) -> Result<Expected, Wrong> {
    let iss = string(m.get("iss"), "iss")?;
    let identity = if let Some(k8s) = m.get("kubernetes.io") {
        let Value::Object(k) = k8s else {
            return Err(wrong("kubernetes.io", "must be an object"));
        };
        let namespace = match k.get("namespace") {
            None => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(wrong(
                    "kubernetes.io",
                    "member \"namespace\" must be a string",
                ));
            }
        };
        let service_account = reference(k.get("serviceaccount"), "kubernetes.io.serviceaccount")?;
        let pod = reference(k.get("pod"), "kubernetes.io.pod")?;
        let node = reference(k.get("node"), "kubernetes.io.node")?;
        let secret = reference(k.get("secret"), "kubernetes.io.secret")?;
        Some(ServiceAccountIdentity {
            namespace,
            service_account: service_account.unwrap_or_default(),
            pod,
            node,
            secret,
            warn_after: date(k.get("warnafter"), "kubernetes.io.warnafter")?,
            legacy: false,
        })
    } else if iss.as_deref() == Some(LEGACY_ISSUER) || m.contains_key(legacy::NAMESPACE) {
        let get = |name: &str| string(m.get(name), name).map(Option::unwrap_or_default);
        Some(ServiceAccountIdentity {
            namespace: get(legacy::NAMESPACE)?,
            service_account: ObjectRef {
                name: get(legacy::SERVICE_ACCOUNT_NAME)?,
                uid: get(legacy::SERVICE_ACCOUNT_UID)?,
            },
            secret: Some(ObjectRef {
                name: get(legacy::SECRET_NAME)?,
                uid: String::new(),
            }),
            legacy: true,
            ..ServiceAccountIdentity::default()
        })
    } else {
        None
    };
    let sub = string(m.get("sub"), "sub")?;
    let aud = match m.get("aud") {
        None => None,
        Some(Value::String(s)) => Some(vec![s.clone()]),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Some(
            items
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect(),
        ),
        Some(_) => return Err(wrong("aud", "must be a string or an array of strings")),
    };
    Ok(Expected {
        iss,
        sub,
        aud,
        exp: date(m.get("exp"), "exp")?,
        nbf: date(m.get("nbf"), "nbf")?,
        iat: date(m.get("iat"), "iat")?,
        jti: string(m.get("jti"), "jti")?,
        identity,
    })
}

fn read(json: &str) -> Result<Expected, Wrong> {
    match Claims::parse(json.as_bytes()) {
        Ok(c) => Ok(Expected {
            iss: c.iss().map(str::to_string),
            sub: c.sub().map(str::to_string),
            jti: c.jti().map(str::to_string),
            aud: c.aud_list(),
            exp: c.exp,
            nbf: c.nbf,
            iat: c.iat,
            identity: c.service_account(),
        }),
        Err(TokenError::InvalidClaim { claim, reason }) => Err((claim, reason)),
        Err(other) => panic!("{json}: {other}"),
    }
}

/// xorshift64: the same objects on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    /// Mostly the right value or nothing, sometimes a value of any other shape.
    fn value(&mut self, good: Value) -> Option<Value> {
        let others = [
            json!("text"),
            json!("esc\"aped \u{e9}"),
            json!(17),
            json!(1.5),
            json!(1e300),
            json!(-1e13),
            json!(u64::MAX),
            json!(true),
            Value::Null,
            json!([]),
            json!(["a", "b"]),
            json!([1]),
            json!({}),
            json!({"name": "n", "uid": "u"}),
        ];
        match self.below(40) {
            0..=9 => None,
            10..=36 => Some(good),
            _ => Some(others[self.below(others.len())].clone()),
        }
    }
}

#[test]
fn typed_claims_agree_with_a_plain_reading() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..20_000 {
        let mut m = Map::new();
        let put = |m: &mut Map<String, Value>, r: &mut Rng, name: &str, good: Value| {
            if let Some(v) = r.value(good) {
                m.insert(name.into(), v);
            }
        };
        let iss = if r.below(4) == 0 {
            LEGACY_ISSUER
        } else {
            "https://i\\u0073suer"
        };
        put(&mut m, &mut r, "iss", json!(iss));
        put(&mut m, &mut r, "sub", json!("system:serviceaccount:ns:sa"));
        put(&mut m, &mut r, "jti", json!("j"));
        put(&mut m, &mut r, "aud", json!(["a", "b\"c"]));
        put(&mut m, &mut r, "exp", json!(1_800_000_000));
        put(&mut m, &mut r, "nbf", json!(1_700_000_000.75));
        put(&mut m, &mut r, "iat", json!(1_700_000_000));
        put(&mut m, &mut r, "other", json!({"nested": [1, {"x": null}]}));
        if r.below(2) == 0 {
            let mut k = Map::new();
            put(&mut k, &mut r, "namespace", json!("ns"));
            for name in ["serviceaccount", "pod", "node", "secret"] {
                let mut o = Map::new();
                put(&mut o, &mut r, "name", json!("n\u{e9}"));
                put(&mut o, &mut r, "uid", json!("u"));
                if r.below(3) > 0 {
                    let value = match r.below(6) {
                        0 => r.value(json!(1)).unwrap_or(Value::Null),
                        _ => Value::Object(o),
                    };
                    k.insert(name.into(), value);
                }
            }
            put(&mut k, &mut r, "warnafter", json!(1_750_000_000));
            let k8s = match r.below(8) {
                0 => json!([k]),
                _ => Value::Object(k),
            };
            m.insert("kubernetes.io".into(), k8s);
        }
        for name in [
            legacy::NAMESPACE,
            legacy::SECRET_NAME,
            legacy::SERVICE_ACCOUNT_NAME,
            legacy::SERVICE_ACCOUNT_UID,
        ] {
            if r.below(2) == 0 {
                put(&mut m, &mut r, name, json!("x"));
            }
        }
        let json = serde_json::to_string(&m).unwrap();
        let want = expected(&m);
        assert_eq!(read(&json), want, "{json}");
        match want {
            Ok(_) => accepted += 1,
            Err(_) => refused += 1,
        }
    }
    // Both outcomes are well represented.
    assert!(accepted > 5_000 && refused > 5_000, "{accepted} {refused}");
}
