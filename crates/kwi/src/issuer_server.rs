//! The HTTP side of `kwi issuer serve`: the two documents with kube-apiserver's headers, strong
//! ETags and 304s, HEAD, CORS, 404/405, health, readiness and Prometheus metrics, one JSON
//! access-log line per request. The documents are swapped whole when they are reloaded.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use kwi_http::metrics::{Family, family};
use kwi_issuer::{ServedSite, if_none_match};

/// The paths metrics count by (anything else is `other`, so labels stay bounded).
const PATHS: [&str; 6] = ["discovery", "jwks", "healthz", "readyz", "metrics", "other"];
/// The statuses metrics count by (anything else is counted as `other`).
const STATUSES: [u16; 6] = [200, 304, 400, 404, 405, 413];

/// One document, ready to send.
struct Ready {
    url_path: String,
    body: Bytes,
    content_type: HeaderValue,
    etag: HeaderValue,
    length: HeaderValue,
    label: usize,
}

/// What the server answers with now.
struct Documents {
    ready: Vec<Ready>,
}

/// The server's state: the documents (swapped on reload), headers, counters.
pub(crate) struct IssuerServer {
    documents: RwLock<Arc<Documents>>,
    cache_control: HeaderValue,
    access_log: bool,
    requests: [[AtomicU64; STATUSES.len() + 1]; PATHS.len()],
    generation: AtomicU64,
    reload_failures: AtomicU64,
}

fn documents(site: &ServedSite) -> Documents {
    let ready = site
        .documents
        .iter()
        .map(|d| Ready {
            url_path: d.url_path.clone(),
            body: Bytes::from(d.body.clone()),
            content_type: HeaderValue::from_static(d.content_type),
            etag: HeaderValue::from_str(&d.etag).unwrap_or(HeaderValue::from_static("\"\"")),
            length: HeaderValue::from(d.body.len()),
            label: if d.url_path.ends_with("/.well-known/openid-configuration") {
                0
            } else {
                1
            },
        })
        .collect();
    Documents { ready }
}

impl IssuerServer {
    /// A server answering with `site`.
    pub(crate) fn new(site: &ServedSite, max_age: u32, access_log: bool) -> IssuerServer {
        IssuerServer {
            documents: RwLock::new(Arc::new(documents(site))),
            cache_control: HeaderValue::from_str(&format!("public, max-age={max_age}"))
                .unwrap_or(HeaderValue::from_static("public, max-age=3600")),
            access_log,
            requests: Default::default(),
            generation: AtomicU64::new(1),
            reload_failures: AtomicU64::new(0),
        }
    }

