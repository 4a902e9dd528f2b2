//! Go's `time.ParseDuration` and `Duration.String`, and Vault's `parseutil.ParseDurationSecond`
//! built on them (sdk/helper/parseutil), so that durations are read, refused and printed as
//! OpenBao does.

use super::fmt as gofmt;
use super::strconv::parse_int;

/// Go's `time.ParseDuration`, in whole nanoseconds (`-1.5h`, `100ms`, `1h30m`, `2us`).
pub(crate) fn go_parse_duration(orig: &str) -> Result<i128, String> {
    let invalid = || format!("time: invalid duration {}", gofmt::quote(orig));
    let mut s = orig;
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-') {
        negative = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const LIMIT: i128 = 1 << 63;
    let mut total: i128 = 0;
    while !s.is_empty() {
        if !s.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
            return Err(invalid());
        }
        let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let whole: i128 = if digits == 0 {
            0
        } else {
            s[..digits].parse().map_err(|_| invalid())?
        };
        if whole > LIMIT {
            return Err(invalid());
        }
        s = &s[digits..];
        let mut fraction = "";
        if let Some(rest) = s.strip_prefix('.') {
            let len = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            fraction = &rest[..len];
            s = &rest[len..];
            if digits == 0 && fraction.is_empty() {
                return Err(invalid());
            }
        }
        let unit_len = s
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!(
                "time: missing unit in duration {}",
                gofmt::quote(orig)
            ));
        }
        let unit_text = &s[..unit_len];
        s = &s[unit_len..];
        let unit: i128 = match unit_text {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    gofmt::quote(unit_text),
                    gofmt::quote(orig)
                ));
            }
        };
        let mut value = whole
            .checked_mul(unit)
            .filter(|v| *v <= LIMIT)
            .ok_or_else(invalid)?;
        if !fraction.is_empty() {
            let f: f64 = format!("0.{fraction}").parse().map_err(|_| invalid())?;
            value += (f * unit as f64) as i128;
        }
        total += value;
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if !negative && total > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(if negative { -total } else { total })
}

/// A duration string as Vault's `parseutil.ParseDurationSecond` reads it, in whole seconds:
/// plain seconds (`3600`), whole days (`2d`), else a Go duration (`90s`, `1.5h`, `100ms`); white
/// space is not trimmed.
pub(crate) fn vault_duration_seconds(text: &str) -> Result<i64, String> {
    if text.is_empty() {
        return Ok(0);
    }
    // parseutil multiplies in time.Duration (int64 nanoseconds) and refuses an overflow.
    const OVERFLOW: &str =
        "multiplication of durations resulted in overflow, one operand may be too large";
    let whole = |n: i64, unit: i128| {
        let nanos = i128::from(n) * unit;
        if i64::try_from(nanos).is_err() {
            return Err(OVERFLOW.to_string());
        }
        Ok(nanos)
    };
    let nanos = if let Ok(secs) = parse_int(text, 10) {
        whole(secs, 1_000_000_000)?
    } else if let Some(days) = text.strip_suffix('d') {
        match parse_int(days, 10) {
            Ok(n) => whole(n, 86_400_000_000_000)?,
            Err(e) => {
                return Err(format!(
                    "strconv.ParseInt: parsing {}: {}",
                    gofmt::quote(days),
                    e.go_text()
                ));
            }
        }
    } else {
        go_parse_duration(text)?
    };
    i64::try_from(nanos / 1_000_000_000).map_err(|_| OVERFLOW.to_string())
}

/// Go's `time.Duration.String()` for whole seconds: `1000h0m0s`, `5m0s`, `30s`.
pub(crate) fn go_duration(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

/// A duration as OpenBao's TTL warnings write it: Go's form without its zero units (`2h`,
/// `1h1s`, `1m29s`; `0s` for nothing).
pub(crate) fn short_duration(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    for (n, unit) in [(h, 'h'), (m, 'm'), (s, 's')] {
        if n != 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_durations_drop_zero_units_as_openbao_warnings_do() {
        // Seen from OpenBao 2.7.2's renew-self warnings.
        for (secs, text) in [
            (3660, "1h1m"),
            (3601, "1h1s"),
            (7200, "2h"),
            (120, "2m"),
            (86400, "24h"),
            (89, "1m29s"),
            (0, "0s"),
        ] {
            assert_eq!(short_duration(secs), text);
        }
    }
}

#[cfg(test)]
mod duration_tests {
    use super::*;

    #[test]
    fn durations_as_vault_reads_them() {
        for (text, secs) in [
            ("3600", 3600),
            ("90s", 90),
            ("1h30m", 5400),
            ("1.5h", 5400),
            ("+1h", 3600),
            ("-1h", -3600),
            ("100ms", 0),
            ("1500ms", 1),
            ("2us", 0),
            ("2d", 172_800),
            ("9223372036", 9_223_372_036),
            ("106751d", 9_223_286_400),
            ("", 0),
            ("0", 0),
        ] {
            assert_eq!(vault_duration_seconds(text), Ok(secs), "{text}");
        }
        for (text, message) in [
            (" 1h", "time: invalid duration \" 1h\""),
            ("1h ", "time: unknown unit \"h \" in duration \"1h \""),
            ("1x", "time: unknown unit \"x\" in duration \"1x\""),
            ("1.5", "time: missing unit in duration \"1.5\""),
            ("1.5d", "strconv.ParseInt: parsing \"1.5\": invalid syntax"),
            (
                "9223372037",
                "multiplication of durations resulted in overflow, one operand may be too large",
            ),
            (
                "-106752d",
                "multiplication of durations resulted in overflow, one operand may be too large",
            ),
            (
                "99999999999999999999d",
                "strconv.ParseInt: parsing \"99999999999999999999\": value out of range",
            ),
            ("1e3", "time: unknown unit \"e\" in duration \"1e3\""),
            ("1ys", "time: unknown unit \"ys\" in duration \"1ys\""),
            (".s", "time: invalid duration \".s\""),
            (
                "99999999999999h",
                "time: invalid duration \"99999999999999h\"",
            ),
        ] {
            assert_eq!(
                vault_duration_seconds(text),
                Err(message.to_string()),
                "{text}"
            );
        }
    }
}
