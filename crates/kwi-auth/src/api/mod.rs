//! The Vault HTTP API that kwi serves: `sys/health`, `sys/auth`, `auth/<mount>/{config, role,
//! login}` and `auth/token/*`, with Vault's bodies, statuses and headers.
//!
//! `handle` reads the request (body bounded, path decoded) and `route` sends it to the file of
//! its path: `sys` (health and mounts), `mount` (config and roles), `login`, `token`; `issuer`
//! serves kwi's own issuer documents, `state` holds what handlers share, `response` shapes
//! Vault's answers, `body` reads bodies and paths, `root` checks the root token.

mod body;
mod issuer;
mod login;
mod mount;
mod response;
mod root;
mod state;
mod sys;
mod token;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;

pub(crate) use body::parse_body;
use response::json_text_response;
use root::require_root;
pub use state::{AppState, CheckedKeys, check_keys};
pub(crate) use sys::check_new_mount;

use crate::ApiError;
use mount::Action;
use response::error_response;

/// Request bodies larger than this are refused (a login is a few KiB).
pub(crate) const MAX_BODY: usize = 1024 * 1024;
/// A request body must arrive within this time.
pub(crate) const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The router: every Vault path under `/v1/`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// The current time, in Unix seconds.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

fn unsupported_path(path: &str) -> ApiError {
    ApiError {
        status: 404,
        errors: vec![format!(
            "no handler for route {path:?}. route entry not found."
        )],
    }
}

/// A path no handler serves. Vault checks the token before it looks for a handler: the root
/// token learns that the path does not exist (404: "unsupported path" inside a mount, "no handler
/// for route" elsewhere), anyone else gets 403 `permission denied` and so cannot probe which
/// mounts exist.
fn no_route(state: &AppState, headers: &HeaderMap, path: &str) -> ApiError {
    if let Err(denied) = require_root(state, headers) {
        return denied;
    }
    if path.starts_with("sys/") {
        // The system backend is a mount of its own.
        return mount::unsupported_in_mount();
    }
    match path
        .strip_prefix("auth/")
        .map(|rest| mount::in_a_mount(state, rest))
    {
        Some(Ok(true)) => mount::unsupported_in_mount(),
        Some(Err(e)) => e,
        _ => unsupported_path(path),
    }
}

/// 405, with Vault's body.
pub(crate) fn method_not_allowed() -> ApiError {
    ApiError {
        status: 405,
        errors: vec!["1 error occurred:\n\t* unsupported operation\n\n".into()],
    }
}

/// A request as `route` sees it: its method, decoded path (under `/v1/`), headers and body.
struct Call<'a> {
    method: &'a Method,
    /// `LIST`, or `?list=true`.
    list: bool,
    path: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
    remote: Option<std::net::IpAddr>,
}

async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let remote = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let (parts, body) = request.into_parts();
    let body = match kwi_http::read_body(body, MAX_BODY, BODY_TIMEOUT).await {
        Ok(b) => b,
        Err(e) => return error_response(&ApiError::from_body(e)),
    };
    let list = parts.method.as_str() == "LIST"
        || parts
            .uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "list=true"));
    let path = match body::decoded_path(parts.uri.path()) {
        Ok(path) => path.trim_end_matches('/').to_string(),
        Err(e) => return error_response(&e),
    };
    if parts.method == Method::GET
        && let Some(document) = issuer::document(&state, &path, &parts.headers)
    {
        return match document {
            Ok(document) => json_text_response(StatusCode::OK, document),
            Err(e) => error_response(&ApiError::internal(e)),
        };
    }
    if path == "/metrics" && parts.method == Method::GET {
        let mut response = Response::new(Body::from(state.metrics.render(&state.remote_states())));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(kwi_http::metrics::CONTENT_TYPE),
        );
        return response;
    }
    let result = match path.strip_prefix("/v1/") {
        Some(path) => {
            let call = Call {
                method: &parts.method,
                list,
                path,
                headers: &parts.headers,
                body: &body,
                remote,
            };
            route(&state, &call).await
        }
        None => Err(unsupported_path(&path)),
    };
    match result {
        Ok(response) => response,
        Err(e) => error_response(&e),
    }
}

async fn route(state: &AppState, call: &Call<'_>) -> Result<Response, ApiError> {
    let Call {
        method,
        list,
        path,
        headers,
        body,
        remote,
    } = *call;
    if path == "sys/health" {
        return sys::health(state, method);
    }
    if path == "sys/auth" {
        return sys::list_mounts(state, method, headers);
    }
    if let Some(mount) = path.strip_prefix("sys/auth/") {
        return sys::mount(state, method, mount, headers, body);
    }
    if let Some(rest) = path.strip_prefix("auth/token/")
        && let Some(answer) =
            token::route(state, method, rest, headers, || parse_body(headers, body))
    {
        return answer;
    }
    let Some(rest) = path.strip_prefix("auth/") else {
        return Err(no_route(state, headers, path));
    };
    let Some((mount, action)) = mount::resolve(state, rest)? else {
        return Err(no_route(state, headers, path));
    };
    match action {
        Action::Login if matches!(*method, Method::POST | Method::PUT) => {
            login::login(state, mount, headers, body, remote).await
        }
        Action::Login => Err(method_not_allowed()),
        Action::Config => mount::config(state, method, mount, headers, body).await,
        Action::Roles => mount::role(state, method, list, mount, None, headers, body),
        Action::Role(name) => mount::role(state, method, list, mount, Some(name), headers, body),
    }
}

#[cfg(test)]
mod tests;
