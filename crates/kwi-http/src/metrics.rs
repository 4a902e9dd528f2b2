//! The Prometheus text exposition format (version 0.0.4), as every kwi server's `/metrics`
//! writes it: a family's `# HELP` and `# TYPE` lines, and label values escaped.

use std::fmt::Write;

/// The `Content-Type` of the text exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// What a metric family counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Only goes up (`_total`).
    Counter,
    /// Goes up and down.
    Gauge,
    /// Buckets, a sum and a count.
    Histogram,
}

/// Starts a metric family: its `# HELP` and `# TYPE` lines.
pub fn family(out: &mut String, name: &str, kind: Family, help: &str) {
    let kind = match kind {
        Family::Counter => "counter",
        Family::Gauge => "gauge",
        Family::Histogram => "histogram",
    };
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A label value as the exposition format writes it: `\\`, `\"` and `\n` escaped, and any
/// other control character shown as its `\\u{..}` escape, so no value can break a line or
/// carry a terminal escape into whoever reads the metrics.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                out.push('\\');
                out.extend(c.escape_unicode());
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_starts_with_help_and_type() {
        let mut out = String::new();
        family(&mut out, "kwi_x_total", Family::Counter, "Things.");
        family(&mut out, "kwi_y", Family::Gauge, "Level.");
        family(&mut out, "kwi_z_seconds", Family::Histogram, "Time.");
        assert_eq!(
            out,
            "# HELP kwi_x_total Things.\n# TYPE kwi_x_total counter\n\
             # HELP kwi_y Level.\n# TYPE kwi_y gauge\n\
             # HELP kwi_z_seconds Time.\n# TYPE kwi_z_seconds histogram\n"
        );
    }

    #[test]
    fn label_values_cannot_break_a_line() {
        assert_eq!(
            escape_label("a\"b\\c\nd\u{1b}e"),
            "a\\\"b\\\\c\\nd\\\\u{1b}e"
        );
        assert_eq!(escape_label("plain-mount/x"), "plain-mount/x");
    }
}
