//! Vault's answers: the JSON envelope, errors as `{"errors": [...]}`, 204s, and the headers every
//! answer carries.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::ApiError;

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
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

pub(crate) fn no_content() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(crate) fn error_response(e: &ApiError) -> Response {
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
pub(crate) fn data_response(data: Value) -> Response {
    envelope_response(data, None)
}

/// Vault's answer to a write that succeeded with warnings: 200, no data.
pub(crate) fn warnings_response(warnings: &[String]) -> Response {
    envelope_response(Value::Null, Some(warnings))
}

fn envelope_response(data: Value, warnings: Option<&[String]>) -> Response {
    let request_id = match kwi_jose::random_uuid() {
        Ok(id) => id,
        Err(e) => return error_response(&ApiError::internal(e.to_string())),
    };
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
