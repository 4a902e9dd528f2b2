//! Go's `strconv`: `ParseInt` with its bases, underscores and errors, so that numbers written in
//! requests are read, and refused, as OpenBao (Go) reads them.

/// Why `ParseInt` fails, as Go's `strconv.ErrSyntax` and `strconv.ErrRange`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntError {
    /// Not a number in that base.
    Syntax,
    /// Outside `int64`.
    Range,
}

impl IntError {
    /// The end of Go's message: `invalid syntax`, `value out of range`.
    pub(crate) fn go_text(self) -> &'static str {
        match self {
            IntError::Syntax => "invalid syntax",
            IntError::Range => "value out of range",
        }
    }
}

/// Go's `strconv.ParseInt(text, base, 64)` for base 10, or base 0 (the base from the prefix:
/// `0x`, `0o`, `0b`, a leading `0` for octal, with `_` between digits allowed).
pub(crate) fn parse_int(text: &str, base: u32) -> Result<i64, IntError> {
    // Underscores are Go syntax only where the base comes from the text.
    let base_from_text = base == 0;
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let bytes = unsigned.as_bytes();
    if bytes.is_empty() {
        return Err(IntError::Syntax);
    }
    let (base, digits): (u32, &[u8]) = match bytes {
        _ if base != 0 => (base, bytes),
        [b'0', p, rest @ ..] if !rest.is_empty() && p.eq_ignore_ascii_case(&b'b') => (2, rest),
        [b'0', p, rest @ ..] if !rest.is_empty() && p.eq_ignore_ascii_case(&b'o') => (8, rest),
        [b'0', p, rest @ ..] if !rest.is_empty() && p.eq_ignore_ascii_case(&b'x') => (16, rest),
        [b'0', rest @ ..] => (8, rest),
        _ => (10, bytes),
    };
    let mut n: u128 = 0;
    let mut underscores = false;
    for &c in digits {
        let d = match c {
            b'_' => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => u32::from(c - b'0'),
            c if c.is_ascii_alphabetic() => u32::from(c.to_ascii_lowercase() - b'a') + 10,
            _ => return Err(IntError::Syntax),
        };
        if d >= base {
            return Err(IntError::Syntax);
        }
        n = n * u128::from(base) + u128::from(d);
        if n > 1u128 << 64 {
            return Err(IntError::Range);
        }
    }
    if underscores && !(base_from_text && underscore_ok(bytes)) {
        return Err(IntError::Syntax);
    }
    let limit = if negative {
        1u128 << 63
    } else {
        (1u128 << 63) - 1
    };
    if n > limit {
        return Err(IntError::Range);
    }
    let n = n as i128;
    Ok((if negative { -n } else { n }) as i64)
}

/// Go's `underscoreOK`: underscores only between digits, or after a base prefix.
fn underscore_ok(s: &[u8]) -> bool {
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = s[1].eq_ignore_ascii_case(&b'x');
    }
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_zero_reads_prefixes_and_underscores() {
        for (text, value) in [
            ("10", 10),
            ("-0x1F", -31),
            ("0o17", 15),
            ("017", 15),
            ("0b101", 5),
            ("1_000", 1000),
            ("0", 0),
            ("-9223372036854775808", i64::MIN),
        ] {
            assert_eq!(parse_int(text, 0), Ok(value), "{text}");
        }
        for (text, why) in [
            ("_1", IntError::Syntax),
            ("1__0", IntError::Syntax),
            ("08", IntError::Syntax),
            ("0x", IntError::Syntax),
            ("-", IntError::Syntax),
            ("9223372036854775808", IntError::Range),
        ] {
            assert_eq!(parse_int(text, 0), Err(why), "{text}");
        }
    }

    #[test]
    fn base_ten_reads_plain_decimals_only() {
        assert_eq!(parse_int("017", 10), Ok(17));
        assert_eq!(parse_int("+5", 10), Ok(5));
        assert_eq!(parse_int("1_000", 10), Err(IntError::Syntax));
        assert_eq!(parse_int("0x10", 10), Err(IntError::Syntax));
        assert_eq!(parse_int("99999999999999999999", 10), Err(IntError::Range));
    }
}
