//! Keys fetched from a JWKS URL, an OIDC discovery URL or several JWKS URLs (`jwks_pairs`):
//! cached, refetched when no cached key verifies a token, one refetch at a time per mount and at
//! most one per cooldown, so a flood of forged tokens cannot make kwi hammer a cluster.
//! A failed fetch keeps the last good keys.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use kwi_jose::{Jwks, KeySet};

use crate::ApiError;

/// Longest document accepted.
const MAX_DOCUMENT: usize = 1024 * 1024;
/// Time for one fetch, connection included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// At most one refetch on an unknown kid per this interval.
pub const REFETCH_COOLDOWN: Duration = Duration::from_secs(5);

/// The HTTP client kwi fetches keys with.
pub type HttpClient = reqwest::Client;

/// The builder of kwi's HTTP client: the platform's roots, or only the CA certificates of
/// `ca_pem` when given (as OpenBao's `jwks_ca_pem` and curl's `--cacert`: a private CA pins the
/// server); with `https_only`, a plain-HTTP URL is refused, redirects included. At most 3
/// redirects are followed (a caller that reports them sets its own policy).
pub fn client_builder(
    ca_pem: Option<&str>,
    https_only: bool,
) -> Result<reqwest::ClientBuilder, String> {
    let mut builder = reqwest::Client::builder()
        .https_only(https_only)
        .connect_timeout(Duration::from_secs(5))
        .timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("kwi/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = ca_pem.filter(|p| !p.trim().is_empty()) {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|_| {
            "not PEM certificates: a CERTIFICATE block could not be read".to_string()
        })?;
        if certs.is_empty() {
            return Err("no CERTIFICATE block".into());
        }
        builder = builder.tls_certs_only(certs);
    }
    Ok(builder)
}

/// Builds an HTTP client (see [`client_builder`]).
pub fn http_client(ca_pem: Option<&str>, https_only: bool) -> Result<reqwest::Client, String> {
    client_builder(ca_pem, https_only)?
        .build()
        .map_err(|e| e.to_string())
}

/// Reads a CA file (PEM certificates), when given: bounded, and refused when empty.
pub fn read_ca_file(ca_file: Option<&Path>) -> Result<Option<String>, String> {
    use std::io::Read;
    /// No CA bundle is this large (a system bundle is ~200 KiB).
    const MAX_CA_FILE: u64 = 16 * 1024 * 1024;
    let Some(path) = ca_file else {
        return Ok(None);
    };
    let shown = path.display();
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CA_FILE + 1).read_to_string(&mut text))
        .map_err(|e| format!("{shown}: cannot read: {e}"))?;
    if text.len() as u64 > MAX_CA_FILE {
        return Err(format!(
            "{shown}: larger than 16 MiB; this is not a CA file"
        ));
    }
    if text.trim().is_empty() {
        return Err(format!(
            "{shown}: empty; give the PEM certificates of the CA"
        ));
    }
    Ok(Some(text))
}

/// Builds an HTTP client trusting only the CA certificates of a PEM file, when given.
pub fn http_client_with_ca_file(
    ca_file: Option<&Path>,
    https_only: bool,
) -> Result<reqwest::Client, String> {
    http_client(read_ca_file(ca_file)?.as_deref(), https_only)
}

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    if e.is_timeout() {
        text.push_str(" (timed out)");
    }
    text
}

/// Why a document could not be fetched, typed so that a caller can answer as its relying
/// party does (STS tells an unreachable provider from a broken answer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// No answer: DNS, connection, TLS or a timeout.
    #[error("{0}")]
    Unreachable(String),
    /// An answer other than 2xx.
    #[error("{url}: the server answered {status}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// More than 1 MiB, or not UTF-8.
    #[error("{0}")]
    BadBody(String),
}

/// GETs a document: a 2xx status, at most 1 MiB, UTF-8.
pub async fn get_document(client: &reqwest::Client, url: &str) -> Result<String, FetchError> {
    let response = get_response(client, url).await?;
    read_document(url, response).await
}

