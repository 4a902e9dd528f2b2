//! JSON Web Keys (RFC 7517/7518) and key sets, written with kube-apiserver's member order.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::key::{Curve, Key, PrivateKey, PublicKey, RsaPrivate};
use crate::{KeyError, b64};

/// One JWK. Members serialize in go-jose's order, which kube-apiserver's JWKS shows:
/// `use, kty, kid, crv, alg, x, y, n, e`, then the private members.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// `use`: `sig` for signing keys.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Key type: `RSA`, `EC`, `OKP`.
    pub kty: String,
    /// Key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Curve of an EC or OKP key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// The algorithm the key is meant for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// EC x coordinate, or the OKP public key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// RSA modulus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Private exponent (RSA) or private key (EC, OKP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    /// RSA first prime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p: Option<String>,
    /// RSA second prime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// RSA d mod (p − 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dp: Option<String>,
    /// RSA d mod (q − 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dq: Option<String>,
    /// RSA q⁻¹ mod p.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qi: Option<String>,
}

/// A JWK Set: `{"keys":[…]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The keys, in order.
    pub keys: Vec<Jwk>,
}

fn member<'a>(value: &'a Option<String>, name: &str, kty: &str) -> Result<&'a str, KeyError> {
    value
        .as_deref()
        .ok_or_else(|| KeyError::Jwk(format!("an {kty} key needs the member \"{name}\"")))
}

fn decode(value: &str, name: &str) -> Result<Vec<u8>, KeyError> {
    b64::url_decode(value).map_err(|e| KeyError::Jwk(format!("member \"{name}\" {e}")))
}

fn decode_member(value: &Option<String>, name: &str, kty: &str) -> Result<Vec<u8>, KeyError> {
    decode(member(value, name, kty)?, name)
}

