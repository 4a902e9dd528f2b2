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

/// Fast (SIMD), strict base64url without padding, for public data (token segments): `None` on
/// any byte outside the alphabet, an impossible length or non-zero trailing bits. Not constant
/// time: keys and other secrets go through [`url_decode`].
pub(crate) fn url_decode_public(text: &[u8]) -> Option<Vec<u8>> {
    // base64-simd refuses the impossible lengths (4n + 1) itself. Into fresh capacity: no zeroing first (a zeroed allocation is a calloc, which glibc
    // serves on its slow path).
    base64_simd::URL_SAFE_NO_PAD.decode_to_vec(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fast_decoder_agrees_with_base64ct(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let text = url_encode(&bytes);
            prop_assert_eq!(url_decode_public(text.as_bytes()), Some(bytes));
        }

        #[test]
        fn fast_decoder_rejects_what_base64ct_rejects(text in "[A-Za-z0-9_=+/. -]{0,20}") {
            let strict = Base64UrlUnpadded::decode_vec(&text).ok();
            prop_assert_eq!(url_decode_public(text.as_bytes()), strict);
        }

        #[test]
        fn fast_decoder_rejects_any_stray_byte(bytes in proptest::collection::vec(any::<u8>(), 1..400), at in any::<usize>(), stray in any::<u8>()) {
            let mut text = url_encode(&bytes).into_bytes();
            let at = at % text.len();
            text[at] = stray;
            let strict = std::str::from_utf8(&text).ok().and_then(|t| Base64UrlUnpadded::decode_vec(t).ok());
            prop_assert_eq!(url_decode_public(&text), strict);
        }
    }
}
