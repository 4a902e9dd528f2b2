//! The typed claims agree with a plain reading of the same object through serde_json: the
//! values, the identity (projected or legacy) and, for claims of the wrong type, which one is
//! reported first and how. Random objects put every kind of value in every typed slot.
#![allow(clippy::unwrap_used, clippy::panic)]

use kwi_jose::legacy;
use serde_json::{Map, Value, json};

mod claims_reference;
use claims_reference::{LEGACY_ISSUER, expected, read};

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
            json!(["a", "b", "c", "d\u{e9}", "e"]),
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
        let mut json = serde_json::to_string(&m).unwrap();
        // The same object written with escapes: `\/` for every `/` (what PHP writes; it
        // reaches the legacy issuer and the legacy claim names), names spelt with `\u`.
        if r.below(3) == 0 {
            json = json.replace('/', "\\/");
        }
        if r.below(3) == 0 {
            json = json
                .replace("\"sub\":", "\"\\u0073ub\":")
                .replace("\"kubernetes.io\":", "\"kubernetes\\u002eio\":")
                .replace("\"name\":", "\"n\\u0061me\":");
        }
        let want = expected(&m);
        assert_eq!(read(json.as_bytes()), Some(want.clone()), "{json}");
        match want {
            Ok(_) => accepted += 1,
            Err(_) => refused += 1,
        }
    }
    // Both outcomes are well represented.
    assert!(accepted > 5_000 && refused > 5_000, "{accepted} {refused}");
}
