//! The key model: one typed value per key, whatever format it was read from.
//!
//! A [`Key`] is only ever built through [`Key::from_public`] or [`Key::from_private`], which check
//! the material with aws-lc (point on the curve, RSA factors consistent, size limits), so code
//! that holds a `Key` never re-checks it.

use aws_lc_rs::signature::{self, EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::KeyError;

/// The NIST curves Kubernetes signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    /// P-256 (secp256r1), alg ES256.
    P256,
    /// P-384 (secp384r1), alg ES384.
    P384,
    /// P-521 (secp521r1), alg ES512.
    P521,
}

impl Curve {
    /// The JWK `crv` name.
    pub fn jwk_name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    /// The curve named by a JWK `crv`.
    pub fn from_jwk_name(name: &str) -> Option<Curve> {
        [Curve::P256, Curve::P384, Curve::P521]
            .into_iter()
            .find(|c| c.jwk_name() == name)
    }

    /// The JWS algorithm that signs with this curve.
    pub fn alg(self) -> &'static str {
        match self {
            Curve::P256 => "ES256",
            Curve::P384 => "ES384",
            Curve::P521 => "ES512",
        }
    }

    /// Length in bytes of a field element (a coordinate or the private scalar).
    pub fn field_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// The OpenSSH curve identifier (`nistp256`).
    pub fn ssh_name(self) -> &'static str {
        match self {
            Curve::P256 => "nistp256",
            Curve::P384 => "nistp384",
            Curve::P521 => "nistp521",
        }
    }

    pub(crate) fn signing(self) -> &'static EcdsaSigningAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
        }
    }

    pub(crate) fn verification(self) -> &'static signature::EcdsaVerificationAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
            Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
        }
    }
}

/// A public key. Integers are big-endian without leading zeros; EC points are uncompressed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PublicKey {
    /// RSA modulus and public exponent.
    Rsa {
        /// Modulus.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
    /// An ECDSA point, `04 || x || y`.
    Ec {
        /// The curve.
        curve: Curve,
        /// The uncompressed point.
        point: Vec<u8>,
    },
    /// An Ed25519 public key.
    Ed25519 {
        /// The 32-byte key.
        x: [u8; 32],
    },
}

impl PublicKey {
    /// The JWK `kty`.
    pub fn kty(&self) -> &'static str {
        match self {
            PublicKey::Rsa { .. } => "RSA",
            PublicKey::Ec { .. } => "EC",
            PublicKey::Ed25519 { .. } => "OKP",
        }
    }

    /// The JWS algorithm kube-apiserver (and kwi) signs with for this key type.
    pub fn alg(&self) -> &'static str {
        match self {
            PublicKey::Rsa { .. } => "RS256",
            PublicKey::Ec { curve, .. } => curve.alg(),
            PublicKey::Ed25519 { .. } => "EdDSA",
        }
    }

    /// A short human description: `RSA-2048`, `EC P-256`, `Ed25519`.
    pub fn describe(&self) -> String {
        match self {
            PublicKey::Rsa { n, .. } => format!("RSA-{}", bit_len(n)),
            PublicKey::Ec { curve, .. } => format!("EC {}", curve.jwk_name()),
            PublicKey::Ed25519 { .. } => "Ed25519".to_string(),
        }
    }

    /// Whether kube-apiserver can use this key (it reads RSA and ECDSA keys only).
    pub fn kubernetes_supported(&self) -> bool {
        !matches!(self, PublicKey::Ed25519 { .. })
    }

    /// The x and y coordinates of an EC point.
    pub fn ec_coordinates(&self) -> Option<(&[u8], &[u8])> {
        match self {
            PublicKey::Ec { curve, point } => {
                let len = curve.field_len();
                Some((&point[1..1 + len], &point[1 + len..]))
            }
            _ => None,
        }
    }
}

/// The components of an RSA private key (PKCS#1 order), big-endian without leading zeros.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct RsaPrivate {
    /// Modulus.
    pub n: Vec<u8>,
    /// Public exponent.
    pub e: Vec<u8>,
    /// Private exponent.
    pub d: Vec<u8>,
    /// First prime.
    pub p: Vec<u8>,
    /// Second prime.
    pub q: Vec<u8>,
    /// d mod (p − 1).
    pub dp: Vec<u8>,
    /// d mod (q − 1).
    pub dq: Vec<u8>,
    /// q⁻¹ mod p.
    pub qi: Vec<u8>,
}

impl std::fmt::Debug for RsaPrivate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaPrivate(RSA-{}, ..)", bit_len(&self.n))
    }
}

