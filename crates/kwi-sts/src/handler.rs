//! The HTTP side: STS's query protocol (`POST /` with a form body, or the parameters in the
//! query string), answered with STS's XML. [`answer`] is the whole request handling without
//! HTTP, for tests; [`router`] puts it behind axum with a bounded body.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::assume::{assume_role, parse_request};
use crate::config::Config;
use crate::error::StsError;
use crate::idp::{HttpKeySource, KeySource};
use crate::response::response_xml;
use crate::sessions::{Session, Sessions};

/// The largest request body read (as `kwi serve`'s): far more than a 20,000-character token and
/// the other parameters, URL-encoded, need; kwi-http reads it into one buffer whatever the
/// client's write pattern.
pub const MAX_BODY: usize = 1024 * 1024;
/// Time a client has to send its body once its headers are in (as `kwi serve`'s).
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A running STS: its config, where it gets the providers' keys, the sessions it issued.
#[derive(Debug)]
pub struct Sts<K = HttpKeySource> {
    /// The config.
    pub config: Config,
    /// The key source.
    pub keys: K,
    /// The sessions issued, for `GetCallerIdentity`.
    pub sessions: Sessions,
}

impl<K: KeySource> Sts<K> {
    /// An STS with no session issued yet.
    pub fn new(config: Config, keys: K) -> Sts<K> {
        Sts {
            config,
            keys,
            sessions: Sessions::default(),
        }
    }
}

/// One request's parameters and the SigV4 credential it was signed with, if any.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// The query and form parameters.
    pub params: &'a [(String, String)],
    /// The `Authorization` header, or a presigned request's `X-Amz-Credential`.
    pub credential: Option<&'a str>,
}

/// Answers one request: the HTTP status and the XML body.
pub async fn answer<K: KeySource>(
    sts: &Sts<K>,
    incoming: Incoming<'_>,
    now: i64,
    request_id: &str,
) -> (u16, String) {
    let action = incoming
        .params
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.as_str());
    let result = if action == Some("GetCallerIdentity") {
        sts.sessions
            .caller_identity(incoming.credential, now, request_id)
    } else {
        match parse_request(incoming.params) {
            Ok(request) => assume_role(&sts.config, &sts.keys, &request, now)
                .await
                .map(|issued| {
                    sts.sessions.insert(
                        &issued.credentials.access_key_id,
                        Session {
                            arn: issued.assumed_role_arn.clone(),
                            user_id: issued.assumed_role_id.clone(),
                            account: sts.config.account.clone(),
                            expiration: issued.credentials.expiration,
                        },
                    );
                    response_xml(&issued, request_id)
                }),
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(xml) => (200, xml),
        Err(e) => (e.code.status(), e.to_xml(request_id)),
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn xml_response(status: u16, body: String, request_id: &str) -> Response {
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        body,
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    response
}

async fn handle<K: KeySource + Send + Sync + 'static>(
    State(sts): State<Arc<Sts<K>>>,
    request: Request,
) -> Response {
    let request_id = kwi_jose::random_uuid().unwrap_or_default();
    let query = request.uri().query().unwrap_or_default().to_string();
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match kwi_http::read_body(request.into_body(), MAX_BODY, BODY_TIMEOUT).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let status = match e {
                kwi_http::BodyError::TooLarge { .. } => 413,
                kwi_http::BodyError::TimedOut(_) => 408,
                _ => 400,
            };
            let e = StsError::new(crate::StsErrorCode::ValidationError, e.to_string());
            return xml_response(status, e.to_xml(&request_id), &request_id);
        }
    };
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .chain(form_urlencoded::parse(&body))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let credential = authorization.or_else(|| {
        params
            .iter()
            .find(|(k, _)| k == "X-Amz-Credential")
            .map(|(_, v)| v.clone())
    });
    let incoming = Incoming {
        params: &params,
        credential: credential.as_deref(),
    };
    let (status, xml) = answer(&sts, incoming, now(), &request_id).await;
    xml_response(status, xml, &request_id)
}

/// The path that answers 200 while the server runs (for probes; STS itself has none).
pub const HEALTH_PATH: &str = "/healthz";

/// The router: every path but [`HEALTH_PATH`] answers as STS's endpoint does (the SDKs post
/// to `/`).
pub fn router<K: KeySource + Send + Sync + 'static>(sts: Arc<Sts<K>>) -> Router {
    Router::new()
        .route(HEALTH_PATH, axum::routing::get(|| async { "ok\n" }))
        .fallback(handle::<K>)
        .with_state(sts)
}
