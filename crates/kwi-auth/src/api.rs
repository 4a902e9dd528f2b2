//! The Vault HTTP API that kwi serves: `sys/health`, `sys/auth`, `auth/<mount>/{config, role,
//! login}` and `auth/token/lookup-self`, with Vault's bodies, statuses and headers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use kwi_jose::{KeySet, random_uuid};
use serde_json::{Map, Value, json};

use crate::metrics::{Metrics, RemoteState, outcome};
use crate::remote::{RemoteKeys, config_error};
use crate::store::Mount;
use crate::{ApiError, ClientTokens, JwtConfig, LoginRequest, Role, Store, login};

/// Request bodies larger than this are refused (a login is a few KiB).
pub const MAX_BODY: usize = 1024 * 1024;
/// A request body must arrive within this time.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Everything a request handler needs.
pub struct AppState {
    /// The store.
    pub store: Store,
    /// kwi's client tokens.
    pub tokens: ClientTokens,
    /// The token administrative calls need.
    pub root_token: String,
    /// Each mount's config with its keys, built once per config write.
    keys: RwLock<HashMap<String, Arc<MountKeys>>>,
    /// Builds keys that are not loaded (after a restart), one at a time: concurrent first logins
    /// wait for one fetch instead of each making its own.
    building: tokio::sync::Mutex<()>,
    /// The last failed build of each mount's keys: within the refetch cooldown its error is
    /// answered again without fetching, so logins cannot make kwi hammer a failing cluster.
    failed: std::sync::Mutex<HashMap<String, (std::time::Instant, ApiError)>>,
    /// The mounts found so far; dropped on every mount write. Names that are not mounts are
    /// not kept: any client can send any number of them.
    mounts: RwLock<HashMap<String, bool>>,
    /// The roles found so far; dropped on every role or mount write. Unknown names are not kept.
    roles: RwLock<HashMap<String, Option<Arc<Role>>>>,
    /// Counters for `/metrics`.
    metrics: Metrics,
    /// Mounts declared in the config file: read-only through the API.
    declared: std::collections::HashSet<String>,
    /// The config file, for the read-only message.
    declared_in: String,
    /// Whether the server speaks TLS (for the URLs of its own issuer documents).
    pub tls: bool,
}

impl AppState {
    /// State over a store and a signing key.
    pub fn new(store: Store, tokens: ClientTokens, root_token: String) -> AppState {
        AppState {
            store,
            tokens,
            root_token,
            keys: RwLock::new(HashMap::new()),
            building: tokio::sync::Mutex::new(()),
            failed: std::sync::Mutex::new(HashMap::new()),
            mounts: RwLock::new(HashMap::new()),
            roles: RwLock::new(HashMap::new()),
            metrics: Metrics::default(),
            declared: std::collections::HashSet::new(),
            declared_in: String::new(),
            tls: false,
        }
    }

    /// Makes mounts read-only through the API: they come from `file`.
    pub fn declare(&mut self, mounts: Vec<String>, file: &str) {
        self.declared.extend(mounts);
        self.declared_in = file.to_string();
    }

    /// Keeps the keys [`check_keys`] read for a mount, so that its first login fetches nothing.
    pub fn remember_checked(&self, mount: &str, keys: CheckedKeys) {
        self.remember_keys(mount, keys.0);
    }

    fn writable(&self, mount: &str) -> Result<(), ApiError> {
        if self.declared.contains(mount) {
            return Err(ApiError::bad_request(format!(
                "mount {mount:?} is declared in {} and is read-only here; change the file and restart kwi",
                self.declared_in
            )));
        }
        Ok(())
    }

