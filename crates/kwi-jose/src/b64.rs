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

/// Marks a character outside the alphabet in the shifted tables: no valid entry sets bit 24.
const BAD: u32 = 1 << 24;

/// The table of the character at `position` (0–3) in a quad: its six bits already placed where
/// they land in the three output bytes read as a little-endian `u32`, so that decoding a quad
/// is four lookups and three ORs.
const fn shifted_table(position: u32) -> [u32; 256] {
    let mut t = [BAD; 256];
    let mut c = 0;
    while c < 256 {
        let v = URL_TABLE[c];
        if v != INVALID {
            let bits = (v as u32) << (18 - 6 * position);
            // bytes of the 24-bit group, big-endian in `bits`, little-endian in the word.
            t[c] = ((bits >> 16) & 0xff) | (bits & 0xff00) | ((bits & 0xff) << 16);
        }
        c += 1;
    }
    t
}

const D0: [u32; 256] = shifted_table(0);
const D1: [u32; 256] = shifted_table(1);
const D2: [u32; 256] = shifted_table(2);
const D3: [u32; 256] = shifted_table(3);

/// Exact decoded length of `len` base64url characters without padding, `None` when no input
/// has that length.
pub(crate) fn url_decoded_len(len: usize) -> Option<usize> {
    match len % 4 {
        1 => None,
        0 => Some(len / 4 * 3),
        rest => Some(len / 4 * 3 + rest - 1),
    }
}

/// Fast, strict base64url without padding, for public data (token segments): `None` on any
/// byte outside the alphabet, an impossible length or non-zero trailing bits. Not constant
/// time: keys and other secrets go through [`url_decode`].
pub(crate) fn url_decode_public(text: &[u8]) -> Option<Vec<u8>> {
    let len = url_decoded_len(text.len())?;
    let mut out = vec![0u8; len];
    url_decode_public_into(text, &mut out)?;
    Some(out)
}

/// [`url_decode_public`] into the start of `out`, which must hold at least
/// `url_decoded_len(text.len())` bytes; returns the decoded length.
pub(crate) fn url_decode_public_into(text: &[u8], out: &mut [u8]) -> Option<usize> {
    let len = url_decoded_len(text.len())?;
    if out.len() < len {
        return None;
    }
    let full = text.len() / 4;
    // Every valid entry leaves bit 24 clear: OR-ing them all and testing once keeps the loop
    // free of branches.
    let mut bad = 0u32;
    for (quad, triple) in text.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
        let w = D0[quad[0] as usize]
            | D1[quad[1] as usize]
            | D2[quad[2] as usize]
            | D3[quad[3] as usize];
        bad |= w;
        let [a, b, c, _] = w.to_le_bytes();
        triple.copy_from_slice(&[a, b, c]);
    }
    if bad & BAD != 0 {
        return None;
    }
    let rest = &text[full * 4..];
    let value = |i: usize| URL_TABLE[rest[i] as usize];
    let at = full * 3;
    match rest.len() {
        0 => {}
        2 => {
            let (a, b) = (value(0), value(1));
            if (a | b) & 0xc0 != 0 || b & 0x0f != 0 {
                return None;
            }
            out[at] = (a << 2) | (b >> 4);
        }
        3 => {
            let (a, b, c) = (value(0), value(1), value(2));
            if (a | b | c) & 0xc0 != 0 || c & 0x03 != 0 {
                return None;
            }
            out[at] = (a << 2) | (b >> 4);
            out[at + 1] = (b << 4) | (c >> 2);
        }
        _ => return None,
    }
    Some(len)
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
        fn fast_decoder_rejects_any_stray_byte(bytes in proptest::collection::vec(any::<u8>(), 1..40), at in any::<usize>(), stray in any::<u8>()) {
            let mut text = url_encode(&bytes).into_bytes();
            let at = at % text.len();
            text[at] = stray;
            let strict = std::str::from_utf8(&text).ok().and_then(|t| Base64UrlUnpadded::decode_vec(t).ok());
            prop_assert_eq!(url_decode_public(&text), strict);
        }
    }
}
