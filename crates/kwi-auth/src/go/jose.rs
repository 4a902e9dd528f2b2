//! go-jose's reading of a compact JWS (`jws.go`: `ParseSigned`, `parseSignedCompact`;
//! `encoding.go`: `stripWhitespace`, `base64URLDecode`) and of its JOSE header (`json.Unmarshal`
//! into `rawHeader`, with go-jose's fork of `encoding/json`, which refuses a member name given
//! twice), for the answers of `kwi serve`'s login to be OpenBao's on malformed tokens too.
//!
//! go-jose is more lenient than kwi's strict parser: it removes white space anywhere in the
//! token, ignores non-zero trailing bits in base64url, and checks the signature over the
//! segments re-encoded. The go-jose version OpenBao verifies static keys with (through cap) also
//! drops trailing `=` from each segment; the one go-oidc uses for remote keys does not.
//! [`go_jose_compact`] turns a token into the canonical form kwi's parser reads (or go-jose's
//! error), so that the strict engine then gives the same verdict.

use std::borrow::Cow;

use kwi_jose::{JsonError, JsonKind, base64url, base64url_decode, read_json_value};

use super::base64::{self, Encoding};

/// Why go-jose's `ParseSigned` refuses a token before looking at its header, in its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GoJoseError {
    /// Not three `.`-separated parts (after white space is removed).
    #[error("go-jose/go-jose: compact JWS format must have three parts")]
    NotThreeParts,
    /// Go's base64 decoder stopped at byte `at` of a part.
    #[error("illegal base64 data at input byte {at}")]
    IllegalBase64 {
        /// Offset in the part.
        at: usize,
    },
}

/// Why go-jose refuses a token's header, in its words (or kwi's, for what Go's JSON syntax
/// errors would say).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoHeaderError {
    /// A member name given twice (go-jose's JSON decoder refuses them).
    #[error("json: duplicate key '{0}' in object")]
    DuplicateKey(String),
    /// A complete JSON value that is not an object (nor `null`).
    #[error("json: cannot unmarshal {} into Go value of type jose.rawHeader", .0.go_name())]
    NotAnObject(JsonKind),
    /// Not JSON: Go's syntax error texts are not reproduced, this is kwi's own.
    #[error("the token header is {0}")]
    NotJson(JsonError),
}

/// Whether a segment is already what kwi's strict decoder accepts: the alphabet only, a
/// possible length, zero trailing bits.
fn canonical(segment: &[u8]) -> bool {
    base64url_decode(segment).is_some()
}

/// Go's `base64.RawURLEncoding.DecodeString`, after go-jose's `TrimRight(s, "=")` when
/// `trim_padding`.
fn go_decode(segment: &str, trim_padding: bool) -> Result<Vec<u8>, GoJoseError> {
    let segment = if trim_padding {
        segment.trim_end_matches('=')
    } else {
        segment
    };
    base64::decode(segment.as_bytes(), Encoding::RawUrl)
        .map_err(|e| GoJoseError::IllegalBase64 { at: e.0 })
}

/// A token as go-jose's `ParseSigned` reads it, in the canonical form kwi's parser accepts, or
/// go-jose's error. `trim_padding`: whether trailing `=` are dropped (cap's go-jose for static
/// keys) or refused (go-oidc's, for remote keys). A canonical token comes back borrowed,
/// unexamined further.
pub fn go_jose_compact(token: &str, trim_padding: bool) -> Result<Cow<'_, str>, GoJoseError> {
    let bytes = token.as_bytes();
    let dots = bytes.iter().filter(|&&b| b == b'.').count();
    if dots == 2 && bytes.split(|&b| b == b'.').all(canonical) {
        return Ok(Cow::Borrowed(token));
    }
    let stripped: String = token.chars().filter(|c| !c.is_whitespace()).collect();
    let parts: Vec<&str> = stripped.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err(GoJoseError::NotThreeParts);
    };
    let header = go_decode(header, trim_padding)?;
    let claims = go_decode(claims, trim_padding)?;
    let signature = go_decode(signature, trim_padding)?;
    Ok(Cow::Owned(format!(
        "{}.{}.{}",
        base64url(&header),
        base64url(&claims),
        base64url(&signature)
    )))
}

