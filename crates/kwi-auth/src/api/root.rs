//! The root token: who may administer kwi, read from the request as Vault reads it.

use axum::http::{HeaderMap, HeaderValue, header};

use super::AppState;
use crate::ApiError;

/// Whether `token` is the root token, compared in constant time. An empty root token matches
/// nothing (the command line refuses one; this keeps a server with one closed, not open).
pub(crate) fn is_root_token(state: &AppState, token: &str) -> bool {
    let expected = state.root_token.as_bytes();
    !expected.is_empty()
        && token.len() == expected.len()
        && token
            .bytes()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The token a request carries, as Vault reads it: `X-Vault-Token` when present and not empty,
/// otherwise `Authorization: Bearer …`. A wrong `X-Vault-Token` is not rescued by a right
/// bearer token.
pub(crate) fn request_token(headers: &HeaderMap) -> &str {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    match header("x-vault-token") {
        Some(token) if !token.is_empty() => token,
        _ => header(header::AUTHORIZATION.as_str())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default(),
    }
}

/// The root token, or 403 `permission denied`.
pub(super) fn require_root(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if is_root_token(state, request_token(headers)) {
        Ok(())
    } else {
        Err(ApiError::permission_denied())
    }
}
