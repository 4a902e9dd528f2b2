//! The DER containers of keys: SubjectPublicKeyInfo, PKCS#8, PKCS#1, SEC1 and X.509 certificates.

use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier, OctetStringRef, UintRef};
use der::{Decode, Encode, SliceReader, Tag, Tagged};
use pkcs1::{RsaPrivateKey, RsaPublicKey};
use pkcs8::PrivateKeyInfoRef;
use sec1::{EcParameters, EcPrivateKey};
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use crate::KeyError;
use crate::key::{Curve, Key, PrivateKey, PublicKey, RsaPrivate, left_pad, trim_zeros};

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

fn curve_oid(curve: Curve) -> ObjectIdentifier {
    match curve {
        Curve::P256 => P256,
        Curve::P384 => P384,
        Curve::P521 => P521,
    }
}

/// Names the algorithms people actually run into, so the error says more than an OID.
fn algorithm_name(oid: ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS (RSA-PSS-only keys)",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.3.101.113" => "Ed448",
        "1.2.840.10046.2.1" => "Diffie-Hellman",
        "1.2.643.7.1.1.1.1" | "1.2.643.7.1.1.1.2" => "GOST R 34.10-2012",
        "1.2.156.10197.1.301" => "SM2",
        _ => return format!("with OID {oid}"),
    };
    format!("{name} ({oid})")
}

fn curve_name(oid: ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.3.132.0.10" => "secp256k1",
        "1.2.840.10045.3.1.1" => "P-192 (prime192v1)",
        "1.3.132.0.33" => "P-224 (secp224r1)",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        "1.2.156.10197.1.301" => "SM2",
        _ => return format!("with OID {oid}"),
    };
    format!("{name} ({oid})")
}

pub(crate) fn curve_from_oid(oid: ObjectIdentifier) -> Result<Curve, KeyError> {
    match oid {
        P256 => Ok(Curve::P256),
        P384 => Ok(Curve::P384),
        P521 => Ok(Curve::P521),
        other => Err(KeyError::UnsupportedCurve(curve_name(other))),
    }
}

fn explicit_curve() -> KeyError {
    KeyError::UnsupportedCurve(
        "given by explicit parameters; re-encode the key with the named curve: openssl ec -in KEY -param_enc named_curve -out KEY.named".into(),
    )
}

/// Whether a SEC1 key spells its curve out (`[0] SEQUENCE`) instead of naming it by OID.
fn sec1_has_explicit_curve(der: &[u8]) -> bool {
    let walk = || -> der::Result<bool> {
        let outer = AnyRef::from_der(der)?;
        let mut fields = SliceReader::new(outer.value())?;
        AnyRef::decode(&mut fields)?; // version
        AnyRef::decode(&mut fields)?; // privateKey
        let params = AnyRef::decode(&mut fields)?;
        Ok(params.tag().is_context_specific() && params.value().first() == Some(&0x30))
    };
    walk().unwrap_or(false)
}

/// The curve of an `EC PARAMETERS` block or of an algorithm identifier's parameters.
pub(crate) fn curve_from_parameters(params: Option<AnyRef<'_>>) -> Result<Curve, KeyError> {
    let Some(params) = params else {
        return Err(KeyError::der(
            "EC key",
            "the algorithm identifier names no curve",
        ));
    };
    if params.tag() != Tag::ObjectIdentifier {
        return Err(explicit_curve());
    }
    let oid: ObjectIdentifier = params
        .decode_as()
        .map_err(|e| KeyError::der("EC curve OID", e))?;
    curve_from_oid(oid)
}

/// Reads an `EC PARAMETERS` block (a named-curve OID).
pub(crate) fn curve_from_ec_parameters(der: &[u8]) -> Result<Curve, KeyError> {
    let any = AnyRef::from_der(der).map_err(|e| KeyError::der("EC PARAMETERS", e))?;
    curve_from_parameters(Some(any))
}

fn public_from_algorithm(
    alg: &AlgorithmIdentifierRef<'_>,
    key_bits: &[u8],
) -> Result<Key, KeyError> {
    match alg.oid {
        RSA_ENCRYPTION => {
            let rsa = RsaPublicKey::<UintRef<'_>>::from_der(key_bits)
                .map_err(|e| KeyError::der("RSA public key", e))?;
            Key::from_public(PublicKey::Rsa {
                n: rsa.modulus.as_bytes().to_vec(),
                e: rsa.public_exponent.as_bytes().to_vec(),
            })
        }
        EC_PUBLIC_KEY => Key::from_public(PublicKey::Ec {
            curve: curve_from_parameters(alg.parameters)?,
            point: key_bits.to_vec(),
        }),
        ED25519 => {
            let x: [u8; 32] = key_bits.try_into().map_err(|_| KeyError::InvalidKey {
                what: "Ed25519 public key",
                detail: format!("{} bytes instead of 32", key_bits.len()),
            })?;
            Key::from_public(PublicKey::Ed25519 { x })
        }
        other => Err(KeyError::UnsupportedAlgorithm(algorithm_name(other))),
    }
}

