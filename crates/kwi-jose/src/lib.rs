//! kwi-jose: the pure core of kwi.
//!
//! Keys in every format a Kubernetes operator meets (PEM, DER, JWK, JWKS, OpenSSH), their
//! Kubernetes and RFC 7638 key ids, and JWK/JWKS documents byte-identical to kube-apiserver's.
//! Compact JWS signing and verification over aws-lc with keys parsed once, typed claims, and the
//! validation rules of each relying party (kube-apiserver, AWS STS, Vault/OpenBao).
//! Nothing here touches the network, the clock or the file system: bytes in, bytes out.
#![forbid(unsafe_code)]

mod alg;
mod b64;
mod bigint;
mod claims;
mod generate;
mod input;
mod json_error;
mod json_scan;
mod jwk;
mod jws;
mod key;
mod key_error;
mod key_set;
mod kid;
pub mod low_s;
mod mint;
mod openssh;
pub mod pem;
mod pkix;
mod profile;
mod signer;
mod sts;
pub mod time;
mod token_error;

pub use alg::Algorithm;
pub use claims::{
    Claims, LEGACY_ISSUER, ObjectRef, ServiceAccountIdentity, ServiceAccountRef, legacy,
    service_account_subject,
};
pub use generate::{KeySpec, generate, random_uuid};
pub use input::{Format, parse_keys, parse_keys_with_format};
pub use json_error::{JsonError, JsonKind, JsonSyntax};
pub use json_scan::read_json_value;
pub use jwk::{Jwk, Jwks, jwk_from_key, jwks_document};
pub use jws::{
    DEFAULT_MAX_TOKEN_SIZE, Header, UnverifiedToken, decode_unverified, peek_alg, peek_kid,
};
pub use key::{Curve, Key, PrivateKey, PublicKey, RsaPrivate};
pub use key_error::KeyError;
pub use key_set::{KeySet, Reading, VerifiedToken, VerifyOptions};
pub use kid::{KidMethod, kubernetes_kid, rfc7638_thumbprint};
pub use mint::{LegacyClaims, MintError, ProjectedClaims};
pub use openssh::{openssh_private_key, openssh_public_key};
pub use pkix::{
    key_from_certificate, key_from_spki, pkcs1_private_der, pkcs1_public_der, pkcs8_der, sec1_der,
    spki_der,
};
pub use profile::{
    KUBERNETES_ALGORITHMS, KUBERNETES_LEEWAY, KubernetesRules, STS_ALGORITHMS, STS_MAX_TOKEN_SIZE,
    STS_MIN_TOKEN_SIZE, StsRules, VAULT_BAD_SIGNATURE, VaultRules,
};
pub use signer::SigningKey;
pub use sts::{STS_CLOCK_SKEW, StsLeeway, StsRefusal, StsTokenPreview, sts_preview};
pub use token_error::{
    ClaimProblem, HeaderProblem, MalformedToken, Segment, StrayCharacter, TokenError, VaultRefusal,
};

/// Encodes bytes as base64url without padding, the encoding of every JOSE member.
pub fn base64url(bytes: &[u8]) -> String {
    b64::url_encode(bytes)
}

/// Decodes strict base64url without padding (a token segment): `None` on a byte outside the
/// alphabet, an impossible length or non-zero bits after the last byte. Not constant time: for
/// public data only.
pub fn base64url_decode(text: &[u8]) -> Option<Vec<u8>> {
    b64::url_decode_public(text)
}
