//! The provider's keys, fetched as STS fetches them: the discovery document at
//! `<url>/.well-known/openid-configuration` (its `issuer` exactly the provider URL), then its
//! `jwks_uri`, over HTTPS only, with kwi's shared HTTP client (bounded in time and size); a
//! certificate no trusted CA signs is accepted when the provider's thumbprints pin it, as IAM does.
//! The keys are kept between requests ([`crate::key_cache`]): fetched again when a token names a
//! kid they lack (bounded), or when the JWKS's `Cache-Control` lifetime is over.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use kwi_auth::remote::{
    FetchError, HttpClient, get_response, http_client_with_ca_file, read_document,
};
use kwi_jose::{Jwk, KeySet};
use serde_json::Value;

use crate::config::{Config, Provider};
use crate::error::{
    CHECK_DISCOVERY, NO_VERIFICATION_KEY, StsError, StsErrorCode, THUMBPRINT_MISMATCH,
};
use crate::key_cache::{Caching, KeyCache};

/// Where the keys of a provider come from (HTTPS in the server, fixed keys in unit tests).
pub trait KeySource {
    /// The provider's current keys for a token naming `kid`, or STS's error for why they could
    /// not be had.
    fn keys(
        &self,
        provider: &Provider,
        kid: Option<&str>,
    ) -> impl Future<Output = Result<Arc<KeySet>, StsError>> + Send;
}

/// Keys fetched over HTTPS, one client per provider (its own CA when it has a `ca_file`), and
/// kept between requests.
#[derive(Debug)]
pub struct HttpKeySource {
    clients: HashMap<String, HttpClient>,
    /// For hosts whose certificate no trusted CA signs, pinned by a provider's thumbprints.
    pinned: HttpClient,
    cache: KeyCache,
}

impl HttpKeySource {
    /// Builds the clients of every provider of the config (reading their CA files).
    pub fn new(config: &Config) -> Result<HttpKeySource, String> {
        let mut clients = HashMap::new();
        for p in &config.providers {
            let client =
                http_client_with_ca_file(p.ca_file.as_deref().map(std::path::Path::new), true)
                    .map_err(|e| format!("provider {}: ca_file: {e}", p.url))?;
            clients.insert(p.url.clone(), client);
        }
        Ok(HttpKeySource {
            clients,
            pinned: crate::thumbprint::any_certificate_client()?,
            cache: KeyCache::default(),
        })
    }
}

/// How a failed fetch reads to an STS caller: a provider that answers 5xx or 429 is a
/// communication error (retry), anything else means no key.
fn fetch_error(e: &FetchError) -> StsError {
    match e {
        FetchError::Status { status, .. } if *status >= 500 || *status == 429 => StsError::new(
            StsErrorCode::IdpCommunicationError,
            format!("Couldn't reach your identity provider: {e}"),
        ),
        _ => StsError::new(StsErrorCode::InvalidIdentityToken, NO_VERIFICATION_KEY),
    }
}

/// The `jwks_uri` of a discovery document whose `issuer` is exactly the provider URL.
pub fn jwks_uri(discovery: &str, provider_url: &str) -> Result<String, StsError> {
    let check = || StsError::new(StsErrorCode::InvalidIdentityToken, CHECK_DISCOVERY);
    let doc: Value = serde_json::from_str(discovery).map_err(|_| check())?;
    if doc.get("issuer").and_then(Value::as_str) != Some(provider_url) {
        return Err(check());
    }
    match doc.get("jwks_uri").and_then(Value::as_str) {
        Some(uri) if uri.starts_with("https://") => Ok(uri.to_string()),
        _ => Err(check()),
    }
}

/// The keys of a JWKS that STS can verify with (RSA and EC keys; others are skipped), each
/// with its kid.
pub fn key_set(jwks: &str) -> Result<KeySet, StsError> {
    let none = || StsError::new(StsErrorCode::InvalidIdentityToken, NO_VERIFICATION_KEY);
    let doc: Value = serde_json::from_str(jwks).map_err(|_| none())?;
    let Some(Value::Array(keys)) = doc.get("keys") else {
        return Err(none());
    };
    let mut entries = Vec::new();
    for key in keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(key.clone()) else {
            continue;
        };
        if !matches!(jwk.kty.as_str(), "RSA" | "EC") {
            continue;
        }
        if let Ok(parsed) = jwk.to_key() {
            entries.push((parsed.to_public(), jwk.kid.clone()));
        }
    }
    KeySet::new(entries).map_err(|_| none())
}

