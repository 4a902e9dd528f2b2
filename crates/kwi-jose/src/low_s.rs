//! One encoding per ES256 signature: `(r, s)` and `(r, n − s)` both verify, so a verifier that
//! accepts both lets a token be re-encoded into a second valid token. kwi's own tokens are
//! issued with `s ≤ n/2` (the "low-S" form Bitcoin and Ethereum require) and only that form is
//! accepted back.

/// The order n of P-256, big-endian.
const P256_N: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];
/// ⌊n/2⌋ of P-256, big-endian.
const P256_HALF_N: [u8; 32] = [
    0x7F, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xDE, 0x73, 0x7D, 0x56, 0xD3, 0x8B, 0xCF, 0x42, 0x79, 0xDC, 0xE5, 0x61, 0x7E, 0x31, 0x92, 0xA8,
];

/// `n − s` for P-256 (s < n), big-endian.
fn p256_negate(s: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(P256_N[i]) - i16::from(s[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

/// The signature segment of a compact ES256 token, decoded: `r ‖ s`, 64 bytes.
fn signature(token: &str) -> Option<(usize, [u8; 64])> {
    let dot = token.rfind('.')?;
    let bytes = crate::b64::url_decode(&token[dot + 1..]).ok()?;
    Some((dot, bytes.try_into().ok()?))
}

fn s_half(sig: &[u8; 64]) -> [u8; 32] {
    let mut s = [0u8; 32];
    s.copy_from_slice(&sig[32..]);
    s
}

/// Whether a compact ES256 (P-256) token's signature is in low-S form. `false` for anything
/// that is not such a token.
pub fn p256_is_low_s(token: &str) -> bool {
    signature(token).is_some_and(|(_, sig)| s_half(&sig) <= P256_HALF_N)
}

/// The same ES256 (P-256) token with its signature in low-S form (`s` replaced by `n − s` when
/// above n/2; the signature stays valid). `None` for anything that is not such a token.
pub fn p256_low_s(token: &str) -> Option<String> {
    let (dot, mut sig) = signature(token)?;
    let s = s_half(&sig);
    if s > P256_HALF_N {
        sig[32..].copy_from_slice(&p256_negate(&s));
    }
    Some(format!(
        "{}.{}",
        &token[..dot],
        crate::b64::url_encode(&sig)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Curve, KeySet, KeySpec, SigningKey, VerifyOptions, generate};

    #[test]
    fn half_n_is_half_of_n() {
        // n is odd: n − ⌊n/2⌋ = ⌊n/2⌋ + 1.
        let mut plus_one = P256_HALF_N;
        for byte in plus_one.iter_mut().rev() {
            let (v, carry) = byte.overflowing_add(1);
            *byte = v;
            if !carry {
                break;
            }
        }
        assert_eq!(p256_negate(&P256_HALF_N), plus_one);
    }

    #[test]
    fn low_s_tokens_verify_and_their_high_s_twins_are_told_apart() -> Result<(), String> {
        let key = generate(KeySpec::Ec(Curve::P256)).map_err(|e| e.to_string())?;
        let signer = SigningKey::new(&key, None, None).map_err(|e| e.to_string())?;
        let keys = KeySet::new([(key.to_public(), None)]).map_err(|e| e.to_string())?;
        for i in 0..40 {
            let token = signer
                .sign(format!("{{\"n\":{i}}}").as_bytes())
                .map_err(|e| e.to_string())?;
            let low = p256_low_s(&token).ok_or("not ES256")?;
            assert!(p256_is_low_s(&low));
            keys.verify(&low, &VerifyOptions::default())
                .map_err(|e| e.to_string())?;
            // The other encoding of the same signature: valid for ECDSA, refused by the rule.
            let (dot, mut sig) = signature(&low).ok_or("no signature")?;
            let high = p256_negate(&s_half(&sig));
            sig[32..].copy_from_slice(&high);
            let twin = format!("{}.{}", &low[..dot], crate::b64::url_encode(&sig));
            keys.verify(&twin, &VerifyOptions::default())
                .map_err(|e| e.to_string())?;
            assert!(!p256_is_low_s(&twin));
        }
        Ok(())
    }

    #[test]
    fn not_a_token_is_not_low_s() {
        assert!(!p256_is_low_s("a.b"));
        assert!(!p256_is_low_s(""));
        assert_eq!(p256_low_s("a.b.%%%"), None);
    }
}