/// GETs a URL and keeps the answer when its status is 2xx (its headers read, its body not yet:
/// [`read_document`] reads it).
pub async fn get_response(
    client: &reqwest::Client,
    url: &str,
) -> Result<reqwest::Response, FetchError> {
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| FetchError::Unreachable(describe(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    Ok(response)
}

/// Reads the body of an answer from `url`: at most 1 MiB, UTF-8.
pub async fn read_document(
    url: &str,
    mut response: reqwest::Response,
) -> Result<String, FetchError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::Unreachable(describe(&e)))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT {
            return Err(FetchError::BadBody(format!(
                "{url}: the document is larger than 1 MiB"
            )));
        }
    }
    String::from_utf8(body)
        .map_err(|_| FetchError::BadBody(format!("{url}: the document is not UTF-8")))
}

/// Says why a request got no answer, with every cause in the chain.
pub fn describe_error(e: &reqwest::Error) -> String {
    describe(e)
}

/// GETs a document: a 2xx status, at most 1 MiB, UTF-8.
pub async fn get_text(client: &reqwest::Client, url: &str) -> Result<String, String> {
    get_document(client, url).await.map_err(|e| e.to_string())
}

/// Fetches `{issuer}/.well-known/openid-configuration`, checks its issuer, returns its `jwks_uri`.
pub async fn discover_jwks_uri(client: &reqwest::Client, issuer: &str) -> Result<String, String> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let text = get_text(client, &url).await?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{url}: not JSON: {e}"))?;
    let found = doc
        .get("issuer")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    if found != issuer {
        return Err(format!(
            "oidc: issuer did not match the issuer returned by provider, expected {issuer:?} got {found:?}"
        ));
    }
    match doc.get("jwks_uri") {
        Some(serde_json::Value::String(uri)) => Ok(uri.clone()),
        Some(other) => Err(format!("{url}: \"jwks_uri\" is not a string: {other}")),
        None => Err(format!("{url}: no \"jwks_uri\"")),
    }
}

/// Where a mount's keys come from.
#[derive(Debug, Clone)]
pub struct Source {
    /// A JWKS URL, or an issuer to discover.
    pub url: String,
    /// Whether `url` is an issuer (OIDC discovery) rather than a JWKS.
    pub discovery: bool,
    client: reqwest::Client,
}

impl Source {
    /// A source with its own client (its own CA).
    pub fn new(url: &str, discovery: bool, ca_pem: &str) -> Result<Source, String> {
        Ok(Source {
            url: url.to_string(),
            discovery,
            // OpenBao fetches plain-HTTP JWKS URLs too.
            client: http_client(Some(ca_pem), false)?,
        })
    }

    async fn fetch(&self) -> Result<Jwks, String> {
        let jwks_url = if self.discovery {
            discover_jwks_uri(&self.client, &self.url).await?
        } else {
            self.url.clone()
        };
        let text = get_text(&self.client, &jwks_url).await?;
        read_jwks(&text).map_err(|e| format!("{jwks_url}: {e}"))
    }
}

/// The keys currently trusted, and how they were last fetched.
#[derive(Debug)]
pub struct Snapshot {
    /// The keys, indexed by kid.
    pub keys: Arc<KeySet>,
    /// The last fetch error, when the last fetch failed (the keys are the last good ones).
    pub last_error: Option<String>,
}

/// A mount's remote keys.
#[derive(Debug)]
pub struct RemoteKeys {
    sources: Vec<Source>,
    current: RwLock<Arc<Snapshot>>,
    last_fetch: tokio::sync::Mutex<Instant>,
    fetches_ok: AtomicU64,
    fetches_failed: AtomicU64,
}