/// GETs a document with what its caching headers say.
async fn get_document(client: &HttpClient, url: &str) -> Result<(String, Caching), FetchError> {
    let response = get_response(client, url).await?;
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let caching = Caching::from_headers(
        header(reqwest::header::CACHE_CONTROL).as_deref(),
        header(reqwest::header::PRAGMA).as_deref(),
    );
    Ok((read_document(url, response).await?, caching))
}

impl HttpKeySource {
    /// GETs a provider's document as IAM trusts it: a certificate the client trusts, or else
    /// (when the provider has thumbprints) one whose host's top certificate has one of them.
    async fn get(
        &self,
        client: &HttpClient,
        provider: &Provider,
        url: &str,
    ) -> Result<(String, Caching), StsError> {
        match get_document(client, url).await {
            Err(FetchError::Unreachable(_)) if !provider.thumbprints.is_empty() => {
                let parsed = reqwest::Url::parse(url)
                    .map_err(|_| fetch_error(&FetchError::Unreachable(String::new())))?;
                let host = parsed
                    .host_str()
                    .unwrap_or_default()
                    .trim_matches(['[', ']'])
                    .to_string();
                let port = parsed.port_or_known_default().unwrap_or(443);
                let chain = crate::thumbprint::peer_chain(&host, port)
                    .await
                    .map_err(|e| fetch_error(&FetchError::Unreachable(e)))?;
                let found = crate::thumbprint::thumbprint(&chain).unwrap_or_default();
                if !provider
                    .thumbprints
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(&found))
                {
                    return Err(StsError::new(
                        StsErrorCode::InvalidIdentityToken,
                        THUMBPRINT_MISMATCH,
                    ));
                }
                get_document(&self.pinned, url)
                    .await
                    .map_err(|e| fetch_error(&e))
            }
            other => other.map_err(|e| fetch_error(&e)),
        }
    }

    /// Fetches the discovery document, then the JWKS it names, with the JWKS's caching.
    async fn fetch(&self, provider: &Provider) -> Result<(KeySet, Caching), StsError> {
        let Some(client) = self.clients.get(&provider.url) else {
            return Err(StsError::new(
                StsErrorCode::InvalidIdentityToken,
                NO_VERIFICATION_KEY,
            ));
        };
        let url = format!(
            "{}/.well-known/openid-configuration",
            provider.url.trim_end_matches('/')
        );
        let (discovery, _) = self.get(client, provider, &url).await?;
        let uri = jwks_uri(&discovery, &provider.url)?;
        let (jwks, caching) = self.get(client, provider, &uri).await?;
        Ok((key_set(&jwks)?, caching))
    }
}

impl KeySource for HttpKeySource {
    async fn keys(&self, provider: &Provider, kid: Option<&str>) -> Result<Arc<KeySet>, StsError> {
        self.cache
            .keys(&provider.url, kid, Instant::now(), || self.fetch(provider))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_must_name_the_provider_and_an_https_jwks() {
        let ok = r#"{"issuer":"https://i","jwks_uri":"https://i/keys"}"#;
        assert_eq!(jwks_uri(ok, "https://i").unwrap(), "https://i/keys");
        for bad in [
            r#"{"issuer":"https://i/","jwks_uri":"https://i/keys"}"#,
            r#"{"issuer":"https://i","jwks_uri":"http://i/keys"}"#,
            r#"{"issuer":"https://i"}"#,
            "<html>",
        ] {
            assert_eq!(
                jwks_uri(bad, "https://i").unwrap_err().message,
                CHECK_DISCOVERY
            );
        }
    }

    #[test]
    fn a_jwks_without_keys_is_no_key() {
        assert!(key_set(r#"{"keys":[]}"#).unwrap().is_empty());
        assert!(
            key_set(r#"{"keys":[{"kty":"oct","k":"AA"}]}"#)
                .unwrap()
                .is_empty()
        );
        assert_eq!(key_set("[]").unwrap_err().message, NO_VERIFICATION_KEY);
    }
}
