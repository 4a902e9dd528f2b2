//! Fetching an issuer's documents for `kwi token verify`: HTTPS only, bounded in time and size,
//! with an optional CA (the HTTP client is kwi-auth's, shared with `kwi serve`).

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use kwi_auth::remote::{HttpClient, discover_jwks_uri, get_text, http_client_with_ca_file};

fn https_only(url: &str) -> Result<()> {
    if !url.starts_with("https://") {
        bail!("{url}: issuers and JWKS are fetched over HTTPS only");
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn client(ca_file: Option<&Path>) -> Result<HttpClient> {
    // HTTPS only, redirects included.
    http_client_with_ca_file(ca_file, true).map_err(|e| anyhow!("--ca-file: {e}"))
}

/// GETs one document.
pub(crate) fn get_document(url: &str, ca_file: Option<&Path>) -> Result<String> {
    https_only(url)?;
    let client = client(ca_file)?;
    runtime()?
        .block_on(get_text(&client, url))
        .map_err(|e| anyhow!("{url}: {e}"))
}

/// Fetches `{issuer}/.well-known/openid-configuration`, checks that its `issuer` is the URL
/// asked for (OIDC Discovery §4.3), then fetches its `jwks_uri`. Returns the JWKS and the issuer.
pub(crate) fn issuer_jwks(issuer: &str, ca_file: Option<&Path>) -> Result<(String, String)> {
    https_only(issuer)?;
    let client = client(ca_file)?;
    runtime()?.block_on(async {
        let jwks_uri = discover_jwks_uri(&client, issuer)
            .await
            .map_err(|e| anyhow!("{issuer}/.well-known/openid-configuration: {e}"))?;
        https_only(&jwks_uri)?;
        let jwks = get_text(&client, &jwks_uri)
            .await
            .map_err(|e| anyhow!("{jwks_uri}: {e}"))?;
        Ok((jwks, issuer.to_string()))
    })
}