    /// The state of every mount's remote keys that are loaded.
    fn remote_states(&self) -> Vec<(String, RemoteState)> {
        let mut states: Vec<(String, RemoteState)> = self
            .keys
            .read()
            .map(|map| {
                map.iter()
                    .filter_map(|(mount, entry)| match &entry.keys {
                        Keys::Remote(remote) => Some((mount.clone(), remote.state())),
                        Keys::Static(_) => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        states.sort_by(|a, b| a.0.cmp(&b.0));
        states
    }

    // Every write goes through this process (redb locks the file), so these caches stay exact.
    fn mount_exists(&self, mount: &str) -> Result<bool, ApiError> {
        if let Some(found) = self.mounts.read().ok().and_then(|m| m.get(mount).copied()) {
            return Ok(found);
        }
        let exists = self.store.mount(mount)?.is_some();
        if exists && let Ok(mut map) = self.mounts.write() {
            map.insert(mount.to_string(), exists);
        }
        Ok(exists)
    }

    fn role(&self, mount: &str, name: &str) -> Result<Option<Arc<Role>>, ApiError> {
        let key = crate::store::role_key(mount, name);
        if let Some(found) = self.roles.read().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(found);
        }
        let role = self.store.role(mount, name)?.map(Arc::new);
        if role.is_some()
            && let Ok(mut map) = self.roles.write()
        {
            map.insert(key, role.clone());
        }
        Ok(role)
    }

    fn forget_mount(&self, mount: &str) {
        if let Ok(mut map) = self.mounts.write() {
            map.remove(mount);
        }
        self.forget_roles();
        self.forget_keys(mount);
    }

    fn forget_roles(&self) {
        if let Ok(mut map) = self.roles.write() {
            map.clear();
        }
    }

    async fn mount_keys(&self, mount: &str) -> Result<Option<Arc<MountKeys>>, ApiError> {
        let cached = || self.keys.read().ok().and_then(|m| m.get(mount).cloned());
        if let Some(found) = cached() {
            return Ok(Some(found));
        }
        let _one_at_a_time = self.building.lock().await;
        if let Some(found) = cached() {
            return Ok(Some(found));
        }
        let recent_failure = self.failed.lock().ok().and_then(|m| {
            m.get(mount)
                .filter(|(at, _)| at.elapsed() < crate::remote::REFETCH_COOLDOWN)
                .map(|(_, e)| e.clone())
        });
        if let Some(error) = recent_failure {
            return Err(error);
        }
        let Some(config) = self.store.config(mount)? else {
            return Ok(None);
        };
        match MountKeys::build(config).await {
            Ok(entry) => {
                let entry = Arc::new(entry);
                self.remember(mount, entry.clone());
                Ok(Some(entry))
            }
            Err(error) => {
                if let Ok(mut map) = self.failed.lock() {
                    map.insert(
                        mount.to_string(),
                        (std::time::Instant::now(), error.clone()),
                    );
                }
                Err(error)
            }
        }
    }

    fn remember(&self, mount: &str, entry: Arc<MountKeys>) {
        if let Ok(mut map) = self.failed.lock() {
            map.remove(mount);
        }
        if let Ok(mut map) = self.keys.write() {
            map.insert(mount.to_string(), entry);
        }
    }

    fn remember_keys(&self, mount: &str, keys: MountKeys) {
        self.remember(mount, Arc::new(keys));
    }

    fn forget_keys(&self, mount: &str) {
        if let Ok(mut map) = self.failed.lock() {
            map.remove(mount);
        }
        if let Ok(mut map) = self.keys.write() {
            map.remove(mount);
        }
    }
}

/// A config's keys, read by [`check_keys`] before anything is stored.
pub struct CheckedKeys(MountKeys);

/// Reads a config's keys as a config write does (parsing its PEMs, fetching its remote keys),
/// without storing anything: `--config` files are checked this way before they are applied,
/// and the keys kept with [`AppState::remember_checked`] once they are.
pub async fn check_keys(config: &JwtConfig) -> Result<CheckedKeys, ApiError> {
    MountKeys::build(config.clone()).await.map(CheckedKeys)
}

/// A mount's config with the keys it names: static PEMs, or keys fetched and cached.
struct MountKeys {
    config: JwtConfig,
    keys: Keys,
}

enum Keys {
    Static(KeySet),
    Remote(RemoteKeys),
}

impl MountKeys {
    /// Parses the PEMs, or fetches the remote keys, then checks the algorithms (failing as
    /// OpenBao's config write does, in its order).
    async fn build(config: JwtConfig) -> Result<MountKeys, ApiError> {
        let keys = match config.sources()? {
            None => Keys::Static(config.key_set()?),
            Some(sources) => {
                let discovery = sources.first().is_some_and(|s| s.discovery);
                Keys::Remote(
                    RemoteKeys::fetch(sources)
                        .await
                        .map_err(|e| config_error(discovery, &e))?,
                )
            }
        };
        config.check_algorithms()?;
        Ok(MountKeys { config, keys })
    }
}

/// The router: every Vault path under `/v1/`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// The key set of a mount that has no config yet.
static NO_KEYS: std::sync::LazyLock<KeySet> = std::sync::LazyLock::new(KeySet::empty);

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    json_text_response(status, body.to_string())
}

pub(crate) fn json_text_response(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Vault's answer envelope, serialized straight from borrowed parts (members in the order
/// Vault's JSON has them: sorted): `auth` for a login, `data` for everything else, `()` (null)
/// for the one not given.
#[derive(serde::Serialize)]
pub(crate) struct Envelope<'a, A, D> {
    pub(crate) auth: A,
    pub(crate) data: D,
    pub(crate) lease_duration: i64,
    pub(crate) lease_id: &'a str,
    pub(crate) renewable: bool,
    pub(crate) request_id: &'a str,
    pub(crate) warnings: Option<&'a [String]>,
    pub(crate) wrap_info: (),
}

#[derive(serde::Serialize)]
struct LoginResponseAuth<'a> {
    accessor: &'a str,
    client_token: &'a str,
    entity_id: &'a str,
    lease_duration: i64,
    metadata: &'a Map<String, Value>,
    mfa_requirement: (),
    num_uses: i64,
    orphan: bool,
    policies: &'a [String],
    renewable: bool,
    /// `null` when empty, as OpenBao answers (its `policies` stays `[]`).
    token_policies: Option<&'a [String]>,
    token_type: &'a str,
}

/// The log line of one login: who, how it ended, never the token.
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

#[derive(serde::Serialize)]
struct LoginLogLine<'a> {
    error: Option<&'a str>,
    event: &'a str,
    mount: &'a str,
    ms: f64,
    outcome: &'a str,
    remote: Option<std::net::IpAddr>,
    role: &'a str,
    status: u16,
    time: &'a str,
}

