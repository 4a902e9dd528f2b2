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

const INVALID: u8 = 0xff;

/// base64url alphabet → 6-bit values; 0xff marks bytes outside it.
const URL_TABLE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Fast, strict base64url without padding, for public data (token segments): `None` on any
/// byte outside the alphabet, an impossible length or non-zero trailing bits. Not constant
/// time: keys and other secrets go through [`url_decode`].
pub(crate) fn url_decode_public(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let full = text.len() / 4;
    let mut out = vec![0u8; full * 3];
    // Every valid value is below 64: OR-ing them all and testing the top bits once keeps the
    // loop free of branches.
    let mut bad = 0u8;
    for (quad, triple) in text.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
        let (a, b, c, d) = (
            URL_TABLE[quad[0] as usize],
            URL_TABLE[quad[1] as usize],
            URL_TABLE[quad[2] as usize],
            URL_TABLE[quad[3] as usize],
        );
        bad |= a | b | c | d;
        let n = (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(d);
        triple[0] = (n >> 16) as u8;
        triple[1] = (n >> 8) as u8;
        triple[2] = n as u8;
    }
    if bad & 0xc0 != 0 {
        return None;
    }
    let rest = &text[full * 4..];
    let value = |i: usize| URL_TABLE[rest[i] as usize];
    match rest.len() {
        0 => {}
        2 => {
            let (a, b) = (value(0), value(1));
            if (a | b) & 0xc0 != 0 || b & 0x0f != 0 {
                return None;
            }
            out.push((a << 2) | (b >> 4));
        }
        3 => {
            let (a, b, c) = (value(0), value(1), value(2));
            if (a | b | c) & 0xc0 != 0 || c & 0x03 != 0 {
                return None;
            }
            out.push((a << 2) | (b >> 4));
            out.push((b << 4) | (c >> 2));
        }
        _ => return None,
    }
    Some(out)
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
    }
}
