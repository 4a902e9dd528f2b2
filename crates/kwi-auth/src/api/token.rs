//! `auth/token/*`: what a client does with the token a login gave it. kwi's client tokens are
//! signed and self-contained: they can be looked up and renewed (up to the life they were
//! issued with, never beyond), but not recalled.

use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::login::LoginResponseAuth;
use super::response::{Envelope, data_response, json_text_response};
use super::root::{is_root_token, request_token};
use super::{AppState, method_not_allowed, now};
use crate::ApiError;
use crate::client_token::Renewal;
use crate::openbao::weak_decode;

/// Answers `auth/token/<rest>`; `None` for a path that is not one of the token endpoints.
pub(super) fn route(
    state: &AppState,
    method: &Method,
    rest: &str,
    headers: &HeaderMap,
    body: impl FnOnce() -> Result<Map<String, Value>, ApiError>,
) -> Option<Result<Response, ApiError>> {
    let write = matches!(*method, Method::POST | Method::PUT);
    let answer = match rest {
        "lookup-self" => lookup_self(state, headers),
        "renew-self" if write => renew_self(state, headers, body),
        "renew" if write => renew(state, headers, body),
        "revoke-self" if write => revoke_self(state, headers),
        "renew-self" | "renew" | "revoke-self" => Err(method_not_allowed()),
        _ => return None,
    };
    Some(answer)
}

/// `lookup-self`: what a token is, for the root token or a kwi client token.
fn lookup_self(state: &AppState, headers: &HeaderMap) -> Result<Response, ApiError> {
    let token = request_token(headers);
    if is_root_token(state, token) {
        return Ok(data_response(
            json!({"id": token, "policies": ["root"], "display_name": "root", "meta": null, "ttl": 0, "type": "service", "path": "auth/token/root"}),
        ));
    }
    Ok(data_response(Value::Object(
        state.tokens.lookup(token, now())?,
    )))
}

/// The `increment` field of a renewal: a duration, as OpenBao reads it.
fn increment(body: &Map<String, Value>) -> Result<Option<i64>, ApiError> {
    weak_decode::duration(body, "increment", false).map_err(crate::config::field_validation)
}

fn renew_self(
    state: &AppState,
    headers: &HeaderMap,
    body: impl FnOnce() -> Result<Map<String, Value>, ApiError>,
) -> Result<Response, ApiError> {
    let token = request_token(headers);
    if is_root_token(state, token) {
        // The root token has no lease (OpenBao answers the same).
        return Err(ApiError::bad_request("lease is not renewable"));
    }
    // The token is checked before the body is read: no field error for a stranger.
    let claims = state.tokens.check(token, now())?;
    let increment = increment(&body()?)?;
    renewal_response(&state.tokens.renew(token, &claims, increment, now())?)
}

fn renew(
    state: &AppState,
    headers: &HeaderMap,
    body: impl FnOnce() -> Result<Map<String, Value>, ApiError>,
) -> Result<Response, ApiError> {
    // Renewing another token takes a policy on auth/token/renew, which only root has here (a
    // login's default policy does not grant it, on OpenBao either).
    if !is_root_token(state, request_token(headers)) {
        return Err(ApiError::permission_denied());
    }
    let body = body()?;
    let token = weak_decode::string(&body, "token")
        .map_err(crate::config::field_validation)?
        .unwrap_or_default();
    if token.is_empty() {
        return Err(ApiError::bad_request("missing token ID"));
    }
    let increment = increment(&body)?;
    // OpenBao's answer for a token it does not know; kwi's check says only "not valid".
    let claims = state
        .tokens
        .check(&token, now())
        .map_err(|_| ApiError::bad_request("token not found"))?;
    renewal_response(&state.tokens.renew(&token, &claims, increment, now())?)
}

/// A signed token cannot be recalled before it expires: say so, rather than answer 204 and
/// let the client believe a leaked token is dead.
fn revoke_self(state: &AppState, headers: &HeaderMap) -> Result<Response, ApiError> {
    let token = request_token(headers);
    if is_root_token(state, token) {
        return Err(ApiError::bad_request(
            "kwi cannot revoke its root token: change --root-token (or KWI_ROOT_TOKEN) and restart",
        ));
    }
    let expires = state.tokens.check(token, now())?.exp.unwrap_or_default();
    Err(ApiError::bad_request(format!(
        "kwi cannot revoke this token: kwi's client tokens are signed and self-contained, so it stays valid until it expires at {} (in {} s); to limit how long a leaked token lives, give the role a shorter token_ttl",
        kwi_jose::time::format_rfc3339(expires),
        expires - now()
    )))
}

fn renewal_response(r: &Renewal) -> Result<Response, ApiError> {
    let request_id = kwi_jose::random_uuid().map_err(|e| ApiError::internal(e.to_string()))?;
    let warnings = r.warning.clone().map(|w| vec![w]);
    let body = Envelope {
        auth: LoginResponseAuth {
            accessor: &r.accessor,
            client_token: &r.client_token,
            entity_id: "",
            lease_duration: r.lease_duration,
            metadata: &r.metadata,
            mfa_requirement: (),
            num_uses: r.num_uses,
            orphan: true,
            policies: &r.policies,
            renewable: true,
            token_policies: Some(r.policies.as_slice()).filter(|p| !p.is_empty()),
            token_type: &r.token_type,
        },
        data: (),
        lease_duration: 0,
        lease_id: "",
        renewable: false,
        request_id: &request_id,
        warnings: warnings.as_deref(),
        wrap_info: (),
    };
    let text = serde_json::to_string(&body).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(json_text_response(axum::http::StatusCode::OK, text))
}