fn no_content() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn error_response(e: &ApiError) -> Response {
    if e.status >= 500 {
        // kwi's own failures (storage, signing) are logged; client errors are answered only.
        kwi_http::log::event(
            "error",
            "request failed",
            &[("error", &e.errors.join("; "))],
        );
    }
    json_response(
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &json!({ "errors": e.errors }),
    )
}

/// Vault's answer envelope around `data` (logins build theirs with `auth`).
fn data_response(data: Value) -> Response {
    envelope_response(data, None)
}

/// Vault's answer to a write that succeeded with warnings: 200, no data.
fn warnings_response(warnings: &[String]) -> Response {
    envelope_response(Value::Null, Some(warnings))
}

fn envelope_response(data: Value, warnings: Option<&[String]>) -> Response {
    let request_id = random_uuid().unwrap_or_default();
    let body = Envelope {
        auth: (),
        data,
        lease_duration: 0,
        lease_id: "",
        renewable: false,
        request_id: &request_id,
        warnings,
        wrap_info: (),
    };
    match serde_json::to_string(&body) {
        Ok(text) => json_text_response(StatusCode::OK, text),
        Err(e) => error_response(&ApiError::internal(e.to_string())),
    }
}

/// A JSON object body, or a form body (`a=b&c=d`), or nothing.
fn parse_body(headers: &HeaderMap, body: &Bytes) -> Result<Map<String, Value>, ApiError> {
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

fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// kwi's own issuer documents, so that other services can verify its client tokens: the JWKS of
/// its signing key at `/openid/v1/jwks` and a discovery document naming it.
fn issuer_document(state: &AppState, path: &str, headers: &HeaderMap) -> Option<Value> {
    match path {
        "/openid/v1/jwks" => {
            let key = state.tokens.public_key();
            let jwk = kwi_jose::jwk_from_key(&key, Some(state.tokens.kid()), false);
            serde_json::to_value(kwi_jose::Jwks { keys: vec![jwk] }).ok()
        }
        "/.well-known/openid-configuration" => {
            let issuer = state.tokens.issuer();
            let jwks_uri = if issuer == crate::client_token::CLIENT_TOKEN_ISSUER {
                // No public URL given: the JWKS where this request reached kwi.
                let host = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .filter(|h| !h.is_empty() && !h.contains(['/', '@', '\\', ' ']))
                    .unwrap_or("localhost");
                let scheme = if state.tls { "https" } else { "http" };
                format!("{scheme}://{host}/openid/v1/jwks")
            } else {
                format!("{}/openid/v1/jwks", issuer.trim_end_matches('/'))
            };
            // The one discovery document code, kube-apiserver's, shared with kwi issuer.
            let algs = [state.tokens.public_key().public().alg().to_string()];
            let document = kwi_issuer::discovery_json(
                issuer,
                &jwks_uri,
                &algs,
                kwi_issuer::DiscoveryStyle::Kubernetes,
            );
            serde_json::from_str(&document).ok()
        }
        _ => None,
    }
}

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

fn require_root(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if is_root_token(state, request_token(headers)) {
        Ok(())
    } else {
        Err(ApiError::permission_denied())
    }
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

fn unsupported_path(path: &str) -> ApiError {
    ApiError {
        status: 404,
        errors: vec![format!(
            "no handler for route {path:?}. route entry not found."
        )],
    }
}

pub(crate) fn method_not_allowed() -> ApiError {
    ApiError {
        status: 405,
        errors: vec!["1 error occurred:\n\t* unsupported operation\n\n".into()],
    }
}

/// The request path with its `%XX` escapes decoded, as Go's `URL.Path` (what Vault routes on)
/// has it: `caf%C3%A9` and `café` are one mount, `my%20role` is the role `my role`.
fn decoded_path(raw: &str) -> Result<std::borrow::Cow<'_, str>, ApiError> {
    if !raw.contains('%') {
        return Ok(std::borrow::Cow::Borrowed(raw));
    }
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let (Some(high), Some(low)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) else {
                return Err(ApiError::bad_request(format!(
                    "invalid URL escape {:?} in the path",
                    String::from_utf8_lossy(&bytes[i..(i + 3).min(bytes.len())])
                )));
            };
            out.push(((high << 4) | low) as u8);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map(std::borrow::Cow::Owned)
        .map_err(|_| {
            ApiError::bad_request("the URL path is not UTF-8 once its escapes are decoded")
        })
}

async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let remote = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let (parts, body) = request.into_parts();
    let body = match kwi_http::read_body(body, MAX_BODY, BODY_TIMEOUT).await {
        Ok(b) => Bytes::from(b),
        Err(e) => return error_response(&ApiError::from_body(e)),
    };
    let list = parts.method.as_str() == "LIST"
        || parts
            .uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "list=true"));
    let path = match decoded_path(parts.uri.path()) {
        Ok(path) => path.trim_end_matches('/').to_string(),
        Err(e) => return error_response(&e),
    };
    if parts.method == Method::GET
        && let Some(document) = issuer_document(&state, &path, &parts.headers)
    {
        return json_response(StatusCode::OK, &document);
    }
    if path == "/metrics" && parts.method == Method::GET {
        let mut response = Response::new(Body::from(state.metrics.render(&state.remote_states())));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        );
        return response;
    }
    let result = match path.strip_prefix("/v1/") {
        Some(path) => {
            route(
                &state,
                &parts.method,
                list,
                path,
                &parts.headers,
                &body,
                remote,
            )
            .await
        }
        None => Err(unsupported_path(&path)),
    };
    match result {
        Ok(response) => response,
        Err(e) => error_response(&e),
    }
}