    /// Swaps in new documents (requests in flight finish with the old ones).
    pub(crate) fn replace(&self, site: &ServedSite) {
        let next = Arc::new(documents(site));
        *self
            .documents
            .write()
            .unwrap_or_else(PoisonError::into_inner) = next;
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a reload that failed (the last good documents stay).
    pub(crate) fn reload_failed(&self) {
        self.reload_failures.fetch_add(1, Ordering::Relaxed);
    }

    fn current(&self) -> Arc<Documents> {
        self.documents
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn count(&self, label: usize, status: StatusCode) {
        let column = STATUSES
            .iter()
            .position(|s| *s == status.as_u16())
            .unwrap_or(STATUSES.len());
        self.requests[label][column].fetch_add(1, Ordering::Relaxed);
    }

    fn metrics_text(&self) -> String {
        let mut out = String::new();
        family(
            &mut out,
            "kwi_issuer_requests_total",
            Family::Counter,
            "Requests answered, by path and status.",
        );
        for (p, path) in PATHS.iter().enumerate() {
            for (s, count) in self.requests[p].iter().enumerate() {
                let n = count.load(Ordering::Relaxed);
                if n > 0 {
                    let status = STATUSES
                        .get(s)
                        .map_or("other".to_string(), |c| c.to_string());
                    out.push_str(&format!(
                        "kwi_issuer_requests_total{{path=\"{path}\",status=\"{status}\"}} {n}\n"
                    ));
                }
            }
        }
        family(
            &mut out,
            "kwi_issuer_documents_generation",
            Family::Gauge,
            "Documents loaded so far (1 at start, +1 per successful reload).",
        );
        out.push_str(&format!(
            "kwi_issuer_documents_generation {}\n",
            self.generation.load(Ordering::Relaxed)
        ));
        family(
            &mut out,
            "kwi_issuer_reload_failures_total",
            Family::Counter,
            "Reloads refused (the last good documents kept).",
        );
        out.push_str(&format!(
            "kwi_issuer_reload_failures_total {}\n",
            self.reload_failures.load(Ordering::Relaxed)
        ));
        out
    }
}

/// The router: everything goes through one handler.
pub(crate) fn router(server: Arc<IssuerServer>) -> Router {
    Router::new().fallback(handle).with_state(server)
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn document_response(server: &IssuerServer, doc: &Ready, request: &Parts) -> Response {
    let matched = request
        .headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| if_none_match(v, doc.etag.to_str().unwrap_or_default()));
    let (status, body) = if matched {
        (StatusCode::NOT_MODIFIED, Body::empty())
    } else if request.method == Method::HEAD {
        (StatusCode::OK, Body::empty())
    } else {
        (StatusCode::OK, Body::from(doc.body.clone()))
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if status == StatusCode::OK {
        headers.insert(header::CONTENT_TYPE, doc.content_type.clone());
        headers.insert(header::CONTENT_LENGTH, doc.length.clone());
    }
    headers.insert(header::CACHE_CONTROL, server.cache_control.clone());
    headers.insert(header::ETAG, doc.etag.clone());
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// No request takes a body; one up to this size is read and dropped (clients that send one
/// get their answer), a larger one refused unread.
const MAX_BODY: usize = 1 << 20;
/// A body must arrive within this time.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Reads and drops a request body; `Some` answer when it must be refused.
async fn drain_body(body: Body) -> Option<Response> {
    let status = match kwi_http::read_body(body, MAX_BODY, BODY_TIMEOUT).await {
        Ok(_) => return None,
        Err(kwi_http::BodyError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
        Err(_) => StatusCode::BAD_REQUEST,
    };
    let mut r = plain(status, "request body refused: no request here takes one\n");
    // Not drained further: the connection is closed.
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    Some(r)
}

async fn handle(
    State(server): State<Arc<IssuerServer>>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let has_body = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() != b"0")
        || parts.headers.contains_key(header::TRANSFER_ENCODING);
    let refused = if has_body {
        drain_body(body).await
    } else {
        None
    };
    let documents = server.current();
    let path = parts.uri.path();
    let found = documents.ready.iter().find(|d| d.url_path == path);
    let label = match (found, path) {
        (Some(doc), _) => doc.label,
        (None, "/healthz") => 2,
        (None, "/readyz") => 3,
        (None, "/metrics") => 4,
        _ => 5,
    };
    let response = if let Some(refused) = refused {
        refused
    } else if parts.method != Method::GET && parts.method != Method::HEAD {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        r
    } else {
        match (found, label) {
            (Some(doc), _) => document_response(&server, doc, &parts),
            (None, 2) => plain(StatusCode::OK, "ok\n"),
            (None, 3) => plain(StatusCode::OK, "ready\n"),
            (None, 4) => {
                let mut r = Response::new(Body::from(server.metrics_text()));
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(kwi_http::metrics::CONTENT_TYPE),
                );
                r
            }
            _ => plain(StatusCode::NOT_FOUND, "not found\n"),
        }
    };
    server.count(label, response.status());
    if server.access_log {
        let shown: String = path.chars().take(256).collect();
        kwi_http::log::event(
            "info",
            "request",
            &[
                ("method", parts.method.as_str()),
                ("path", &shown),
                ("status", response.status().as_str()),
                ("remote", &remote.to_string()),
            ],
        );
    }
    response
}
