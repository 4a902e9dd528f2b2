//! `auth/<mount>/{config, role, role/<name>}` and how a path under `auth/` names a mount.

use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::json;

use super::body::parse_body;
use super::response::{data_response, no_content, warnings_response};
use super::state::MountKeys;
use super::{AppState, method_not_allowed, require_root};
use crate::{ApiError, JwtConfig, Role};

/// What a path under `auth/<mount>/` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action<'a> {
    /// `login`.
    Login,
    /// `config`.
    Config,
    /// `role`: the list of roles.
    Roles,
    /// `role/<name>`.
    Role(&'a str),
}

/// The mount and action a path under `auth/` names. The mount may contain slashes, so a path
/// can read several ways (`jwt/role/login`: the login of mount `jwt/role`, or the role `login`
/// of mount `jwt`): the first whose mount exists wins (mounts never nest).
pub(super) fn resolve<'a>(
    state: &AppState,
    rest: &'a str,
) -> Result<Option<(&'a str, Action<'a>)>, ApiError> {
    let readings = [
        rest.strip_suffix("/login").map(|m| (m, Action::Login)),
        rest.strip_suffix("/config").map(|m| (m, Action::Config)),
        rest.strip_suffix("/role").map(|m| (m, Action::Roles)),
        rest.rsplit_once("/role/")
            .map(|(m, name)| (m, Action::Role(name))),
    ];
    for (mount, action) in readings.into_iter().flatten() {
        if state.mount_exists(mount)? {
            // OpenBao's role paths take `framework.GenericNameRegex` names only; others match
            // no route of the mount (see `unsupported_in_mount`).
            if let Action::Role(name) = action
                && !generic_name(name)
            {
                return Ok(None);
            }
            return Ok(Some((mount, action)));
        }
    }
    Ok(None)
}

/// Whether a path under `auth/` lies in a mount (the built-in `token` one included): then a path
/// none of its handlers serves is the mount's "unsupported path", not "no handler for route".
pub(super) fn in_a_mount(state: &AppState, rest: &str) -> Result<bool, ApiError> {
    if rest == "token" || rest.starts_with("token/") || state.mount_exists(rest)? {
        return Ok(true);
    }
    for (end, _) in rest.match_indices('/') {
        if state.mount_exists(&rest[..end])? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// 404 for a path inside a mount that none of its handlers serves, in OpenBao's words.
pub(super) fn unsupported_in_mount() -> ApiError {
    ApiError {
        status: 404,
        errors: vec!["1 error occurred:\n\t* unsupported path\n\n".into()],
    }
}

/// `auth/<mount>/config`: read, or replace (keys checked and fetched before anything is stored).
pub(super) async fn config(
    state: &AppState,
    method: &Method,
    mount: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    match *method {
        Method::GET => {
            require_root(state, headers)?;
            match state.store.config(mount)? {
                Some(config) => Ok(data_response(config.to_response())),
                None => Err(ApiError::not_found()),
            }
        }
        Method::POST | Method::PUT => {
            require_root(state, headers)?;
            state.writable(mount)?;
            let config = JwtConfig::from_request(&parse_body(headers, body)?)?;
            let keys = MountKeys::build(config.clone()).await?;
            state.store.put_config(mount, &config)?;
            state.remember_keys(mount, keys);
            Ok(no_content())
        }
        _ => Err(method_not_allowed()),
    }
}

/// `auth/<mount>/role` (LIST) and `auth/<mount>/role/<name>`.
pub(super) fn role(
    state: &AppState,
    method: &Method,
    list: bool,
    mount: &str,
    name: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    // A method a path does not take is 405 before the token is looked at, as in OpenBao.
    let name = match name {
        None if list => return list_roles(state, mount, headers),
        Some(_) if list && *method == Method::GET => return list_roles(state, mount, headers),
        Some(name)
            if matches!(
                *method,
                Method::GET | Method::POST | Method::PUT | Method::DELETE
            ) =>
        {
            name.to_lowercase()
        }
        _ => return Err(method_not_allowed()),
    };
    require_root(state, headers)?;
    match *method {
        Method::GET => match state.store.role(mount, &name)? {
            Some(role) => Ok(data_response(role.to_response())),
            None => Err(ApiError::not_found()),
        },
        Method::DELETE => {
            state.writable(mount)?;
            state.store.delete_role(mount, &name)?;
            state.forget_roles();
            Ok(no_content())
        }
        _ => {
            state.writable(mount)?;
            let existing = state.store.role(mount, &name)?;
            let (role, warnings) =
                Role::from_request(existing.as_ref(), &parse_body(headers, body)?)?;
            state.store.put_role(mount, &name, &role)?;
            state.forget_roles();
            if warnings.is_empty() {
                Ok(no_content())
            } else {
                Ok(warnings_response(&warnings))
            }
        }
    }
}

fn list_roles(state: &AppState, mount: &str, headers: &HeaderMap) -> Result<Response, ApiError> {
    require_root(state, headers)?;
    let roles = state.store.roles(mount)?;
    if roles.is_empty() {
        return Err(ApiError::not_found());
    }
    Ok(data_response(json!({ "keys": roles })))
}

/// Go's `\w(([\w-.@]+)?\w)?` (Vault's `GenericNameRegex`): ASCII letters, digits and `_`, with
/// `-`, `.` and `@` allowed inside.
fn generic_name(name: &str) -> bool {
    let word = |c: &u8| c.is_ascii_alphanumeric() || *c == b'_';
    match name.as_bytes() {
        [] => false,
        [only] => word(only),
        [first, middle @ .., last] => {
            word(first) && word(last) && middle.iter().all(|c| word(c) || b"-.@".contains(c))
        }
    }
}
