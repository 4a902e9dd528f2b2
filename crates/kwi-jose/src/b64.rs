//! Base64 in its two dialects: standard with padding (PEM, OpenSSH) and base64url without (JOSE).

use base64ct::{Base64, Base64UrlUnpadded, Encoding};

/// base64url without padding.
pub(crate) fn url_encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Strict base64url without padding: no `=`, no white space, canonical trailing bits.
pub(crate) fn url_decode(text: &str) -> Result<Vec<u8>, String> {
    if text.contains('=') {
        return Err("has '=' padding, which base64url in JOSE forbids".into());
    }
    if let Some(c) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!("has the character {c:?}, which is not base64url"));
    }
    Base64UrlUnpadded::decode_vec(text)
        .map_err(|_| "is truncated or not canonical base64url".into())
}

/// Standard base64 with padding.
pub(crate) fn std_encode(bytes: &[u8]) -> String {
    Base64::encode_string(bytes)
}

/// Standard base64 with padding; white space must already be removed.
pub(crate) fn std_decode(text: &str) -> Result<Vec<u8>, String> {
    if let Some(c) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
    {
        return Err(format!("the character {c:?} is not base64"));
    }
    Base64::decode_vec(text).map_err(|_| "the base64 is truncated or malformed".into())
}