fn fixed_len(bytes: Vec<u8>, len: usize, name: &str, what: &str) -> Result<Vec<u8>, KeyError> {
    if bytes.len() != len {
        return Err(KeyError::Jwk(format!(
            "member \"{name}\" is {} bytes; {what} needs exactly {len}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

fn check_alg(jwk: &Jwk, public: &PublicKey) -> Result<(), KeyError> {
    let Some(alg) = jwk.alg.as_deref() else {
        return Ok(());
    };
    let fits = match public {
        PublicKey::Rsa { .. } => matches!(
            alg,
            "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512"
        ),
        PublicKey::Ec { curve, .. } => alg == curve.alg(),
        PublicKey::Ed25519 { .. } => alg == "EdDSA",
    };
    if !fits {
        return Err(KeyError::Jwk(format!(
            "\"alg\": \"{alg}\" cannot be used with an {} key",
            public.describe()
        )));
    }
    Ok(())
}

impl Jwk {
    /// Parses one JWK; duplicate members are rejected.
    pub fn parse(json: &str) -> Result<Jwk, KeyError> {
        serde_json::from_str(json).map_err(|e| KeyError::Jwk(e.to_string()))
    }

    /// Checks the JWK and turns it into a key (private when it carries `d`).
    pub fn to_key(&self) -> Result<Key, KeyError> {
        let kty = self.kty.as_str();
        let key = match kty {
            "RSA" => {
                let n = decode_member(&self.n, "n", kty)?;
                let e = decode_member(&self.e, "e", kty)?;
                match &self.d {
                    None => Key::from_public(PublicKey::Rsa { n, e })?,
                    Some(d) => {
                        let part = |v: &Option<String>, name| decode_member(v, name, "RSA private");
                        Key::from_private(
                            PrivateKey::Rsa(RsaPrivate {
                                n,
                                e,
                                d: decode(d, "d")?,
                                p: part(&self.p, "p")?,
                                q: part(&self.q, "q")?,
                                dp: part(&self.dp, "dp")?,
                                dq: part(&self.dq, "dq")?,
                                qi: part(&self.qi, "qi")?,
                            }),
                            None,
                        )?
                    }
                }
            }
            "EC" => {
                let crv = member(&self.crv, "crv", kty)?;
                let curve = Curve::from_jwk_name(crv)
                    .ok_or_else(|| KeyError::UnsupportedCurve(format!("\"{crv}\"")))?;
                let len = curve.field_len();
                let x = fixed_len(decode_member(&self.x, "x", kty)?, len, "x", crv)?;
                let y = fixed_len(decode_member(&self.y, "y", kty)?, len, "y", crv)?;
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                match &self.d {
                    None => Key::from_public(PublicKey::Ec { curve, point })?,
                    Some(d) => {
                        let d = fixed_len(decode(d, "d")?, len, "d", crv)?;
                        Key::from_private(
                            PrivateKey::Ec {
                                curve,
                                d: Zeroizing::new(d),
                            },
                            Some(&point),
                        )?
                    }
                }
            }
            "OKP" => {
                let crv = member(&self.crv, "crv", kty)?;
                if crv != "Ed25519" {
                    return Err(KeyError::UnsupportedAlgorithm(format!(
                        "OKP curve \"{crv}\""
                    )));
                }
                let x = fixed_len(decode_member(&self.x, "x", kty)?, 32, "x", crv)?;
                let mut xa = [0u8; 32];
                xa.copy_from_slice(&x);
                match &self.d {
                    None => Key::from_public(PublicKey::Ed25519 { x: xa })?,
                    Some(d) => {
                        let d = fixed_len(decode(d, "d")?, 32, "d", crv)?;
                        let mut seed = Zeroizing::new([0u8; 32]);
                        seed.copy_from_slice(&d);
                        Key::from_private(PrivateKey::Ed25519 { seed }, Some(&x))?
                    }
                }
            }
            "oct" => {
                return Err(KeyError::Jwk(
                    "\"kty\": \"oct\" is a shared secret; service-account tokens are verified with public keys".into(),
                ));
            }
            "" => return Err(KeyError::Jwk("\"kty\" is empty".into())),
            other => return Err(KeyError::Jwk(format!("unknown \"kty\": \"{other}\""))),
        };
        check_alg(self, key.public())?;
        Ok(key.with_source_kid(self.kid.clone()))
    }
}

impl Jwks {
    /// Parses a JWKS; duplicate members and duplicate kids are rejected.
    pub fn parse(json: &str) -> Result<Jwks, KeyError> {
        let jwks: Jwks = serde_json::from_str(json).map_err(|e| KeyError::Jwks(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for kid in jwks.keys.iter().filter_map(|k| k.kid.as_deref()) {
            if !seen.insert(kid) {
                return Err(KeyError::DuplicateKid(kid.to_string()));
            }
        }
        Ok(jwks)
    }

    /// Every key of the set, checked.
    pub fn to_keys(&self) -> Result<Vec<Key>, KeyError> {
        if self.keys.is_empty() {
            return Err(KeyError::Jwks("\"keys\" is empty".into()));
        }
        self.keys
            .iter()
            .enumerate()
            .map(|(i, jwk)| {
                jwk.to_key().map_err(|e| match e {
                    KeyError::Jwk(m) => KeyError::Jwks(format!("key {i}: {m}")),
                    other => other,
                })
            })
            .collect()
    }
}

/// The JWK of a key, with `use: "sig"`, its `alg`, the given kid and, when asked, the private members.
pub fn jwk_from_key(key: &Key, kid: Option<String>, include_private: bool) -> Jwk {
    let mut jwk = Jwk {
        use_: Some("sig".into()),
        kty: key.public().kty().into(),
        kid,
        alg: Some(key.public().alg().into()),
        ..Jwk::default()
    };
    match key.public() {
        PublicKey::Rsa { n, e } => {
            jwk.n = Some(b64::url_encode(n));
            jwk.e = Some(b64::url_encode(e));
        }
        PublicKey::Ec { curve, .. } => {
            let (x, y) = key.public().ec_coordinates().unwrap_or_default();
            jwk.crv = Some(curve.jwk_name().into());
            jwk.x = Some(b64::url_encode(x));
            jwk.y = Some(b64::url_encode(y));
        }
        PublicKey::Ed25519 { x } => {
            jwk.crv = Some("Ed25519".into());
            jwk.x = Some(b64::url_encode(x));
        }
    }
    if include_private {
        match key.private() {
            Some(PrivateKey::Rsa(r)) => {
                jwk.d = Some(b64::url_encode(&r.d));
                jwk.p = Some(b64::url_encode(&r.p));
                jwk.q = Some(b64::url_encode(&r.q));
                jwk.dp = Some(b64::url_encode(&r.dp));
                jwk.dq = Some(b64::url_encode(&r.dq));
                jwk.qi = Some(b64::url_encode(&r.qi));
            }
            Some(PrivateKey::Ec { d, .. }) => jwk.d = Some(b64::url_encode(d)),
            Some(PrivateKey::Ed25519 { seed }) => jwk.d = Some(b64::url_encode(seed.as_ref())),
            None => {}
        }
    }
    jwk
}

/// Serializes a JWKS compactly, byte for byte as kube-apiserver serves it.
pub fn jwks_document(jwks: &Jwks) -> Result<String, KeyError> {
    // Strings and options always serialize; an error would still be one, never empty JSON.
    serde_json::to_string(jwks).map_err(|e| KeyError::Jwks(format!("cannot be written: {e}")))
}
