//! The little big-integer arithmetic that format conversion needs: OpenSSH stores RSA keys
//! without the CRT exponents `d mod (p-1)` and `d mod (q-1)`, which PKCS#1 and JWK require.
//!
//! Not constant time: it runs once per conversion of a key the user already holds in a file,
//! never on a signing or verification path.

use crate::key::trim_zeros;

/// `a - 1` for a big-endian `a > 0`.
pub(crate) fn minus_one(a: &[u8]) -> Vec<u8> {
    let mut out = trim_zeros(a).to_vec();
    for byte in out.iter_mut().rev() {
        if *byte == 0 {
            *byte = 0xff;
        } else {
            *byte -= 1;
            break;
        }
    }
    trim_zeros(&out).to_vec()
}

/// `a mod m` for big-endian `a` and non-zero `m`; `None` when `m` is zero.
pub(crate) fn rem(a: &[u8], m: &[u8]) -> Option<Vec<u8>> {
    let m = trim_zeros(m);
    if m.is_empty() {
        return None;
    }
    // r < 2m after every shift, so one spare byte is enough.
    let mut padded_m = vec![0u8];
    padded_m.extend_from_slice(m);
    let mut r = vec![0u8; padded_m.len()];
    for byte in a {
        for bit in (0..8).rev() {
            shift_left_in(&mut r, (byte >> bit) & 1);
            if r.as_slice() >= padded_m.as_slice() {
                subtract(&mut r, &padded_m);
            }
        }
    }
    Some(trim_zeros(&r).to_vec())
}

fn shift_left_in(r: &mut [u8], bit: u8) {
    let mut carry = bit;
    for byte in r.iter_mut().rev() {
        let next = *byte >> 7;
        *byte = (*byte << 1) | carry;
        carry = next;
    }
}

/// `r -= m` for equal-length big-endian numbers with `r >= m`.
fn subtract(r: &mut [u8], m: &[u8]) {
    let mut borrow = 0i16;
    for (x, y) in r.iter_mut().rev().zip(m.iter().rev()) {
        let mut v = *x as i16 - *y as i16 - borrow;
        borrow = 0;
        if v < 0 {
            v += 256;
            borrow = 1;
        }
        *x = v as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn to_u128(be: &[u8]) -> u128 {
        be.iter().fold(0u128, |acc, &b| (acc << 8) | b as u128)
    }

    proptest! {
        #[test]
        fn rem_matches_native(a: u128, m in 1u128..) {
            let r = rem(&a.to_be_bytes(), &m.to_be_bytes()).unwrap();
            prop_assert_eq!(to_u128(&r), a % m);
        }

        #[test]
        fn minus_one_matches_native(a in 1u128..) {
            prop_assert_eq!(to_u128(&minus_one(&a.to_be_bytes())), a - 1);
        }
    }

    #[test]
    fn rem_by_zero_is_none() {
        assert!(rem(&[5], &[0, 0]).is_none());
    }
}
