//! kwi's own issuer documents, so that other services can verify its client tokens: the JWKS of
//! its signing key at `/openid/v1/jwks` and a discovery document naming it, written by the same
//! code as a cluster's (kwi-issuer).

use axum::http::{HeaderMap, header};

use super::AppState;

/// The document at `path`, as JSON text (or why it could not be written), or `None` for another
/// path.
pub(super) fn document(
    state: &AppState,
    path: &str,
    headers: &HeaderMap,
) -> Option<Result<String, String>> {
    match path {
        "/openid/v1/jwks" => {
            let key = state.tokens.public_key();
            let jwk = kwi_jose::jwk_from_key(&key, Some(state.tokens.kid()), false);
            Some(
                kwi_jose::jwks_document(&kwi_jose::Jwks { keys: vec![jwk] })
                    .map_err(|e| e.to_string()),
            )
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
            let algs = [state.tokens.public_key().public().alg().to_string()];
            Some(
                kwi_issuer::discovery_json(
                    issuer,
                    &jwks_uri,
                    &algs,
                    kwi_issuer::DiscoveryStyle::Kubernetes,
                )
                .map_err(|e| e.to_string()),
            )
        }
        _ => None,
    }
}