/// A private key; the public half is kept beside it in [`Key`].
#[derive(Clone, PartialEq, Eq)]
pub enum PrivateKey {
    /// RSA.
    Rsa(RsaPrivate),
    /// An ECDSA scalar, exactly `curve.field_len()` bytes.
    Ec {
        /// The curve.
        curve: Curve,
        /// The private scalar.
        d: Zeroizing<Vec<u8>>,
    },
    /// An Ed25519 seed.
    Ed25519 {
        /// The 32-byte seed.
        seed: Zeroizing<[u8; 32]>,
    },
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrivateKey::Rsa(r) => r.fmt(f),
            PrivateKey::Ec { curve, .. } => write!(f, "EcPrivate({}, ..)", curve.jwk_name()),
            PrivateKey::Ed25519 { .. } => write!(f, "Ed25519Private(..)"),
        }
    }
}

/// A checked key: its public half, the private half when known, and the kid its source named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    public: PublicKey,
    private: Option<PrivateKey>,
    source_kid: Option<String>,
}

/// Number of significant bits of a big-endian unsigned integer.
pub(crate) fn bit_len(be: &[u8]) -> usize {
    let trimmed = trim_zeros(be);
    match trimmed.first() {
        None => 0,
        Some(first) => trimmed.len() * 8 - first.leading_zeros() as usize,
    }
}

/// Drops leading zero bytes of a big-endian integer.
pub(crate) fn trim_zeros(be: &[u8]) -> &[u8] {
    let start = be.iter().position(|&b| b != 0).unwrap_or(be.len());
    &be[start..]
}

/// Left-pads a big-endian integer to `len` bytes; `None` when it does not fit.
pub(crate) fn left_pad(be: &[u8], len: usize) -> Option<Vec<u8>> {
    let be = trim_zeros(be);
    if be.len() > len {
        return None;
    }
    let mut out = vec![0; len - be.len()];
    out.extend_from_slice(be);
    Some(out)
}

const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 8192;

fn check_rsa_size(n: &[u8]) -> Result<(), KeyError> {
    let bits = bit_len(n);
    if bits < RSA_MIN_BITS {
        return Err(KeyError::RsaTooSmall { bits });
    }
    if bits > RSA_MAX_BITS {
        return Err(KeyError::RsaTooLarge { bits });
    }
    Ok(())
}

fn rejected(what: &'static str, detail: impl std::fmt::Display) -> KeyError {
    KeyError::InvalidKey {
        what,
        detail: detail.to_string(),
    }
}