/// Reads a DER SubjectPublicKeyInfo (`PUBLIC KEY`).
pub fn key_from_spki(der: &[u8]) -> Result<Key, KeyError> {
    let spki = SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|e| KeyError::der("SubjectPublicKeyInfo", e))?;
    let bits = spki.subject_public_key.as_bytes().ok_or_else(|| {
        KeyError::der("SubjectPublicKeyInfo", "the key BIT STRING has unused bits")
    })?;
    public_from_algorithm(&spki.algorithm, bits)
}

/// Reads a DER PKCS#1 `RSAPublicKey` (`RSA PUBLIC KEY`).
pub(crate) fn key_from_pkcs1_public(der: &[u8]) -> Result<Key, KeyError> {
    let rsa = RsaPublicKey::<UintRef<'_>>::from_der(der)
        .map_err(|e| KeyError::der("PKCS#1 RSA public key", e))?;
    Key::from_public(PublicKey::Rsa {
        n: rsa.modulus.as_bytes().to_vec(),
        e: rsa.public_exponent.as_bytes().to_vec(),
    })
}

/// Reads a DER PKCS#1 `RSAPrivateKey` (`RSA PRIVATE KEY`).
pub(crate) fn key_from_pkcs1_private(der: &[u8]) -> Result<Key, KeyError> {
    let rsa = RsaPrivateKey::<UintRef<'_>>::from_der(der)
        .map_err(|e| KeyError::der("PKCS#1 RSA private key", e))?;
    if rsa.other_prime_infos.is_some() {
        return Err(KeyError::InvalidKey {
            what: "RSA private key",
            detail: "multi-prime RSA keys are not supported".into(),
        });
    }
    let owned = |u: UintRef<'_>| u.as_bytes().to_vec();
    Key::from_private(
        PrivateKey::Rsa(RsaPrivate {
            n: owned(rsa.modulus),
            e: owned(rsa.public_exponent),
            d: owned(rsa.private_exponent),
            p: owned(rsa.prime1),
            q: owned(rsa.prime2),
            dp: owned(rsa.exponent1),
            dq: owned(rsa.exponent2),
            qi: owned(rsa.coefficient),
        }),
        None,
    )
}

/// Reads a DER SEC1 `ECPrivateKey` (`EC PRIVATE KEY`); `outer_curve` comes from a preceding
/// `EC PARAMETERS` block or a PKCS#8 algorithm identifier.
pub(crate) fn key_from_sec1(der: &[u8], outer_curve: Option<Curve>) -> Result<Key, KeyError> {
    let ec = EcPrivateKey::from_der(der).map_err(|e| {
        if sec1_has_explicit_curve(der) {
            explicit_curve()
        } else {
            KeyError::der("SEC1 EC private key", e)
        }
    })?;
    let inner_curve = match ec.parameters {
        Some(params) => Some(curve_from_oid(params.named_curve().ok_or_else(|| {
            KeyError::UnsupportedCurve("given by explicit parameters".into())
        })?)?),
        None => None,
    };
    let curve = match (inner_curve, outer_curve) {
        (Some(a), Some(b)) if a != b => {
            return Err(KeyError::InvalidKey {
                what: "EC private key",
                detail: format!(
                    "it says curve {} but its parameters say {}",
                    a.jwk_name(),
                    b.jwk_name()
                ),
            });
        }
        (Some(c), _) | (None, Some(c)) => c,
        (None, None) => {
            return Err(KeyError::der(
                "SEC1 EC private key",
                "it names no curve (and no EC PARAMETERS block precedes it)",
            ));
        }
    };
    let d = left_pad(ec.private_key, curve.field_len()).ok_or_else(|| KeyError::InvalidKey {
        what: "EC private key",
        detail: format!("the scalar is longer than {} bytes", curve.field_len()),
    })?;
    Key::from_private(
        PrivateKey::Ec {
            curve,
            d: Zeroizing::new(d),
        },
        ec.public_key,
    )
}