/// A JWKS as go-jose reads it for go-oidc: `{}` and `"keys": null` are an empty set, a key of
/// a type go-jose does not know fails the whole set, and a key's `alg` is not looked at (the
/// token's algorithm still has to fit the key's type). An empty kid is no kid; two keys with
/// the same (non-empty) kid are refused, as kwi refuses them everywhere.
fn read_jwks(text: &str) -> Result<Jwks, String> {
    let bad = |e: &dyn std::fmt::Display| format!("bad JWKS: {e}");
    use serde_json::Value;
    let document: Value = serde_json::from_str(text).map_err(|e| bad(&e))?;
    let keys = match document {
        Value::Object(mut members) => match members.remove("keys") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(keys)) => keys,
            Some(_) => return Err(bad(&"\"keys\" must be a list of JWKs")),
        },
        _ => return Err(bad(&"\"keys\" must be a list of JWKs")),
    };
    let mut jwks = Jwks { keys: Vec::new() };
    let mut seen = std::collections::HashSet::new();
    for (i, key) in keys.into_iter().enumerate() {
        let mut jwk: kwi_jose::Jwk =
            serde_json::from_value(key).map_err(|e| bad(&format!("key {i}: {e}")))?;
        if !matches!(jwk.kty.as_str(), "RSA" | "EC" | "OKP" | "oct") {
            return Err(bad(&format!("key {i}: unknown \"kty\": {:?}", jwk.kty)));
        }
        jwk.alg = None;
        jwk.kid = jwk.kid.filter(|k| !k.is_empty());
        if let Some(kid) = &jwk.kid
            && !seen.insert(kid.clone())
        {
            return Err(bad(&format!("two keys have kid {kid:?}")));
        }
        jwks.keys.push(jwk);
    }
    Ok(jwks)
}

async fn fetch_all(sources: &[Source]) -> Result<KeySet, String> {
    let mut entries = Vec::new();
    for source in sources {
        let jwks = source.fetch().await?;
        for jwk in &jwks.keys {
            // Keys kwi cannot verify with (shared secrets, other curves…) are skipped, not fatal.
            if let Ok(key) = jwk.to_key() {
                entries.push((key.to_public(), jwk.kid.clone()));
            }
        }
    }
    KeySet::new(entries).map_err(|e| e.to_string())
}

impl RemoteKeys {
    /// Fetches every source once; fails when any cannot be fetched.
    pub async fn fetch(sources: Vec<Source>) -> Result<RemoteKeys, String> {
        let keys = fetch_all(&sources).await?;
        Ok(RemoteKeys {
            sources,
            current: RwLock::new(Arc::new(Snapshot {
                keys: Arc::new(keys),
                last_error: None,
            })),
            last_fetch: tokio::sync::Mutex::new(Instant::now()),
            fetches_ok: AtomicU64::new(1),
            fetches_failed: AtomicU64::new(0),
        })
    }

    /// The cache's state, for metrics and health.
    pub fn state(&self) -> crate::metrics::RemoteState {
        let snapshot = self.snapshot();
        crate::metrics::RemoteState {
            keys: snapshot.keys.len(),
            fetches_ok: self.fetches_ok.load(Ordering::Relaxed),
            fetches_failed: self.fetches_failed.load(Ordering::Relaxed),
            last_error: snapshot.last_error.clone(),
        }
    }

    /// The keys now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// After no cached key verified a token at `asked`: refetch, unless another request already
    /// refetched since then or the last fetch is more recent than the cooldown.
    pub async fn refresh_after_miss(&self, asked: Instant) -> Arc<Snapshot> {
        let mut last = self.last_fetch.lock().await;
        if *last >= asked || last.elapsed() < REFETCH_COOLDOWN {
            return self.snapshot();
        }
        *last = Instant::now();
        let fetched = fetch_all(&self.sources).await;
        let counter = if fetched.is_ok() {
            &self.fetches_ok
        } else {
            &self.fetches_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let next = Arc::new(match fetched {
            Ok(keys) => Snapshot {
                keys: Arc::new(keys),
                last_error: None,
            },
            // Keep the last good keys; remember why the fetch failed.
            Err(e) => Snapshot {
                keys: self.snapshot().keys.clone(),
                last_error: Some(e),
            },
        });
        if let Ok(mut guard) = self.current.write() {
            *guard = next.clone();
        }
        next
    }
}

/// Fetch errors surfaced at config-write time, in OpenBao's words.
pub fn config_error(discovery: bool, detail: &str) -> ApiError {
    if discovery {
        ApiError::bad_request(format!("error checking oidc discovery URL: {detail}"))
    } else {
        ApiError::bad_request(format!("error checking jwks URL: {detail}"))
    }
}
