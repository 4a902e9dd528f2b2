//! JSON written straight into one buffer, byte for byte as `serde_json::to_vec` writes it: compact,
//! members in the order written, strings escaped as serde_json escapes them. What the webhook
//! writes is mostly strings that need no escape (paths, names, base64), which are then copied
//! whole instead of being walked byte by byte through serde's serializer.

/// The index of the first `"`, `\` or control character at or after `from` (`bytes.len()` when
/// none), eight bytes at a time.
pub(crate) fn special(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        // A byte is flagged when it is zero (a match) or below 0x20; a borrow can only flag bytes
        // after a real match, so the lowest flag is the first match.
        let found = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (word.wrapping_sub(ONES * 0x20) & !word))
            & HIGH;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    bytes
        .iter()
        .skip(i)
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map_or(bytes.len(), |n| i + n)
}

/// A string as a JSON string: `"`, `\` and the control characters escaped (`\b \t \n \f \r`, the
/// others as `\u00XX`), everything else as is, as serde_json does.
pub(crate) fn string(out: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    // No early exit, so the check runs over whole vectors of bytes.
    let needs_escape = bytes.iter().fold(false, |any, &b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if needs_escape {
        escaped(out, bytes);
    } else {
        out.extend_from_slice(bytes);
    }
    out.push(b'"');
}

fn escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..=0x1f => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]),
            _ => out.push(b),
        }
    }
}

/// An integer in decimal, as serde_json writes it.
pub(crate) fn int(out: &mut Vec<u8>, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    uint(out, value.unsigned_abs());
}

/// An unsigned integer in decimal.
pub(crate) fn uint(out: &mut Vec<u8>, value: u64) {
    let mut digits = [0u8; 20];
    out.extend_from_slice(decimal(value, &mut digits));
}

/// An unsigned integer in decimal, appended to a string (a JSON pointer being built).
pub(crate) fn push_uint(out: &mut String, value: u64) {
    let mut digits = [0u8; 20];
    out.extend(decimal(value, &mut digits).iter().map(|&d| char::from(d)));
}

/// The decimal digits of `value`, written at the end of `digits`.
fn decimal(mut value: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut start = digits.len();
    loop {
        start -= 1;
        // `value % 10` is below 10, so the cast keeps it whole.
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    &digits[start..]
}

/// `"key":` (the key is written as a JSON string).
pub(crate) fn key(out: &mut Vec<u8>, key: &str) {
    string(out, key);
    out.push(b':');
}

/// A value written as JSON, byte for byte as serde_json writes it from its `Serialize`.
pub(crate) trait WriteJson {
    /// Appends the value's JSON to `out`.
    fn write_json(&self, out: &mut Vec<u8>);
}

impl WriteJson for str {
    fn write_json(&self, out: &mut Vec<u8>) {
        string(out, self);
    }
}

impl WriteJson for String {
    fn write_json(&self, out: &mut Vec<u8>) {
        string(out, self);
    }
}

impl WriteJson for i64 {
    fn write_json(&self, out: &mut Vec<u8>) {
        int(out, *self);
    }
}

impl<T: WriteJson> WriteJson for [T] {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item.write_json(out);
        }
        out.push(b']');
    }
}

impl<T: WriteJson + ?Sized> WriteJson for &T {
    fn write_json(&self, out: &mut Vec<u8>) {
        (**self).write_json(out);
    }
}

impl WriteJson for std::collections::BTreeMap<String, String> {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        for (i, (k, v)) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            key(out, k);
            string(out, v);
        }
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(value: &str) -> Vec<u8> {
        let mut out = Vec::new();
        string(&mut out, value);
        out
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut samples: Vec<String> = (0u32..=0x80)
            .filter_map(char::from_u32)
            .map(|c| format!("a{c}b"))
            .collect();
        samples.extend(
            [
                "",
                "plain",
                "é ü \u{2028} \u{7f} 😀",
                "\"\\\"",
                "/~0~1",
                "\u{0}\u{1f}\n\r\t",
            ]
            .map(str::to_owned),
        );
        for sample in &samples {
            let serde = serde_json::to_vec(sample).unwrap_or_default();
            assert_eq!(written(sample), serde, "{sample:?}");
        }
    }

    #[test]
    fn special_finds_the_first_byte_a_json_string_cannot_hold_as_is() {
        // Every byte value at every place of a 24-byte run (three words and the tail), behind
        // bytes of every kind that needs no escape, including the high ones of UTF-8.
        for filler in [b'a', b'~', 0x7f, 0x80, 0xc3, 0xff, b' '] {
            for at in 0..24 {
                for byte in 0..=255u8 {
                    let mut bytes = vec![filler; 24];
                    bytes[at] = byte;
                    let expected = match byte {
                        b'"' | b'\\' | 0..=0x1f => at,
                        _ => 24,
                    };
                    assert_eq!(special(&bytes, 0), expected, "{filler} {at} {byte}");
                    assert_eq!(special(&bytes, at.min(3)), expected.max(at.min(3)));
                }
            }
        }
        // The first of two, whichever comes first.
        assert_eq!(special(b"abcdefg\\hij\"klmnop", 0), 7);
        assert_eq!(special(b"abc\x01defghij\"klmnop", 0), 3);
        assert_eq!(special(b"", 0), 0);
    }

    #[test]
    fn integers_are_written_as_serde_json_writes_them() {
        for value in [0, 1, -1, 9, 10, 86_400, -600, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            int(&mut out, value);
            assert_eq!(out, value.to_string().into_bytes());
        }
        let mut out = Vec::new();
        uint(&mut out, u64::MAX);
        assert_eq!(out, u64::MAX.to_string().into_bytes());
    }
}
