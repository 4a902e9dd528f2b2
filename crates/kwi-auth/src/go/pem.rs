//! How OpenBao reads one `jwt_validation_pubkeys` entry: `certutil.ParsePublicKeyPEM` (OpenBao's
//! `sdk/helper/certutil/helpers.go`) over Go's `pem.Decode` (`src/encoding/pem/pem.go`) and
//! `x509.ParsePKIXPublicKey` / `x509.ParseCertificate`, so that the Vault-compatible API
//! accepts and refuses the same entries, with the same messages: the first PEM block whatever
//! its label, nothing after it, and in it a DER SubjectPublicKeyInfo or an X.509 certificate.

use der::{AnyRef, Decode, Reader, SliceReader, Tag, Tagged};
use kwi_jose::{Key, KeyError, key_from_certificate, key_from_spki};

use super::base64::{self, Encoding};

const PEM_START: &[u8] = b"\n-----BEGIN ";
const PEM_END: &[u8] = b"\n-----END ";
const PEM_END_OF_LINE: &[u8] = b"-----";

/// Go's `getLine`: the line up to `\n` (without a `\r` before it, and without trailing spaces
/// and tabs), and what follows it.
fn get_line(data: &[u8]) -> (&[u8], &[u8]) {
    let (mut end, next) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (i, i + 1),
        None => (data.len(), data.len()),
    };
    if next != end && end > 0 && data[end - 1] == b'\r' {
        end -= 1;
    }
    let mut line = &data[..end];
    while let [rest @ .., b' ' | b'\t'] = line {
        line = rest;
    }
    (line, &data[next..])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Go's `pem.Decode`: the bytes of the first well-formed block, and the rest after it.
fn pem_decode(data: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let mut rest = data;
    loop {
        if let Some(after) = rest.strip_prefix(&PEM_START[1..]) {
            rest = after;
        } else if let Some(i) = find(rest, PEM_START) {
            rest = &rest[i + PEM_START.len()..];
        } else {
            return None;
        }
        let (type_line, after) = get_line(rest);
        rest = after;
        let Some(label) = type_line.strip_suffix(PEM_END_OF_LINE) else {
            continue;
        };
        let mut headers = false;
        loop {
            if rest.is_empty() {
                return None;
            }
            let (line, next) = get_line(rest);
            if !line.contains(&b':') {
                break;
            }
            headers = true;
            rest = next;
        }
        let (end, trailer_at) = if !headers && rest.starts_with(&PEM_END[1..]) {
            (0, PEM_END.len() - 1)
        } else {
            match find(rest, PEM_END) {
                Some(i) => (i, i + PEM_END.len()),
                None => continue,
            }
        };
        let trailer = &rest[trailer_at..];
        let trailer_len = label.len() + PEM_END_OF_LINE.len();
        if trailer.len() < trailer_len {
            continue;
        }
        let (trailer, rest_of_end_line) = trailer.split_at(trailer_len);
        if !trailer.starts_with(label)
            || !trailer.ends_with(PEM_END_OF_LINE)
            || !get_line(rest_of_end_line).0.is_empty()
        {
            continue;
        }
        let text: Vec<u8> = rest[..end]
            .iter()
            .copied()
            .filter(|&b| b != b' ' && b != b'\t')
            .collect();
        let Ok(bytes) = base64::decode(&text, Encoding::Std) else {
            continue;
        };
        let (_, after) = get_line(&rest[end + PEM_END.len() - 1..]);
        return Some((bytes, after));
    }
}

/// Go's `x509.ParseCertificate` message for DER that is not a certificate, for the usual cases:
/// not a SEQUENCE at all, or a SEQUENCE that does not start with one (a PKCS#1 public key, any
/// private key).
fn certificate_error(bytes: &[u8]) -> Option<&'static str> {
    let mut reader = SliceReader::new(bytes).ok()?;
    let outer = match AnyRef::decode(&mut reader) {
        Ok(outer) if outer.tag() == Tag::Sequence => outer,
        _ => return Some("x509: malformed certificate"),
    };
    let mut fields = SliceReader::new(outer.value()).ok()?;
    match AnyRef::decode(&mut fields) {
        Ok(tbs) if tbs.tag() == Tag::Sequence => None,
        _ => Some("x509: malformed tbs certificate"),
    }
}

/// Whether the bytes are shaped as a SubjectPublicKeyInfo (an algorithm SEQUENCE and a BIT
/// STRING), whatever the algorithm: Go parses those, and OpenBao then refuses the key types it
/// does not verify with (DSA, X25519) as holding no valid public key.
fn shaped_like_spki(bytes: &[u8]) -> bool {
    let Ok(outer) = AnyRef::from_der(bytes) else {
        return false;
    };
    let Ok(mut fields) = SliceReader::new(outer.value()) else {
        return false;
    };
    outer.tag() == Tag::Sequence
        && AnyRef::decode(&mut fields).is_ok_and(|a| a.tag() == Tag::Sequence)
        && AnyRef::decode(&mut fields).is_ok_and(|k| k.tag() == Tag::BitString)
        && fields.is_finished()
}