/// Reads a DER PKCS#8 `PrivateKeyInfo` (`PRIVATE KEY`), v1 or v2.
pub(crate) fn key_from_pkcs8(der: &[u8]) -> Result<Key, KeyError> {
    let info =
        PrivateKeyInfoRef::from_der(der).map_err(|e| KeyError::der("PKCS#8 private key", e))?;
    let inner = info.private_key.as_bytes();
    let stored_public = info.public_key.and_then(|b| b.as_bytes());
    match info.algorithm.oid {
        RSA_ENCRYPTION => key_from_pkcs1_private(inner),
        EC_PUBLIC_KEY => key_from_sec1(
            inner,
            Some(curve_from_parameters(info.algorithm.parameters)?),
        ),
        ED25519 => {
            let seed = <&OctetStringRef>::from_der(inner)
                .map_err(|e| KeyError::der("Ed25519 private key", e))?;
            let seed: [u8; 32] = seed
                .as_bytes()
                .try_into()
                .map_err(|_| KeyError::InvalidKey {
                    what: "Ed25519 private key",
                    detail: format!("the seed is {} bytes instead of 32", seed.as_bytes().len()),
                })?;
            Key::from_private(
                PrivateKey::Ed25519 {
                    seed: Zeroizing::new(seed),
                },
                stored_public,
            )
        }
        RSASSA_PSS => Err(KeyError::UnsupportedAlgorithm(algorithm_name(RSASSA_PSS))),
        other => Err(KeyError::UnsupportedAlgorithm(algorithm_name(other))),
    }
}

/// Reads the public key of a DER X.509 certificate (`CERTIFICATE`).
pub fn key_from_certificate(der: &[u8]) -> Result<Key, KeyError> {
    let bad = |e: der::Error| KeyError::der("X.509 certificate", e);
    let cert = AnyRef::from_der(der).map_err(bad)?;
    let mut outer = SliceReader::new(cert.value()).map_err(bad)?;
    let tbs = AnyRef::decode(&mut outer).map_err(bad)?;
    let mut fields = SliceReader::new(tbs.value()).map_err(bad)?;
    // [0] version (optional), serialNumber, signature, issuer, validity, subject, then the key.
    let first = AnyRef::decode(&mut fields).map_err(bad)?;
    let skip = if first.tag().is_context_specific() {
        5
    } else {
        4
    };
    for _ in 0..skip {
        AnyRef::decode(&mut fields).map_err(bad)?;
    }
    let spki = AnyRef::decode(&mut fields).map_err(bad)?;
    key_from_spki(&spki.to_der().map_err(bad)?)
}

fn encode_err(e: der::Error) -> KeyError {
    KeyError::CannotEncode(format!("DER encoding failed: {e}"))
}

fn uint(be: &[u8]) -> Result<UintRef<'_>, KeyError> {
    UintRef::new(trim_zeros(be)).map_err(encode_err)
}

pub(crate) fn pkcs1_public_der_parts(n: &[u8], e: &[u8]) -> Result<Vec<u8>, KeyError> {
    RsaPublicKey {
        modulus: uint(n)?,
        public_exponent: uint(e)?,
    }
    .to_der()
    .map_err(encode_err)
}

pub(crate) fn pkcs1_private_der_parts(k: &RsaPrivate) -> Result<Vec<u8>, KeyError> {
    RsaPrivateKey {
        modulus: uint(&k.n)?,
        public_exponent: uint(&k.e)?,
        private_exponent: uint(&k.d)?,
        prime1: uint(&k.p)?,
        prime2: uint(&k.q)?,
        exponent1: uint(&k.dp)?,
        exponent2: uint(&k.dq)?,
        coefficient: uint(&k.qi)?,
        other_prime_infos: None,
    }
    .to_der()
    .map_err(encode_err)
}

pub(crate) fn sec1_der_parts(
    curve: Curve,
    d: &[u8],
    point: Option<&[u8]>,
) -> Result<Vec<u8>, KeyError> {
    EcPrivateKey {
        private_key: d,
        parameters: Some(EcParameters::NamedCurve(curve_oid(curve))),
        public_key: point,
    }
    .to_der()
    .map_err(encode_err)
}

fn need_private<'a>(key: &'a Key, format: &str) -> Result<&'a PrivateKey, KeyError> {
    key.private().ok_or_else(|| {
        KeyError::CannotEncode(format!(
            "{format} holds a private key, and this is a {}",
            key.describe()
        ))
    })
}