impl Key {
    /// Checks a public key and wraps it.
    pub fn from_public(public: PublicKey) -> Result<Key, KeyError> {
        let public = normalize_public(public)?;
        match &public {
            PublicKey::Rsa { n, e } => {
                check_rsa_size(n)?;
                // Say what is wrong where aws-lc would only say "InvalidEncoding".
                let exponent = trim_zeros(e);
                if exponent.len() > 4 {
                    return Err(rejected(
                        "RSA public key",
                        "the exponent e is larger than 2^32 (kwi reads e up to 2^32-1; keys use 65537)",
                    ));
                }
                let e_value = exponent.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b));
                if e_value < 3 || e_value % 2 == 0 {
                    return Err(rejected(
                        "RSA public key",
                        format!(
                            "the exponent e is {e_value}: it must be odd and at least 3 (keys use 65537)"
                        ),
                    ));
                }
                if n.last().is_some_and(|low| low % 2 == 0) {
                    return Err(rejected(
                        "RSA public key",
                        "the modulus n is even: not an RSA modulus",
                    ));
                }
                let der = crate::pkix::pkcs1_public_der_parts(n, e)?;
                signature::ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
                    .map_err(|e| rejected("RSA public key", format!("aws-lc refused it ({e})")))?;
            }
            PublicKey::Ec { curve, point } => {
                signature::ParsedPublicKey::new(curve.verification(), point).map_err(|_| {
                    rejected(
                        "EC public key",
                        format!("the point is not on curve {}", curve.jwk_name()),
                    )
                })?;
            }
            PublicKey::Ed25519 { x } => {
                signature::ParsedPublicKey::new(&signature::ED25519, x)
                    .map_err(|e| rejected("Ed25519 public key", e))?;
            }
        }
        Ok(Key {
            public,
            private: None,
            source_kid: None,
        })
    }

    /// Checks a private key, derives its public half and wraps both.
    ///
    /// `claimed_public` is the EC point or Ed25519 key stored beside the private one (SEC1,
    /// PKCS#8 v2, OpenSSH, JWK); it must match the one derived. RSA keys carry `n` and `e` inside.
    pub fn from_private(
        private: PrivateKey,
        claimed_public: Option<&[u8]>,
    ) -> Result<Key, KeyError> {
        let public = match &private {
            PrivateKey::Rsa(rsa) => {
                check_rsa_size(&rsa.n)?;
                let der = Zeroizing::new(crate::pkix::pkcs1_private_der_parts(rsa)?);
                aws_lc_rs::rsa::KeyPair::from_der(&der).map_err(|e| {
                    rejected(
                        "RSA private key",
                        format!("{e} (the factors do not match the modulus?)"),
                    )
                })?;
                PublicKey::Rsa {
                    n: trim_zeros(&rsa.n).to_vec(),
                    e: trim_zeros(&rsa.e).to_vec(),
                }
            }
            PrivateKey::Ec { curve, d } => {
                if d.len() != curve.field_len() {
                    return Err(rejected(
                        "EC private key",
                        format!(
                            "the scalar is {} bytes, {} needs {}",
                            d.len(),
                            curve.jwk_name(),
                            curve.field_len()
                        ),
                    ));
                }
                let der = Zeroizing::new(crate::pkix::sec1_der_parts(*curve, d, None)?);
                let pair = EcdsaKeyPair::from_private_key_der(curve.signing(), &der)
                    .map_err(|e| rejected("EC private key", e))?;
                let point = pair.public_key().as_ref().to_vec();
                if let Some(claimed) = claimed_public
                    && claimed != point.as_slice()
                {
                    return Err(rejected(
                        "EC private key",
                        "the public key stored with it does not belong to it",
                    ));
                }
                PublicKey::Ec {
                    curve: *curve,
                    point,
                }
            }
            PrivateKey::Ed25519 { seed } => {
                let pair = Ed25519KeyPair::from_seed_unchecked(seed.as_ref())
                    .map_err(|e| rejected("Ed25519 private key", e))?;
                let mut x = [0u8; 32];
                x.copy_from_slice(pair.public_key().as_ref());
                if let Some(claimed) = claimed_public
                    && claimed != x.as_slice()
                {
                    return Err(rejected(
                        "Ed25519 private key",
                        "the public key stored with it does not belong to it",
                    ));
                }
                PublicKey::Ed25519 { x }
            }
        };
        Ok(Key {
            public,
            private: Some(private),
            source_kid: None,
        })
    }

    /// The public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The private half, when the source had one.
    pub fn private(&self) -> Option<&PrivateKey> {
        self.private.as_ref()
    }

    /// Whether the private half is known.
    pub fn is_private(&self) -> bool {
        self.private.is_some()
    }

    /// The same key without its private half.
    pub fn to_public(&self) -> Key {
        Key {
            public: self.public.clone(),
            private: None,
            source_kid: self.source_kid.clone(),
        }
    }

    /// The kid the source gave this key (a JWK's `kid`), if any.
    pub fn source_kid(&self) -> Option<&str> {
        self.source_kid.as_deref()
    }

    /// Records the kid the source gave this key.
    pub fn with_source_kid(mut self, kid: Option<String>) -> Key {
        self.source_kid = kid;
        self
    }

    /// `RSA-2048 private key`, `EC P-256 public key`.
    pub fn describe(&self) -> String {
        let half = if self.is_private() {
            "private"
        } else {
            "public"
        };
        format!("{} {half} key", self.public.describe())
    }
}

/// Canonical form: integers without leading zeros, EC points checked for form and length.
fn normalize_public(public: PublicKey) -> Result<PublicKey, KeyError> {
    Ok(match public {
        PublicKey::Rsa { n, e } => PublicKey::Rsa {
            n: trim_zeros(&n).to_vec(),
            e: trim_zeros(&e).to_vec(),
        },
        PublicKey::Ec { curve, point } => {
            let expected = 1 + 2 * curve.field_len();
            match point.first() {
                Some(0x04) if point.len() == expected => PublicKey::Ec { curve, point },
                Some(0x02 | 0x03) => {
                    return Err(rejected(
                        "EC public key",
                        "compressed points are not supported (kube-apiserver rejects them too)",
                    ));
                }
                _ => {
                    return Err(rejected(
                        "EC public key",
                        format!(
                            "expected an uncompressed {} point of {expected} bytes, found {} bytes",
                            curve.jwk_name(),
                            point.len()
                        ),
                    ));
                }
            }
        }
        other => other,
    })
}
