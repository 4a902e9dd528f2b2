//! The HTTPS endpoints: `POST /mutate`, `GET /healthz`, `GET /readyz`, `GET /metrics`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kwi_webhook::{AdmissionRequest, Lookup, Mutation, WebhookConfig};

use crate::cache::Cache;
use crate::metrics::Metrics;

/// The largest AdmissionReview accepted (a pod is at most ~1.5 MB in etcd; its review twice that).
pub const MAX_BODY: usize = 3 * 1024 * 1024;
/// A client must send its body within this time (as `kwi serve`; the API server sends a review
/// at once, and gives up on the webhook after its own timeout anyway).
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// What the handlers share.
pub struct Webhook {
    /// The mutation's settings.
    pub config: WebhookConfig,
    /// The ServiceAccount cache.
    pub cache: Arc<Cache>,
    /// The counters.
    pub metrics: Arc<Metrics>,
}

/// The router.
pub fn router(webhook: Arc<Webhook>) -> Router {
    Router::new()
        .route("/mutate", post(mutate))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "not found: the webhook serves /mutate, /healthz, /readyz and /metrics\n",
            )
        })
        .layer(axum::middleware::from_fn_with_state(webhook.clone(), count))
        .with_state(webhook)
}

async fn count(
    State(webhook): State<Arc<Webhook>>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let (verb, path) = (
        request.method().as_str().to_owned(),
        request.uri().path().to_owned(),
    );
    let response = next.run(request).await;
    webhook
        .metrics
        .request(&verb, &path, response.status().as_u16());
    response
}

async fn readyz(State(webhook): State<Arc<Webhook>>) -> Response {
    if webhook.cache.ready() {
        (StatusCode::OK, "ok").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the ServiceAccount cache has not synced yet",
        )
            .into_response()
    }
}

async fn metrics(State(webhook): State<Arc<Webhook>>) -> Response {
    (
        [(header::CONTENT_TYPE, kwi_http::metrics::CONTENT_TYPE)],
        webhook.metrics.render(),
    )
        .into_response()
}

async fn mutate(State(webhook): State<Arc<Webhook>>, headers: HeaderMap, body: Body) -> Response {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json\n",
        )
            .into_response();
    }
    let body = match kwi_http::read_body(body, MAX_BODY, BODY_TIMEOUT).await {
        Ok(body) => body,
        Err(kwi_http::BodyError::TooLarge { .. }) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("an AdmissionReview is at most {MAX_BODY} bytes\n"),
            )
                .into_response();
        }
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    };
    let mutation = answer(&webhook, &body).await;
    log(&mutation);
    (
        [(header::CONTENT_TYPE, "application/json")],
        mutation.review,
    )
        .into_response()
}

/// The answer to one review: parse, resolve the ServiceAccount (cache, else a direct GET), mutate.
pub async fn answer(webhook: &Webhook, body: &[u8]) -> Mutation {
    let request = match AdmissionRequest::parse(body) {
        Ok(request) => request,
        Err(rejection) => {
            webhook.metrics.malformed();
            return rejection.into();
        }
    };
    let resolved = match request.subject() {
        Some((namespace, name)) => webhook.cache.resolve(namespace, name).await,
        None => Default::default(),
    };
    let lookup = Lookup {
        service_account: resolved.service_account.as_ref(),
        config_map: resolved.config_map.as_ref().map(|(e, exact)| (e, *exact)),
        container_credentials: resolved.container_credentials,
    };
    let mutation = request.mutate(&webhook.config, &lookup);
    for applied in &mutation.applied {
        webhook.metrics.pod(*applied);
    }
    mutation
}

fn log(mutation: &Mutation) {
    if let Some(error) = &mutation.error {
        kwi_http::log::event(
            "warn",
            "AdmissionReview not readable; pod admitted unmutated",
            &[("error", &error.to_string())],
        );
    } else if !mutation.patch.is_empty() {
        kwi_http::log::event(
            "info",
            "pod mutated",
            &[("patch_bytes", &mutation.patch.len().to_string())],
        );
    }
    for note in &mutation.notes {
        kwi_http::log::event("warn", "annotation value not used", &[("note", note)]);
    }
}
