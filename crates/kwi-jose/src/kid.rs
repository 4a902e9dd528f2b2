//! Key ids: the one kube-apiserver puts in tokens, and the RFC 7638 thumbprint other tools use.

use aws_lc_rs::digest::{SHA256, digest};

use crate::key::{Key, PublicKey};
use crate::{KeyError, b64, pkix};

/// How a key id is computed from a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KidMethod {
    /// kube-apiserver's `keyIDFromPublicKey`: base64url(SHA-256(DER SubjectPublicKeyInfo)).
    Kubernetes,
    /// The RFC 7638 JWK thumbprint with SHA-256.
    Rfc7638,
}

impl KidMethod {
    /// Computes the key id of a key.
    pub fn kid(self, key: &Key) -> Result<String, KeyError> {
        match self {
            KidMethod::Kubernetes => kubernetes_kid(key),
            KidMethod::Rfc7638 => Ok(rfc7638_thumbprint(key)),
        }
    }
}

/// The kid kube-apiserver writes into the tokens it signs with this key.
pub fn kubernetes_kid(key: &Key) -> Result<String, KeyError> {
    let spki = pkix::spki_der(key)?;
    Ok(b64::url_encode(digest(&SHA256, &spki).as_ref()))
}

/// The RFC 7638 SHA-256 thumbprint: the hash of the required members, sorted, without spaces.
pub fn rfc7638_thumbprint(key: &Key) -> String {
    let canonical = match key.public() {
        PublicKey::Rsa { n, e } => {
            format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                b64::url_encode(e),
                b64::url_encode(n)
            )
        }
        PublicKey::Ec { curve, .. } => {
            let (x, y) = key.public().ec_coordinates().unwrap_or_default();
            format!(
                r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                curve.jwk_name(),
                b64::url_encode(x),
                b64::url_encode(y)
            )
        }
        PublicKey::Ed25519 { x } => format!(
            r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
            b64::url_encode(x)
        ),
    };
    b64::url_encode(digest(&SHA256, canonical.as_bytes()).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_keys;

    const RSA_PUBLIC: &str = include_str!("../../../tests/data/kubernetes/rsa-public.pem");
    const EC_PUBLIC: &str = include_str!("../../../tests/data/kubernetes/ec-p256-public.pem");

    #[test]
    fn kubernetes_kids_of_the_conformance_keys() {
        let rsa = &parse_keys(RSA_PUBLIC.as_bytes()).unwrap()[0];
        assert_eq!(
            kubernetes_kid(rsa).unwrap(),
            "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU"
        );
        let ec = &parse_keys(EC_PUBLIC.as_bytes()).unwrap()[0];
        assert_eq!(
            kubernetes_kid(ec).unwrap(),
            "SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc"
        );
    }

    #[test]
    fn rfc7638_of_the_conformance_rsa_key() {
        let rsa = &parse_keys(RSA_PUBLIC.as_bytes()).unwrap()[0];
        assert_eq!(
            rfc7638_thumbprint(rsa),
            "-VkBv7ckVLGbPlrdyjF01LitmrAB_z87v-oICeALHRw"
        );
    }

    #[test]
    fn rfc7638_example_from_the_rfc() {
        // RFC 7638 §3.1.
        let jwk = r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#;
        let key = &parse_keys(jwk.as_bytes()).unwrap()[0];
        assert_eq!(
            rfc7638_thumbprint(key),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
