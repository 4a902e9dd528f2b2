//! What a request carries: its path with `%XX` escapes decoded, and its body as JSON or as a
//! form, read as Vault reads them.

use std::borrow::Cow;

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

use crate::ApiError;

/// How `%XX` escapes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escapes {
    /// A URL path, as Go's `URL.Path`: a broken escape is an error, `+` is itself.
    Path,
    /// A form value, as Go's `url.ParseQuery` reads Vault's form bodies: `+` is a space, and
    /// (leniently) a broken escape is kept as it is.
    Form,
}

/// A `%` not followed by two hex digits, at this byte.
#[derive(Debug)]
struct BrokenEscape(usize);

fn percent_decode(text: &str, mode: Escapes) -> Result<Vec<u8>, BrokenEscape> {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' if mode == Escapes::Form => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(high), Some(low)) => {
                    out.push(((high << 4) | low) as u8);
                    i += 2;
                }
                _ if mode == Escapes::Form => out.push(b'%'),
                _ => return Err(BrokenEscape(i)),
            },
            b => out.push(b),
        }
        i += 1;
    }
    Ok(out)
}

/// The request path with its `%XX` escapes decoded, as Go's `URL.Path` (what Vault routes on)
/// has it: `caf%C3%A9` and `café` are one mount, `my%20role` is the role `my role`.
pub(super) fn decoded_path(raw: &str) -> Result<Cow<'_, str>, ApiError> {
    if !raw.contains('%') {
        return Ok(Cow::Borrowed(raw));
    }
    let bytes = percent_decode(raw, Escapes::Path).map_err(|BrokenEscape(at)| {
        ApiError::bad_request(format!(
            "invalid URL escape {:?} in the path",
            String::from_utf8_lossy(&raw.as_bytes()[at..(at + 3).min(raw.len())])
        ))
    })?;
    String::from_utf8(bytes).map(Cow::Owned).map_err(|_| {
        ApiError::bad_request("the URL path is not UTF-8 once its escapes are decoded")
    })
}

fn form_decode(text: &str) -> String {
    match percent_decode(text, Escapes::Form) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        // Form mode keeps broken escapes as they are: it never fails.
        Err(_) => text.to_string(),
    }
}

/// A JSON object body, or a form body (`a=b&c=d`), or nothing.
pub(crate) fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("failed to parse JSON input: body is not UTF-8"))?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Map::new());
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if form && !trimmed.starts_with('{') {
        let mut map = Map::new();
        for pair in trimmed.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            map.insert(form_decode(k), Value::String(form_decode(v)));
        }
        return Ok(map);
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(
            "failed to parse JSON input: not a JSON object",
        )),
        Err(e) => Err(ApiError::bad_request(format!(
            "failed to parse JSON input: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_decode_escapes_strictly() {
        assert_eq!(
            decoded_path("/v1/caf%C3%A9").ok().as_deref(),
            Some("/v1/café")
        );
        assert_eq!(decoded_path("/v1/a+b").ok().as_deref(), Some("/v1/a+b"));
        let broken = decoded_path("/v1/%zz").err().map(|e| e.errors.join(""));
        assert_eq!(
            broken.as_deref(),
            Some("invalid URL escape \"%zz\" in the path")
        );
        assert!(decoded_path("/v1/%ff").is_err(), "not UTF-8 once decoded");
    }

    #[test]
    fn forms_decode_plus_and_keep_broken_escapes() {
        assert_eq!(form_decode("a+b%20c"), "a b c");
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(form_decode("%zz"), "%zz");
    }

    #[test]
    fn bodies_are_json_objects_or_forms() {
        let mut form = HeaderMap::new();
        form.insert(
            header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let read = parse_body(&form, b"role=app&jwt=a%2Bb").ok();
        assert_eq!(
            read.as_ref().and_then(|m| m.get("jwt")),
            Some(&Value::from("a+b"))
        );
        let json = parse_body(&HeaderMap::new(), br#" {"role":"app"} "#).ok();
        assert_eq!(
            json.as_ref().and_then(|m| m.get("role")),
            Some(&Value::from("app"))
        );
        assert!(parse_body(&HeaderMap::new(), b"[1]").is_err());
        assert!(parse_body(&HeaderMap::new(), b"\xff").is_err());
        assert_eq!(parse_body(&HeaderMap::new(), b"  ").ok(), Some(Map::new()));
    }
}
