//! Compact JWS (RFC 7515 §7.1): `base64url(header).base64url(payload).base64url(signature)`,
//! split and decoded strictly, with the size limit checked before anything is decoded.

use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::json_error::{JsonError, JsonKind};
use crate::json_scan::{Document, MAX_DOCUMENT, Scanner, Text, Texts};
use crate::token_error::{HeaderProblem, MalformedToken, Segment, StrayCharacter, TokenError};
use crate::{b64, json_scan};

/// Tokens longer than this are refused unless the caller sets another limit.
pub const DEFAULT_MAX_TOKEN_SIZE: usize = 16 * 1024;

/// Longest kid accepted; kube's are 43 characters, the longest seen in the wild a few hundred.
const MAX_KID_LEN: usize = 1024;

/// The three segments of a compact JWS, still encoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Compact<'a> {
    pub signing_input: &'a str,
    pub header: &'a str,
    pub claims: &'a str,
    pub signature: &'a str,
}

/// The first character that has no place in a compact JWS, if any.
fn stray_character(text: &str) -> Option<StrayCharacter> {
    let bad = text
        .bytes()
        .find(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')))?;
    Some(match bad {
        b' ' | b'\t' | b'\r' | b'\n' => StrayCharacter::WhiteSpace,
        b'=' => StrayCharacter::Padding,
        b'+' | b'/' => StrayCharacter::StandardBase64,
        0x80.. => StrayCharacter::NonAscii,
        other => StrayCharacter::Other(other as char),
    })
}

/// The index of the first `.` at or after `from` (a SIMD search).
fn find_dot(bytes: &[u8], from: usize) -> Option<usize> {
    memchr::memchr(b'.', bytes.get(from..)?).map(|i| from + i)
}

/// Splits a token into its segments; checks size and shape. The alphabet is checked when the
/// segments are decoded, so a valid token is scanned once.
pub(crate) fn split(token: &str, max_size: usize) -> Result<Compact<'_>, TokenError> {
    if token.len() > max_size {
        return Err(TokenError::TooLarge {
            size: token.len(),
            limit: max_size,
        });
    }
    if token.is_empty() {
        return Err(TokenError::Malformed(MalformedToken::Empty));
    }
    let bytes = token.as_bytes();
    let first = find_dot(bytes, 0);
    let second = first.and_then(|i| find_dot(bytes, i + 1));
    let third = second.and_then(|i| find_dot(bytes, i + 1));
    let (Some(first), Some(second), None) = (first, second, third) else {
        if let Some(stray) = stray_character(token) {
            return Err(TokenError::Malformed(MalformedToken::Stray(stray)));
        }
        return Err(TokenError::Malformed(MalformedToken::Segments {
            count: token.split('.').count(),
        }));
    };
    let (header, claims, signature) = (
        &token[..first],
        &token[first + 1..second],
        &token[second + 1..],
    );
    if header.is_empty() || signature.is_empty() {
        return Err(TokenError::Malformed(MalformedToken::EmptySegment));
    }
    Ok(Compact {
        signing_input: &token[..header.len() + 1 + claims.len()],
        header,
        claims,
        signature,
    })
}

#[cold]
#[inline(never)]
fn bad_segment(segment: &str, what: Segment) -> TokenError {
    TokenError::Malformed(match stray_character(segment) {
        Some(stray) => MalformedToken::Stray(stray),
        None => MalformedToken::NotBase64url(what),
    })
}

/// Decodes one segment (strict base64url without padding).
pub(crate) fn decode_segment(segment: &str, what: Segment) -> Result<Vec<u8>, TokenError> {
    b64::url_decode_public(segment.as_bytes()).ok_or_else(|| bad_segment(segment, what))
}

/// The JOSE header of a token.
#[derive(Clone)]
pub struct Header {
    json: Document,
    alg: Text,
    kid: Option<Text>,
    typ: Option<Text>,
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Header")
            .field("alg", &self.alg())
            .field("kid", &self.kid())
            .field("typ", &self.typ())
            .field("json", &self.json.json())
            .finish()
    }
}

impl PartialEq for Header {
    fn eq(&self, other: &Header) -> bool {
        self.json.json() == other.json.json()
    }
}

#[cold]
#[inline(never)]
fn bad_header(problem: HeaderProblem) -> TokenError {
    TokenError::BadHeader(problem)
}

#[cold]
#[inline(never)]
fn header_scan(e: JsonError) -> TokenError {
    bad_header(HeaderProblem::Json(e))
}

/// A header member that must be a string, or what it was instead.
fn header_string(
    s: &mut Scanner<'_>,
    texts: &mut Texts,
    name: &'static str,
) -> Result<Text, TokenError> {
    if s.next_kind().map_err(header_scan)? != JsonKind::String {
        return Err(bad_header(HeaderProblem::NotString(name)));
    }
    Ok(texts.add(&s.string().map_err(header_scan)?))
}

impl Header {
    /// The `alg` value as written.
    pub fn alg(&self) -> &str {
        self.alg.get(&self.json)
    }