/// The DER SubjectPublicKeyInfo of a key (the public half of a private key).
pub fn spki_der(key: &Key) -> Result<Vec<u8>, KeyError> {
    let curve_oid_value;
    let (oid, parameters, bits) = match key.public() {
        PublicKey::Rsa { n, e } => (
            RSA_ENCRYPTION,
            Some(AnyRef::new(Tag::Null, &[]).map_err(encode_err)?),
            pkcs1_public_der_parts(n, e)?,
        ),
        PublicKey::Ec { curve, point } => {
            curve_oid_value = curve_oid(*curve);
            let params = AnyRef::new(Tag::ObjectIdentifier, curve_oid_value.as_bytes())
                .map_err(encode_err)?;
            (EC_PUBLIC_KEY, Some(params), point.clone())
        }
        PublicKey::Ed25519 { x } => (ED25519, None, x.to_vec()),
    };
    SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef { oid, parameters },
        subject_public_key: BitStringRef::from_bytes(&bits).map_err(encode_err)?,
    }
    .to_der()
    .map_err(encode_err)
}

/// The DER PKCS#1 `RSAPublicKey` of an RSA key.
pub fn pkcs1_public_der(key: &Key) -> Result<Vec<u8>, KeyError> {
    match key.public() {
        PublicKey::Rsa { n, e } => pkcs1_public_der_parts(n, e),
        _ => Err(KeyError::CannotEncode(format!(
            "PKCS#1 holds RSA keys only, and this is an {}",
            key.describe()
        ))),
    }
}

/// The DER PKCS#1 `RSAPrivateKey` of an RSA private key.
pub fn pkcs1_private_der(key: &Key) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    match need_private(key, "PKCS#1 RSA PRIVATE KEY")? {
        PrivateKey::Rsa(rsa) => Ok(Zeroizing::new(pkcs1_private_der_parts(rsa)?)),
        _ => Err(KeyError::CannotEncode(format!(
            "PKCS#1 holds RSA keys only, and this is an {}; use --to pkcs8{}",
            key.describe(),
            if matches!(key.public(), PublicKey::Ec { .. }) {
                " or --to sec1"
            } else {
                ""
            }
        ))),
    }
}

/// The DER SEC1 `ECPrivateKey` of an EC private key, with the named curve and the public point.
pub fn sec1_der(key: &Key) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    match (need_private(key, "SEC1 EC PRIVATE KEY")?, key.public()) {
        (PrivateKey::Ec { curve, d }, PublicKey::Ec { point, .. }) => {
            Ok(Zeroizing::new(sec1_der_parts(*curve, d, Some(point))?))
        }
        _ => Err(KeyError::CannotEncode(format!(
            "SEC1 holds EC keys only, and this is an {}; use --to pkcs8",
            key.describe()
        ))),
    }
}

/// The DER PKCS#8 v1 `PrivateKeyInfo` of a private key.
pub fn pkcs8_der(key: &Key) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let private = need_private(key, "PKCS#8 PRIVATE KEY")?;
    let null = AnyRef::new(Tag::Null, &[]).map_err(encode_err)?;
    let curve_oid_value;
    let (oid, parameters, inner) = match (private, key.public()) {
        (PrivateKey::Rsa(rsa), _) => (
            RSA_ENCRYPTION,
            Some(null),
            Zeroizing::new(pkcs1_private_der_parts(rsa)?),
        ),
        (PrivateKey::Ec { curve, d }, PublicKey::Ec { point, .. }) => {
            curve_oid_value = curve_oid(*curve);
            let inner = EcPrivateKey {
                private_key: d,
                parameters: None,
                public_key: Some(point),
            }
            .to_der()
            .map_err(encode_err)?;
            let params = AnyRef::new(Tag::ObjectIdentifier, curve_oid_value.as_bytes())
                .map_err(encode_err)?;
            (EC_PUBLIC_KEY, Some(params), Zeroizing::new(inner))
        }
        (PrivateKey::Ed25519 { seed }, _) => {
            let inner = OctetStringRef::new(seed.as_ref())
                .map_err(encode_err)?
                .to_der()
                .map_err(encode_err)?;
            (ED25519, None, Zeroizing::new(inner))
        }
        _ => {
            return Err(KeyError::CannotEncode(
                "the private and public halves disagree".into(),
            ));
        }
    };
    let info = PrivateKeyInfoRef::new(
        AlgorithmIdentifierRef { oid, parameters },
        OctetStringRef::new(&inner).map_err(encode_err)?,
    );
    Ok(Zeroizing::new(info.to_der().map_err(encode_err)?))
}