/// Why OpenBao refuses a `jwt_validation_pubkeys` entry, in its words (the API puts "error
/// parsing public key: " before them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PemKeyError {
    /// No PEM block, or none holding a public key OpenBao verifies with.
    #[error("data does not contain any valid public keys")]
    NoKey,
    /// Something other than white space after the first block.
    #[error("unexpected trailing data after parsed PEM block")]
    TrailingData,
    /// DER that is not a certificate either (Go's `x509.ParseCertificate` message).
    #[error("{0}")]
    Certificate(&'static str),
    /// A certificate whose key kwi cannot read.
    #[error("{0}")]
    Key(KeyError),
}

/// Reads one `jwt_validation_pubkeys` entry as OpenBao does.
pub(crate) fn openbao_public_key(entry: &str) -> Result<Key, PemKeyError> {
    let Some((bytes, rest)) = pem_decode(entry.as_bytes()) else {
        return Err(PemKeyError::NoKey);
    };
    // Go's bytes.TrimSpace: Unicode white space, as str::trim. The rest starts after a '\n'.
    if !String::from_utf8_lossy(rest).trim().is_empty() {
        return Err(PemKeyError::TrailingData);
    }
    if let Ok(key) = key_from_spki(&bytes) {
        return Ok(key.to_public());
    }
    if shaped_like_spki(&bytes) {
        return Err(PemKeyError::NoKey);
    }
    match key_from_certificate(&bytes) {
        Ok(key) => Ok(key.to_public()),
        Err(e) => {
            Err(certificate_error(&bytes).map_or(PemKeyError::Key(e), PemKeyError::Certificate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kwi_jose::{Curve, KeySpec, generate, pem, pkcs1_public_der, pkcs8_der, spki_der};

    fn spki_pem(key: &Key) -> String {
        pem::encode("PUBLIC KEY", &spki_der(key).unwrap())
    }

    #[test]
    fn one_public_key_block_is_read_whatever_its_label() {
        let key = generate(KeySpec::Ec(Curve::P256)).unwrap();
        let text = spki_pem(&key);
        assert_eq!(openbao_public_key(&text).unwrap(), key.to_public());
        // Text before the block, CRLF line ends, trailing white space, another label.
        let crlf = format!("comment\r\n{}\r\n \n", text.replace('\n', "\r\n"));
        assert_eq!(openbao_public_key(&crlf).unwrap(), key.to_public());
        let relabelled = text.replace("PUBLIC KEY", "WHATEVER");
        assert_eq!(openbao_public_key(&relabelled).unwrap(), key.to_public());
    }

    #[test]
    fn refuses_what_openbao_refuses_with_its_words() {
        let rsa = generate(KeySpec::Rsa { bits: 2048 }).unwrap();
        let ec = generate(KeySpec::Ec(Curve::P256)).unwrap();
        let two = format!("{}{}", spki_pem(&rsa), spki_pem(&ec));
        let cases = [
            (
                two.as_str(),
                "unexpected trailing data after parsed PEM block",
            ),
            ("not a key", "data does not contain any valid public keys"),
            ("", "data does not contain any valid public keys"),
            (
                "{\"kty\":\"EC\",\"crv\":\"P-256\"}",
                "data does not contain any valid public keys",
            ),
        ];
        for (entry, message) in cases {
            assert_eq!(
                openbao_public_key(entry).unwrap_err().to_string(),
                message,
                "{entry}"
            );
        }
        let pkcs1 = pem::encode("RSA PUBLIC KEY", &pkcs1_public_der(&rsa).unwrap());
        let private = pem::encode("PRIVATE KEY", &pkcs8_der(&ec).unwrap());
        for entry in [pkcs1, private] {
            assert_eq!(
                openbao_public_key(&entry).unwrap_err().to_string(),
                "x509: malformed tbs certificate"
            );
        }
        let not_der = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert_eq!(
            openbao_public_key(not_der).unwrap_err().to_string(),
            "x509: malformed certificate"
        );
    }

    #[test]
    fn a_certificate_key_kwi_cannot_read_says_why_in_kwis_words() {
        let error = KeyError::UnknownFormat {
            hint: String::new(),
        };
        assert_eq!(
            PemKeyError::Key(error.clone()).to_string(),
            error.to_string()
        );
    }

    #[test]
    fn malformed_blocks_are_skipped_as_go_skips_them() {
        let key = generate(KeySpec::Ec(Curve::P256)).unwrap();
        let good = spki_pem(&key);
        // A block whose END label does not match, then a good one: Go reads the good one.
        let mismatched = "-----BEGIN A-----\nAAAA\n-----END B-----\n";
        assert_eq!(
            openbao_public_key(&format!("{mismatched}{good}")).unwrap(),
            key.to_public()
        );
        // Bad base64 in the only block: no block at all.
        let bad = "-----BEGIN PUBLIC KEY-----\n@@@@\n-----END PUBLIC KEY-----\n";
        assert_eq!(
            openbao_public_key(bad).unwrap_err().to_string(),
            "data does not contain any valid public keys"
        );
    }
}
