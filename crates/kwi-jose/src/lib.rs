//! kwi-jose: the pure core of kwi.
//!
//! Keys in every format a Kubernetes operator meets (PEM, DER, JWK, JWKS, OpenSSH), their
//! Kubernetes and RFC 7638 key ids, and JWK/JWKS documents byte-identical to kube-apiserver's.
//! Nothing here touches the network, the clock or the file system: bytes in, bytes out.
#![forbid(unsafe_code)]

mod b64;
mod bigint;
mod error;
mod generate;
mod input;
mod jwk;
mod key;
mod kid;
mod openssh;
pub mod pem;
mod pkix;

pub use error::KeyError;
pub use generate::{KeySpec, generate};
pub use input::{Format, parse_keys, parse_keys_with_format};
pub use jwk::{Jwk, Jwks, jwk_from_key, jwks_document};
pub use key::{Curve, Key, PrivateKey, PublicKey, RsaPrivate};
pub use kid::{KidMethod, kubernetes_kid, rfc7638_thumbprint};
pub use openssh::{openssh_private_key, openssh_public_key};
pub use pkix::{pkcs1_private_der, pkcs1_public_der, pkcs8_der, sec1_der, spki_der};

/// Encodes bytes as base64url without padding, the encoding of every JOSE member.
pub fn base64url(bytes: &[u8]) -> String {
    b64::url_encode(bytes)
}