    /// The `kid`, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.map(|t| t.get(&self.json))
    }

    /// The `typ`, if any.
    pub fn typ(&self) -> Option<&str> {
        self.typ.map(|t| t.get(&self.json))
    }

    /// The algorithm, when it is one kwi knows.
    pub fn algorithm(&self) -> Option<Algorithm> {
        Algorithm::from_name(self.alg())
    }

    /// Every member, as decoded (parsed on first use).
    pub fn raw(&self) -> &Map<String, Value> {
        self.json.raw()
    }

    /// Parses a decoded header.
    pub fn parse(bytes: &[u8]) -> Result<Header, TokenError> {
        Header::parse_owned(bytes.to_vec())
    }

    /// [`Header::parse`] without copying the bytes.
    pub fn parse_owned(json: Vec<u8>) -> Result<Header, TokenError> {
        if json.len() > MAX_DOCUMENT {
            return Err(header_scan(JsonError::TooLarge));
        }
        let json = String::from_utf8(json).map_err(|e| {
            header_scan(JsonError::NotUtf8 {
                at: e.utf8_error().valid_up_to(),
            })
        })?;
        let mut texts = Texts::new(&json);
        let mut s = Scanner::from_text(&json);
        if s.next_kind().map_err(header_scan)? == JsonKind::Array {
            return Err(bad_header(HeaderProblem::Array));
        }
        let (mut alg, mut kid, mut typ) = (None, None, None);
        let mut failure: Option<TokenError> = None;
        s.object(|s, name| {
            let found = match &*name.text() {
                "alg" => header_string(s, &mut texts, "alg").map(|v| alg = Some(v)),
                "kid" => header_string(s, &mut texts, "kid").map(|v| kid = Some(v)),
                "typ" => header_string(s, &mut texts, "typ").map(|v| typ = Some(v)),
                "crit" => Err(bad_header(HeaderProblem::Critical)),
                "b64" => match s.boolean() {
                    Ok(Some(true)) => Ok(()),
                    _ => Err(bad_header(HeaderProblem::UnencodedPayload)),
                },
                _ => return s.skip(),
            };
            if let Err(e) = found {
                failure.get_or_insert(e);
                // Keep walking so that the object is consumed; the first failure wins.
                if s.next_kind().is_ok() {
                    return s.skip();
                }
            }
            Ok(())
        })
        .map_err(header_scan)?;
        s.end().map_err(header_scan)?;
        if let Some(failure) = failure {
            return Err(failure);
        }
        let alg = alg.ok_or_else(|| bad_header(HeaderProblem::NoAlgorithm))?;
        let json = texts.finish(json);
        if let Some(kid) = kid.map(|t| t.get(&json)) {
            // Printable ASCII (every kid seen in practice) needs no closer look.
            let printable = kid.bytes().all(|b| (0x20..0x7f).contains(&b));
            if !printable && kid.chars().any(char::is_control) {
                return Err(bad_header(HeaderProblem::KidControlCharacters(
                    kid.to_string(),
                )));
            }
            if kid.len() > MAX_KID_LEN {
                return Err(bad_header(HeaderProblem::KidTooLong(kid.len())));
            }
        }
        Ok(Header {
            json,
            alg,
            kid,
            typ,
        })
    }
}

/// A token decoded without any verification: for inspection only.
#[derive(Debug, Clone)]
pub struct UnverifiedToken {
    /// The header.
    pub header: Header,
    /// The claims, as a JSON object.
    pub claims: Map<String, Value>,
    /// The signature length in bytes.
    pub signature_len: usize,
}

/// Decodes a token's header and claims WITHOUT checking the signature.
pub fn decode_unverified(token: &str, max_size: usize) -> Result<UnverifiedToken, TokenError> {
    let parts = split(token.trim(), max_size)?;
    let header = Header::parse_owned(decode_segment(parts.header, Segment::Header)?)?;
    let claims = json_scan::parse_object(&decode_segment(parts.claims, Segment::Claims)?)
        .map_err(TokenError::BadClaims)?;
    let signature_len = decode_segment(parts.signature, Segment::Signature)?.len();
    Ok(UnverifiedToken {
        header,
        claims,
        signature_len,
    })
}

/// The `alg` a token's header names, read without any verification.
pub fn peek_alg(token: &str) -> Option<String> {
    peek_header(token).map(|h| h.alg().to_string())
}

/// The kid a token's header names, read without any verification (to pick or fetch keys).
pub fn peek_kid(token: &str) -> Option<String> {
    peek_header(token)?.kid().map(str::to_string)
}

/// A token's header, decoded and parsed without any verification.
fn peek_header(token: &str) -> Option<Header> {
    let header = token.split('.').next()?;
    Header::parse_owned(decode_segment(header, Segment::Header).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escaped_header_members_read_decoded() {
        let json = br#"{"alg":"RS\u0032\u00356","kid":"a\u00e9\"b","typ":"JWT","x":"\n"}"#;
        let header = Header::parse(json).unwrap();
        assert_eq!(header.alg(), "RS256");
        assert_eq!(header.algorithm(), Some(Algorithm::RS256));
        assert_eq!(header.kid(), Some("a\u{e9}\"b"));
        assert_eq!(header.typ(), Some("JWT"));
        // The decoded copies kept after the JSON are not part of it.
        assert_eq!(header.raw().len(), 4);
        assert_eq!(header.raw()["x"], "\n");
        assert_eq!(header, Header::parse(json).unwrap());
    }

    proptest! {
        #[test]
        fn find_dot_agrees_with_a_plain_search(text in "[a-z.\\u{80}-\\u{ff}]{0,40}", from in 0usize..45) {
            let naive = text.as_bytes().get(from..).and_then(|rest| rest.iter().position(|&b| b == b'.')).map(|i| from + i);
            prop_assert_eq!(find_dot(text.as_bytes(), from), naive);
        }
    }
}