async fn route(
    state: &AppState,
    method: &Method,
    list: bool,
    path: &str,
    headers: &HeaderMap,
    body: &Bytes,
    remote: Option<std::net::IpAddr>,
) -> Result<Response, ApiError> {
    if path == "sys/health" {
        if !matches!(*method, Method::GET | Method::HEAD) {
            return Err(ApiError {
                status: 405,
                errors: vec![],
            });
        }
        return Ok(json_response(
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
        ));
    }
    if path == "sys/auth" {
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
        return Ok(json_response(StatusCode::OK, &Value::Object(body)));
    }
    if let Some(mount) = path.strip_prefix("sys/auth/") {
        require_root(state, headers)?;
        state.writable(mount)?;
        return match *method {
            Method::POST | Method::PUT => {
                let body = parse_body(headers, body)?;
                let kind = body.get("type").and_then(Value::as_str).unwrap_or_default();
                if kind != "jwt" {
                    return Err(ApiError::bad_request(format!(
                        "kwi serves the jwt auth method only; {kind:?} is not available"
                    )));
                }
                let existing = state.store.mounts()?;
                check_new_mount(mount, existing.iter().map(|(name, _)| name.as_str()))?;
                let accessor = format!("auth_jwt_{}", &random_uuid().unwrap_or_default()[..8]);
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
            Method::DELETE => {
                state.store.delete_mount(mount)?;
                state.forget_mount(mount);
                Ok(no_content())
            }
            _ => Err(method_not_allowed()),
        };
    }
    if path == "auth/token/lookup-self" {
        let token = request_token(headers);
        if is_root_token(state, token) {
            return Ok(data_response(
                json!({"id": token, "policies": ["root"], "display_name": "root", "meta": null, "ttl": 0, "type": "service", "path": "auth/token/root"}),
            ));
        }
        return Ok(data_response(Value::Object(
            state.tokens.lookup(token, now())?,
        )));
    }
    if let Some(rest) = path.strip_prefix("auth/token/")
        && let Some(answer) =
            crate::token_routes::route(state, method, rest, headers, || parse_body(headers, body))
    {
        return answer;
    }
    let Some(rest) = path.strip_prefix("auth/") else {
        return Err(unsupported_path(path));
    };
    // auth/<mount>/login | config | role | role/<name>; the mount may contain slashes, so a
    // path can read several ways (`jwt/role/login`: the login of mount `jwt/role`, or the role
    // `login` of mount `jwt`): the first whose mount exists wins (mounts never nest).
    let readings = [
        rest.strip_suffix("/login").map(|m| (m, "login", "")),
        rest.strip_suffix("/config").map(|m| (m, "config", "")),
        rest.strip_suffix("/role").map(|m| (m, "roles", "")),
        rest.rsplit_once("/role/")
            .map(|(m, name)| (m, "role", name)),
    ];
    let mut found = None;
    for (mount, action, name) in readings.into_iter().flatten() {
        if state.mount_exists(mount)? {
            found = Some((mount, action, name));
            break;
        }
    }
    let Some((mount, action, name)) = found else {
        return Err(unsupported_path(path));
    };
    // OpenBao's role paths take `framework.GenericNameRegex` names only; others match no route.
    if action == "role" && !generic_name(name) {
        return Err(ApiError {
            status: 404,
            errors: vec!["1 error occurred:\n\t* unsupported path\n\n".into()],
        });
    }
    match (action, method.clone()) {
        ("login", Method::POST | Method::PUT) => {
            let started = std::time::Instant::now();
            let mut role_label = String::new();
            let result: Result<Response, ApiError> = async {
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
                let role = role.as_deref();
                let auth = match entry.as_deref().map(|e| &e.keys) {
                    // No config: login says so before it looks at any key.
                    None => login(config, &NO_KEYS, false, role, &request)?,
                    Some(Keys::Static(keys)) => login(config, keys, false, role, &request)?,
                    Some(Keys::Remote(remote_keys)) => {
                        let asked = std::time::Instant::now();
                        let first =
                            login(config, &remote_keys.snapshot().keys, true, role, &request);
                        // A token no cached key verifies may be signed by a rotated key: as
                        // go-oidc does, fetch the keys again and retry (kwi coalesces the fetches
                        // and makes at most one per cooldown, so forged tokens cannot make it
                        // hammer a cluster).
                        let no_key_verified = first
                            .as_ref()
                            .err()
                            .is_some_and(crate::login::remote_signature_failed);
                        if no_key_verified {
                            let snapshot = remote_keys.refresh_after_miss(asked).await;
                            login(config, &snapshot.keys, true, role, &request)?
                        } else {
                            first?
                        }
                    }
                };
                let (client_token, accessor) = state.tokens.issue(&auth, mount, now())?;
                let request_id = random_uuid().unwrap_or_default();
                let body = Envelope {
                    auth: LoginResponseAuth {
                        accessor: &accessor,
                        client_token: &client_token,
                        entity_id: "",
                        lease_duration: auth.ttl,
                        metadata: &auth.metadata,
                        mfa_requirement: (),
                        num_uses: auth.num_uses,
                        orphan: true,
                        policies: &auth.policies,
                        renewable: auth.token_type != "batch",
                        token_policies: Some(auth.token_policies.as_slice())
                            .filter(|p| !p.is_empty()),
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
                let text =
                    serde_json::to_string(&body).map_err(|e| ApiError::internal(e.to_string()))?;
                Ok(json_text_response(StatusCode::OK, text))
            }
            .await;
            let status = result.as_ref().map_or_else(|e| e.status, |_| 200);
            let took = started.elapsed();
            state
                .metrics
                .login(mount, &role_label, outcome(status), took);
            // One JSON line per login on standard error: who, how it ended, never the token.
            // Errors can quote what the client sent (a role name of any length, even a token
            // put in the wrong field): the log keeps their start only.
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
                role: &role_label,
                status,
                time: &kwi_jose::time::format_rfc3339(now()),
            };
            if let Ok(line) = serde_json::to_string(&line) {
                kwi_http::log::line(line);
            }
            result
        }
        ("config", Method::GET) => {
            require_root(state, headers)?;
            match state.store.config(mount)? {
                Some(config) => Ok(data_response(config.to_response())),
                None => Err(ApiError::not_found()),
            }
        }
        ("config", Method::POST | Method::PUT) => {
            require_root(state, headers)?;
            state.writable(mount)?;
            let config = JwtConfig::from_request(&parse_body(headers, body)?)?;
            let keys = MountKeys::build(config.clone()).await?;
            state.store.put_config(mount, &config)?;
            state.remember_keys(mount, keys);
            Ok(no_content())
        }
        ("roles", _) | ("role", Method::GET) if list => {
            require_root(state, headers)?;
            let roles = state.store.roles(mount)?;
            if roles.is_empty() {
                return Err(ApiError::not_found());
            }
            Ok(data_response(json!({ "keys": roles })))
        }
        ("role", Method::GET) => {
            require_root(state, headers)?;
            match state.store.role(mount, &name.to_lowercase())? {
                Some(role) => Ok(data_response(role.to_response())),
                None => Err(ApiError::not_found()),
            }
        }
        ("role", Method::POST | Method::PUT) => {
            require_root(state, headers)?;
            state.writable(mount)?;
            let name = name.to_lowercase();
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
        ("role", Method::DELETE) => {
            require_root(state, headers)?;
            state.writable(mount)?;
            state.store.delete_role(mount, &name.to_lowercase())?;
            state.forget_roles();
            Ok(no_content())
        }
        _ => Err(method_not_allowed()),
    }
}
