//! Sending a request that object_store's authorizer has signed, with reqwest.

use object_store::client::HttpRequest;

use crate::PublishError;

/// Sends the signed request; `service` names the cloud in the error when it cannot be reached.
pub(crate) async fn send(
    http: &reqwest::Client,
    request: HttpRequest,
    service: &str,
) -> Result<reqwest::Response, PublishError> {
    let url = request.uri().to_string();
    let body = request
        .body()
        .as_bytes()
        .map(|b| b.to_vec())
        .unwrap_or_default();
    http.request(request.method().clone(), &url)
        .headers(request.headers().clone())
        .body(body)
        .send()
        .await
        .map_err(|e| {
            PublishError::unavailable(format!(
                "{url}: cannot reach {service}: {}",
                crate::read_back::error_chain(&e)
            ))
        })
}
