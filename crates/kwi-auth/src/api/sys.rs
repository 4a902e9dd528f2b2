//! `sys/*`: health, and the mounts of the JWT method (list, enable, disable).

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::body::parse_body;
use super::response::{json_response, no_content};
use super::{AppState, method_not_allowed, now, require_root};
use crate::ApiError;
use crate::store::Mount;

/// `sys/health`: Vault's body, with kwi's remote-key caches added.
pub(super) fn health(state: &AppState, method: &Method) -> Result<Response, ApiError> {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return Err(ApiError {
            status: 405,
            errors: vec![],
        });
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "initialized": true, "sealed": false, "standby": false, "performance_standby": false,
            "replication_performance_mode": "disabled", "replication_dr_mode": "disabled",
            "server_time_utc": now(), "version": concat!("kwi-", env!("CARGO_PKG_VERSION")),
            "cluster_name": "kwi", "cluster_id": "kwi",
            "kwi_remote_keys": state.remote_states().into_iter().map(|(mount, s)| (mount, json!({
                "keys": s.keys, "fetches_ok": s.fetches_ok, "fetches_failed": s.fetches_failed,
                "last_error": s.last_error,
            }))).collect::<Map<String, Value>>(),
        }),
    ))
}

/// `sys/auth`: every mount, and the token method Vault always has.
pub(super) fn list_mounts(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    require_root(state, headers)?;
    if *method != Method::GET {
        return Err(method_not_allowed());
    }
    let mut mounts = Map::new();
    for (name, mount) in state.store.mounts()? {
        mounts.insert(
            format!("{name}/"),
            json!({"type": mount.kind, "description": mount.description, "accessor": mount.accessor,
                   "config": {"default_lease_ttl": 0, "max_lease_ttl": 0, "token_type": "default-service"},
                   "local": false, "seal_wrap": false, "external_entropy_access": false, "options": null}),
        );
    }
    mounts.insert(
        "token/".into(),
        json!({"type": "token", "description": "token based credentials", "accessor": "auth_token_kwi",
               "config": {"default_lease_ttl": 0, "max_lease_ttl": 0}, "local": false, "seal_wrap": false,
               "external_entropy_access": false, "options": null}),
    );
    let mut body = mounts.clone();
    body.insert("data".into(), Value::Object(mounts));
    Ok(json_response(StatusCode::OK, &Value::Object(body)))
}

/// `sys/auth/<mount>`: enables (POST/PUT) or disables (DELETE) a mount.
pub(super) fn mount(
    state: &AppState,
    method: &Method,
    mount: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    require_root(state, headers)?;
    state.writable(mount)?;
    match *method {
        Method::POST | Method::PUT => enable(state, mount, &parse_body(headers, body)?),
        Method::DELETE => {
            state.store.delete_mount(mount)?;
            state.forget_mount(mount);
            Ok(no_content())
        }
        _ => Err(method_not_allowed()),
    }
}

fn enable(state: &AppState, mount: &str, body: &Map<String, Value>) -> Result<Response, ApiError> {
    let kind = body.get("type").and_then(Value::as_str).unwrap_or_default();
    if kind != "jwt" {
        return Err(ApiError::bad_request(format!(
            "kwi serves the jwt auth method only; {kind:?} is not available"
        )));
    }
    let existing = state.store.mounts()?;
    check_new_mount(mount, existing.iter().map(|(name, _)| name.as_str()))?;
    let uuid = kwi_jose::random_uuid().map_err(|e| ApiError::internal(e.to_string()))?;
    let accessor = format!("auth_jwt_{}", uuid.get(..8).unwrap_or(&uuid));
    let description = body
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    state.store.put_mount(
        mount,
        &Mount {
            kind: "jwt".into(),
            description,
            accessor,
            declared: false,
        },
    )?;
    state.forget_mount(mount);
    Ok(no_content())
}

/// The longest mount path accepted: names are for people and metrics labels, not payloads.
const MAX_MOUNT_PATH: usize = 256;

/// Characters a mount path never holds: control characters (NUL, CR, LF, escape sequences) and
/// bidirectional overrides that make a name display as another.
fn unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Refuses a new mount where OpenBao would: a path in use, inside a mount or holding one
/// (mounts never nest), the token method's, or `.`/`..` and empty parts.
pub(crate) fn check_new_mount<'a>(
    mount: &str,
    existing: impl IntoIterator<Item = &'a str>,
) -> Result<(), ApiError> {
    if let Some(c) = mount.chars().find(|&c| unprintable(c)) {
        return Err(ApiError::bad_request(format!(
            "a mount path cannot hold control or bidirectional formatting characters (found {})",
            c.escape_unicode()
        )));
    }
    if mount.len() > MAX_MOUNT_PATH {
        return Err(ApiError::bad_request(format!(
            "a mount path is at most {MAX_MOUNT_PATH} bytes long (this one has {})",
            mount.len()
        )));
    }
    if mount
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(ApiError::bad_request(if matches!(mount, "." | "..") {
            "cannot write to a path ending in '/'".to_string()
        } else {
            format!("{mount:?}: a mount path has no empty, \".\" or \"..\" parts")
        }));
    }
    let within = |inner: &str, outer: &str| {
        inner == outer
            || inner
                .strip_prefix(outer)
                .is_some_and(|r| r.starts_with('/'))
    };
    let taken = std::iter::once("token")
        .chain(existing)
        .find(|other| within(mount, other) || within(other, mount));
    match taken {
        Some(other) => Err(ApiError::bad_request(format!(
            "path is already in use at {other}/"
        ))),
        None => Ok(()),
    }
}
