//! Go's `encoding/base64` decoder (`Encoding.Decode`, `decodeQuantum` in
//! `src/encoding/base64/base64.go`) for the two encodings OpenBao's readers use:
//! `StdEncoding` (padded, the alphabet with `+` and `/`; `encoding/pem`) and `RawURLEncoding`
//! (no padding, `-` and `_`; go-jose's compact JWS). Neither is `Strict`: non-zero bits after the
//! last byte are accepted, and `\r` and `\n` are skipped wherever they are.

/// Which of Go's encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// `base64.StdEncoding`: `+` and `/`, `=` padding required.
    Std,
    /// `base64.RawURLEncoding`: `-` and `_`, no padding (a `=` is a stray byte).
    RawUrl,
}

impl Encoding {
    fn value(self, b: u8) -> Option<u8> {
        match (b, self) {
            (b'A'..=b'Z', _) => Some(b - b'A'),
            (b'a'..=b'z', _) => Some(b - b'a' + 26),
            (b'0'..=b'9', _) => Some(b - b'0' + 52),
            (b'+', Encoding::Std) | (b'-', Encoding::RawUrl) => Some(62),
            (b'/', Encoding::Std) | (b'_', Encoding::RawUrl) => Some(63),
            _ => None,
        }
    }

    fn padded(self) -> bool {
        self == Encoding::Std
    }
}

/// Go's `CorruptInputError`: the offset in the input where decoding failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CorruptInput(pub(crate) usize);

fn is_newline(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

/// `Encoding.DecodeString`: the bytes, or the offset Go reports.
pub(crate) fn decode(input: &[u8], encoding: Encoding) -> Result<Vec<u8>, CorruptInput> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    let mut si = 0;
    loop {
        let (next, quantum, done) = decode_quantum(input, si, encoding)?;
        si = next;
        out.extend_from_slice(&quantum.bytes[..quantum.len]);
        if done {
            return Ok(out);
        }
    }
}

/// Up to three decoded bytes.
struct Quantum {
    bytes: [u8; 3],
    len: usize,
}

/// Go's `decodeQuantum`: one group of four characters from `si`; where the next starts, its
/// bytes, and whether the input ends there.
fn decode_quantum(
    src: &[u8],
    mut si: usize,
    encoding: Encoding,
) -> Result<(usize, Quantum, bool), CorruptInput> {
    let mut sextets = [0u8; 4];
    let mut j = 0;
    let mut done = false;
    while j < 4 {
        let Some(&c) = src.get(si) else {
            if j == 0 {
                return Ok((
                    si,
                    Quantum {
                        bytes: [0; 3],
                        len: 0,
                    },
                    true,
                ));
            }
            if j == 1 || encoding.padded() {
                return Err(CorruptInput(si - j));
            }
            done = true;
            break;
        };
        si += 1;
        if let Some(v) = encoding.value(c) {
            sextets[j] = v;
            j += 1;
            continue;
        }
        if is_newline(c) {
            continue;
        }
        if !(encoding.padded() && c == b'=') {
            return Err(CorruptInput(si - 1));
        }
        // Padding: the end of the input.
        if j < 2 {
            return Err(CorruptInput(si - 1));
        }
        if j == 2 {
            // A second '=' must follow (newlines aside).
            while src.get(si).is_some_and(|&b| is_newline(b)) {
                si += 1;
            }
            match src.get(si) {
                None => return Err(CorruptInput(src.len())),
                Some(b'=') => si += 1,
                Some(_) => return Err(CorruptInput(si - 1)),
            }
        }
        while src.get(si).is_some_and(|&b| is_newline(b)) {
            si += 1;
        }
        if si < src.len() {
            return Err(CorruptInput(si));
        }
        done = true;
        break;
    }
    let n = sextets
        .iter()
        .enumerate()
        .fold(0u32, |n, (k, &v)| n | (u32::from(v) << (18 - 6 * k)));
    let [_, a, b, c] = n.to_be_bytes();
    Ok((
        si,
        Quantum {
            bytes: [a, b, c],
            len: j - 1,
        },
        done,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn std_encoding_as_go_reads_it() {
        let ok = |s: &[u8]| decode(s, Encoding::Std).unwrap();
        assert_eq!(ok(b"TWFu"), b"Man");
        assert_eq!(ok(b"TWE="), b"Ma");
        assert_eq!(ok(b"TQ=="), b"M");
        assert_eq!(ok(b"TW\r\nFu"), b"Man");
        assert_eq!(ok(b""), b"");
        // Non-zero trailing bits are accepted (StdEncoding is not Strict).
        assert_eq!(ok(b"TR=="), b"M");
        let bad = |s: &[u8]| decode(s, Encoding::Std).unwrap_err().0;
        assert_eq!(bad(b"TWF"), 0, "not enough characters: the quantum's start");
        assert_eq!(bad(b"TQ==TWFu"), 4, "data after the padding");
        assert_eq!(bad(b"T==="), 1, "padding after one character");
        assert_eq!(bad(b"TW-u"), 2, "the URL alphabet");
        assert_eq!(bad(b"TW=u"), 2, "'=' then not '='");
        assert_eq!(bad(b"TW="), 3, "one '=' where two are needed");
    }

    #[test]
    fn raw_url_encoding_as_go_reads_it() {
        let ok = |s: &[u8]| decode(s, Encoding::RawUrl).unwrap();
        assert_eq!(ok(b"e30"), b"{}");
        // Non-zero trailing bits are ignored: "e31" decodes as "e30" does.
        assert_eq!(ok(b"e31"), b"{}");
        let bad = |s: &[u8]| decode(s, Encoding::RawUrl).unwrap_err().0;
        assert_eq!(bad(b"ab*c"), 2);
        assert_eq!(bad(b"e30AB"), 4, "a lone last character");
        assert_eq!(bad(b"e30="), 3, "no padding in RawURLEncoding");
        assert_eq!(bad(b"ab+c"), 2, "the standard alphabet");
    }

    proptest! {
        #[test]
        fn canonical_text_decodes_to_what_was_encoded(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let url = kwi_jose::base64url(&bytes);
            prop_assert_eq!(decode(url.as_bytes(), Encoding::RawUrl).unwrap(), bytes.clone());
            let std = url.replace('-', "+").replace('_', "/");
            let padded = format!("{std}{}", "=".repeat((4 - std.len() % 4) % 4));
            prop_assert_eq!(decode(padded.as_bytes(), Encoding::Std).unwrap(), bytes);
        }
    }
}