/// go-jose's error for a header its JSON decoder refuses (a value that is not an object, a
/// member name given twice), for a canonical token whose header kwi refused; `None` when
/// go-jose would read the header and fail on the signature instead.
pub fn go_jose_header_error(token: &str) -> Option<GoHeaderError> {
    let header = base64url_decode(token.split('.').next()?.as_bytes())?;
    match read_json_value(&header) {
        // go-jose reads `null` as an empty header, which then fails the signature check.
        Ok(JsonKind::Object | JsonKind::Null) => None,
        Ok(kind) => Some(GoHeaderError::NotAnObject(kind)),
        Err((Some(JsonKind::Object), JsonError::DuplicateMember { name })) => {
            Some(GoHeaderError::DuplicateKey(name))
        }
        Err((_, e)) => Some(GoHeaderError::NotJson(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn enc(text: &str) -> String {
        base64url(text.as_bytes())
    }

    #[test]
    fn canonical_tokens_pass_through_untouched() {
        let token = format!("{}.{}.{}", enc(r#"{"alg":"RS256"}"#), enc("{}"), enc("sig"));
        assert!(matches!(go_jose_compact(&token, true), Ok(Cow::Borrowed(t)) if t == token));
    }

    #[test]
    fn white_space_and_padding_are_dropped_as_go_jose_does() {
        let token = format!("{}.{}.{}", enc(r#"{"alg":"RS256"}"#), enc("{}"), enc("sig"));
        let (h, rest) = token.split_once('.').unwrap();
        let messy = format!(" {h}=\t.\n{rest}==\u{a0}");
        assert_eq!(go_jose_compact(&messy, true).unwrap(), token);
    }

    #[test]
    fn go_jose_messages() {
        let three = "go-jose/go-jose: compact JWS format must have three parts";
        assert_eq!(go_jose_compact("abc", true).unwrap_err().to_string(), three);
        assert_eq!(
            go_jose_compact("a.b.c.d", true).unwrap_err().to_string(),
            three
        );
        assert_eq!(
            go_jose_compact("ab*c.e30.c2ln", true)
                .unwrap_err()
                .to_string(),
            "illegal base64 data at input byte 2"
        );
        assert_eq!(
            go_jose_compact("e30.e30AB.c2ln", true)
                .unwrap_err()
                .to_string(),
            "illegal base64 data at input byte 4",
            "a lone last character"
        );
        assert_eq!(
            go_jose_compact("ab=c.e30.c2ln", true)
                .unwrap_err()
                .to_string(),
            "illegal base64 data at input byte 2",
            "'=' is only dropped at the end"
        );
        assert_eq!(
            go_jose_compact("e30=.e30.c2ln", false)
                .unwrap_err()
                .to_string(),
            "illegal base64 data at input byte 3",
            "go-oidc's go-jose keeps padding, and refuses it"
        );
        // Non-zero trailing bits are ignored: "e31" decodes as "e30" does.
        assert_eq!(
            go_jose_compact("e31.e30.c2ln", true).unwrap(),
            "e30.e30.c2ln"
        );
    }

    #[test]
    fn header_messages() {
        let token = |header: &str| format!("{}.e30.c2ln", enc(header));
        assert_eq!(
            go_jose_header_error(&token(r#"{"alg":"RS256","alg":"none"}"#))
                .map(|e| e.to_string())
                .as_deref(),
            Some("json: duplicate key 'alg' in object")
        );
        assert_eq!(
            go_jose_header_error(&token("[1]"))
                .map(|e| e.to_string())
                .as_deref(),
            Some("json: cannot unmarshal array into Go value of type jose.rawHeader")
        );
        assert_eq!(
            go_jose_header_error(&token("5"))
                .map(|e| e.to_string())
                .as_deref(),
            Some("json: cannot unmarshal number into Go value of type jose.rawHeader")
        );
        assert_eq!(go_jose_header_error(&token("null")), None);
        assert_eq!(go_jose_header_error(&token(r#"{"alg":"none"}"#)), None);
        assert_eq!(
            go_jose_header_error(&token("nope"))
                .map(|e| e.to_string())
                .as_deref(),
            Some("the token header is not a valid JSON object: bad literal at byte 0")
        );
    }

    proptest! {
        #[test]
        fn what_go_jose_reads_the_strict_parser_reads(text in "[A-Za-z0-9_=. \t*-]{0,60}", trim in any::<bool>()) {
            if let Ok(read) = go_jose_compact(&text, trim) {
                let segments: Vec<&str> = read.split('.').collect();
                prop_assert_eq!(segments.len(), 3);
                for segment in segments {
                    prop_assert!(canonical(segment.as_bytes()), "{:?} from {:?}", read, text);
                }
            }
        }

        #[test]
        fn canonical_means_the_strict_decoder_accepts(text in "[A-Za-z0-9_=+/ -]{0,40}") {
            prop_assert_eq!(canonical(text.as_bytes()), base64url_decode(text.as_bytes()).is_some());
        }

        #[test]
        fn lenient_decoding_agrees_with_the_strict_one_on_canonical_text(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let text = base64url(&bytes);
            prop_assert!(canonical(text.as_bytes()));
            prop_assert_eq!(go_decode(&text, true).unwrap(), bytes.clone());
            prop_assert_eq!(go_decode(&text, false).unwrap(), bytes);
        }
    }
}
