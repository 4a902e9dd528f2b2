//! `auth/<mount>/login`: a pod's token in, a kwi client token out, with one log line and the
//! login metrics per attempt.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

use super::body::parse_body;
use super::response::{Envelope, json_text_response};
use super::state::{Keys, MountKeys, NO_KEYS};
use super::{AppState, now};
use crate::metrics::outcome;
use crate::{ApiError, KeySource, LoginAuth, LoginError, LoginRequest, Role};

/// A login: the attempt, then its metrics and log line, whatever the outcome.
pub(super) async fn login(
    state: &AppState,
    mount: &str,
    headers: &HeaderMap,
    body: &[u8],
    remote: Option<IpAddr>,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    // The role's name once it is known to exist (metrics and logs never carry made-up names).
    let mut role_label = String::new();
    let result = attempt(state, mount, headers, body, remote, &mut role_label).await;
    record(
        state,
        mount,
        &role_label,
        remote,
        started.elapsed(),
        &result,
    );
    result
}

async fn attempt(
    state: &AppState,
    mount: &str,
    headers: &HeaderMap,
    body: &[u8],
    remote: Option<IpAddr>,
    role_label: &mut String,
) -> Result<Response, ApiError> {
    let body = parse_body(headers, body)?;
    let role_name = body
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_lowercase();
    let jwt = body
        .get("jwt")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim();
    let entry = state.mount_keys(mount).await?;
    let config = entry.as_deref().map(|e| &e.config);
    let role_name = if role_name.is_empty() {
        config.map(|c| c.default_role.clone()).unwrap_or_default()
    } else {
        role_name
    };
    let role = if role_name.is_empty() {
        None
    } else {
        state.role(mount, &role_name)?
    };
    if role.is_some() {
        role_label.clone_from(&role_name);
    }
    let request = LoginRequest {
        role_name: &role_name,
        jwt,
        remote,
        now: now(),
    };
    let auth = verify(entry.as_deref(), role.as_deref(), &request).await?;
    let (client_token, accessor) = state.tokens.issue(&auth, mount, now())?;
    answer(&auth, &client_token, &accessor)
}

/// Runs the login pipeline with the mount's keys; with remote keys, a token no cached key
/// verifies may be signed by a rotated key: as go-oidc does, the keys are fetched again and the
/// login retried (kwi coalesces the fetches and makes at most one per cooldown, so forged
/// tokens cannot make it hammer a cluster).
async fn verify(
    entry: Option<&MountKeys>,
    role: Option<&Role>,
    request: &LoginRequest<'_>,
) -> Result<LoginAuth, ApiError> {
    let config = entry.map(|e| &e.config);
    let auth = match entry.map(|e| &e.keys) {
        // No config: login says so before it looks at any key.
        None => crate::login(config, &NO_KEYS, KeySource::Static, role, request),
        Some(Keys::Static(keys)) => crate::login(config, keys, KeySource::Static, role, request),
        Some(Keys::Remote(remote_keys)) => {
            let asked = Instant::now();
            match crate::login(
                config,
                &remote_keys.snapshot().keys,
                KeySource::Remote,
                role,
                request,
            ) {
                Err(LoginError::NoKeyVerified) => {
                    let snapshot = remote_keys.refresh_after_miss(asked).await;
                    crate::login(config, &snapshot.keys, KeySource::Remote, role, request)
                }
                first => first,
            }
        }
    };
    Ok(auth?)
}

/// Vault's login answer: the envelope with `auth`.
fn answer(auth: &LoginAuth, client_token: &str, accessor: &str) -> Result<Response, ApiError> {
    let request_id = kwi_jose::random_uuid().map_err(|e| ApiError::internal(e.to_string()))?;
    let body = Envelope {
        auth: LoginResponseAuth {
            accessor,
            client_token,
            entity_id: "",
            lease_duration: auth.ttl,
            metadata: &auth.metadata,
            mfa_requirement: (),
            num_uses: auth.num_uses,
            orphan: true,
            policies: &auth.policies,
            renewable: auth.token_type != "batch",
            token_policies: Some(auth.token_policies.as_slice()).filter(|p| !p.is_empty()),
            token_type: &auth.token_type,
        },
        data: (),
        lease_duration: 0,
        lease_id: "",
        renewable: false,
        request_id: &request_id,
        warnings: None,
        wrap_info: (),
    };
    let text = serde_json::to_string(&body).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(json_text_response(StatusCode::OK, text))
}

/// Counts the login in the metrics and writes its log line: who, how it ended, never the
/// token. Errors can quote what the client sent (a role name of any length, even a token put in
/// the wrong field): the log keeps their start only.
fn record(
    state: &AppState,
    mount: &str,
    role: &str,
    remote: Option<IpAddr>,
    took: Duration,
    result: &Result<Response, ApiError>,
) {
    let status = result.as_ref().map_or_else(|e| e.status, |_| 200);
    state.metrics.login(mount, role, outcome(status), took);
    let error = result
        .as_ref()
        .err()
        .and_then(|e| e.errors.first())
        .map(|e| log_excerpt(e));
    let line = LoginLogLine {
        error: error.as_deref(),
        event: "login",
        mount,
        ms: took.as_secs_f64() * 1000.0,
        outcome: outcome(status),
        remote,
        role,
        status,
        time: &kwi_jose::time::format_rfc3339(now()),
    };
    if let Ok(line) = serde_json::to_string(&line) {
        kwi_http::log::line(line);
    }
}

/// The `auth` member of a login's (or a renewal's) answer, members in Vault's order.
#[derive(serde::Serialize)]
pub(super) struct LoginResponseAuth<'a> {
    pub(super) accessor: &'a str,
    pub(super) client_token: &'a str,
    pub(super) entity_id: &'a str,
    pub(super) lease_duration: i64,
    pub(super) metadata: &'a Map<String, Value>,
    pub(super) mfa_requirement: (),
    pub(super) num_uses: i64,
    pub(super) orphan: bool,
    pub(super) policies: &'a [String],
    pub(super) renewable: bool,
    /// `null` when empty, as OpenBao answers (its `policies` stays `[]`).
    pub(super) token_policies: Option<&'a [String]>,
    pub(super) token_type: &'a str,
}

/// The longest error text a login log line carries: a token cut there has lost its signature.
const LOG_EXCERPT: usize = 160;

/// At most [`LOG_EXCERPT`] bytes of `text` (cut at a character boundary, marked with `…`).
fn log_excerpt(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= LOG_EXCERPT {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut end = LOG_EXCERPT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}…", &text[..end]))
}

/// The log line of one login.
#[derive(serde::Serialize)]
struct LoginLogLine<'a> {
    error: Option<&'a str>,
    event: &'a str,
    mount: &'a str,
    ms: f64,
    outcome: &'a str,
    remote: Option<IpAddr>,
    role: &'a str,
    status: u16,
    time: &'a str,
}
