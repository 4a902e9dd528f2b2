//! Fresh key pairs from aws-lc's generator.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{self, KeySize};
use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair};

use crate::key::{Curve, Key};
use crate::{KeyError, pkix};

/// What kind of key to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    /// RSA with this modulus size: 2048, 3072 or 4096 bits.
    Rsa {
        /// Modulus size in bits.
        bits: usize,
    },
    /// ECDSA on this curve.
    Ec(Curve),
    /// Ed25519 (kube-apiserver cannot sign with it; kwi's own tokens can).
    Ed25519,
}

fn failed(what: &str) -> KeyError {
    KeyError::CannotEncode(format!("{what} key generation failed"))
}

/// Generates a new private key.
pub fn generate(spec: KeySpec) -> Result<Key, KeyError> {
    let pkcs8: Vec<u8> = match spec {
        KeySpec::Rsa { bits } => {
            let size = match bits {
                2048 => KeySize::Rsa2048,
                3072 => KeySize::Rsa3072,
                4096 => KeySize::Rsa4096,
                other => {
                    return Err(KeyError::CannotEncode(format!(
                        "RSA keys of {other} bits are not generated; choose 2048, 3072 or 4096"
                    )));
                }
            };
            let pair = rsa::KeyPair::generate(size).map_err(|_| failed("RSA"))?;
            pair.as_der().map_err(|_| failed("RSA"))?.as_ref().to_vec()
        }
        KeySpec::Ec(curve) => {
            let pair = EcdsaKeyPair::generate(curve.signing()).map_err(|_| failed("EC"))?;
            pair.to_pkcs8v1()
                .map_err(|_| failed("EC"))?
                .as_ref()
                .to_vec()
        }
        KeySpec::Ed25519 => {
            let pair = Ed25519KeyPair::generate().map_err(|_| failed("Ed25519"))?;
            pair.to_pkcs8v1()
                .map_err(|_| failed("Ed25519"))?
                .as_ref()
                .to_vec()
        }
    };
    let pkcs8 = zeroize::Zeroizing::new(pkcs8);
    pkix::key_from_pkcs8(&pkcs8)
}

/// A random (version 4) UUID, as kube-apiserver puts in `jti` and object UIDs.
pub fn random_uuid() -> Result<String, KeyError> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b)
        .map_err(|_| KeyError::CannotEncode("no randomness available".into()))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_random_version_4() {
        let a = random_uuid().unwrap();
        let b = random_uuid().unwrap();
        assert_ne!(a, b);
        for uuid in [a, b] {
            let bytes = uuid.as_bytes();
            assert_eq!(bytes.len(), 36, "{uuid}");
            for (i, &c) in bytes.iter().enumerate() {
                if matches!(i, 8 | 13 | 18 | 23) {
                    assert_eq!(c, b'-', "{uuid}");
                } else {
                    assert!(c.is_ascii_digit() || (b'a'..=b'f').contains(&c), "{uuid}");
                }
            }
            assert_eq!(bytes[14], b'4', "version: {uuid}");
            assert!(b"89ab".contains(&bytes[19]), "variant: {uuid}");
        }
    }
}
