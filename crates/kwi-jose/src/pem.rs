//! PEM armour (RFC 7468, with the RFC 1421 headers that OpenSSL's encrypted keys still use).
//!
//! The reader is lenient where real files differ (line width, CRLF, explanatory text before and
//! between blocks) and strict where a mistake would hide a broken file (truncated base64, a
//! missing END line, text after the last block).

use crate::{KeyError, b64};

/// One `-----BEGIN LABEL-----` … `-----END LABEL-----` block, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemBlock {
    /// The label, e.g. `PUBLIC KEY`.
    pub label: String,
    /// RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`), in order.
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub der: Vec<u8>,
    /// The 1-based line of the BEGIN line, for error messages.
    pub line: usize,
}

impl PemBlock {
    /// Whether the RFC 1421 headers say the body is encrypted (`Proc-Type: 4,ENCRYPTED`).
    pub fn is_encrypted(&self) -> bool {
        self.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("Proc-Type") && v.contains("ENCRYPTED"))
    }
}

fn boundary<'a>(line: &'a str, word: &str) -> Option<&'a str> {
    line.strip_prefix("-----")?
        .strip_prefix(word)?
        .strip_prefix(' ')?
        .strip_suffix("-----")
}

/// Whether the text holds a PEM BEGIN line.
pub fn looks_like_pem(text: &str) -> bool {
    text.lines().any(|l| boundary(l.trim(), "BEGIN").is_some())
}

/// Splits a PEM document into its blocks.
pub fn parse(text: &str) -> Result<Vec<PemBlock>, KeyError> {
    let mut blocks = Vec::new();
    let mut text_after_last: Option<usize> = None;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
    while let Some((no, line)) = lines.next() {
        let Some(label) = boundary(line, "BEGIN") else {
            if !line.is_empty() && !blocks.is_empty() && text_after_last.is_none() {
                text_after_last = Some(no);
            }
            continue;
        };
        text_after_last = None;
        blocks.push(read_block(label, no, &mut lines)?);
    }
    if let Some(no) = text_after_last {
        return Err(KeyError::Pem(format!(
            "unexpected text on line {no}, after the last END line (a truncated copy or two files pasted together?)"
        )));
    }
    if blocks.is_empty() {
        return Err(KeyError::Pem("no -----BEGIN …----- line".into()));
    }
    Ok(blocks)
}

fn read_block<'a>(
    label: &str,
    begin: usize,
    lines: &mut impl Iterator<Item = (usize, &'a str)>,
) -> Result<PemBlock, KeyError> {
    let mut headers = Vec::new();
    let mut body = String::new();
    let mut in_headers = true;
    for (no, line) in lines.by_ref() {
        if let Some(end) = boundary(line, "END") {
            if end != label {
                return Err(KeyError::Pem(format!(
                    "the block that begins \"{label}\" on line {begin} ends \"{end}\" on line {no}"
                )));
            }
            if body.is_empty() {
                return Err(KeyError::Pem(format!(
                    "the \"{label}\" block on line {begin} is empty"
                )));
            }
            let der = b64::std_decode(&body).map_err(|e| {
                KeyError::Pem(format!("the \"{label}\" block on line {begin}: {e}"))
            })?;
            return Ok(PemBlock {
                label: label.to_string(),
                headers,
                der,
                line: begin,
            });
        }
        if boundary(line, "BEGIN").is_some() {
            return Err(KeyError::Pem(format!(
                "the \"{label}\" block on line {begin} has no END line before the next BEGIN on line {no}"
            )));
        }
        if in_headers && let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
            continue;
        }
        in_headers = false;
        body.extend(line.chars().filter(|c| !c.is_whitespace()));
    }
    Err(KeyError::Pem(format!(
        "the \"{label}\" block on line {begin} has no -----END {label}----- line (truncated?)"
    )))
}

/// Encodes one block with 64-character lines, as OpenSSL and Go write it.
pub fn encode(label: &str, der: &[u8]) -> String {
    let body = b64::std_encode(der);
    let mut out = String::with_capacity(body.len() + body.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in body.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_line_width() {
        let der: Vec<u8> = (0..=255).collect();
        let text = encode("PUBLIC KEY", &der);
        assert!(text.lines().all(|l| l.len() <= 64));
        let blocks = parse(&text).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].der, der);
        assert_eq!(blocks[0].label, "PUBLIC KEY");
    }

    #[test]
    fn crlf_and_leading_text_are_accepted() {
        let text = "Subject: x\r\n-----BEGIN A-----\r\nAAEC\r\n-----END A-----\r\n";
        assert_eq!(parse(text).unwrap()[0].der, vec![0, 1, 2]);
    }

    #[test]
    fn trailing_text_is_rejected() {
        let text = "-----BEGIN A-----\nAAEC\n-----END A-----\ngarbage\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(err.contains("line 4"), "{err}");
    }

    #[test]
    fn missing_end_and_mismatched_end() {
        assert!(
            parse("-----BEGIN A-----\nAAEC\n")
                .unwrap_err()
                .to_string()
                .contains("no -----END A")
        );
        assert!(
            parse("-----BEGIN A-----\nAAEC\n-----END B-----\n")
                .unwrap_err()
                .to_string()
                .contains("ends \"B\"")
        );
    }

    #[test]
    fn truncated_base64_is_rejected() {
        let err = parse("-----BEGIN A-----\nAAE\n-----END A-----\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated"), "{err}");
    }

    #[test]
    fn encrypted_headers_are_seen() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAEC\n-----END RSA PRIVATE KEY-----\n";
        assert!(parse(text).unwrap()[0].is_encrypted());
    }
}
