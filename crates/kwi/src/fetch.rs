//! Fetching an issuer's documents over HTTPS: bounded in time and size, with an optional CA.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

/// Documents larger than this are not JWKS or discovery documents.
const MAX_DOCUMENT: usize = 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(15);

fn client(ca_file: Option<&Path>) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TOTAL_TIMEOUT)
        .https_only(true)
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("kwi/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = ca_file {
        let pem = std::fs::read(path)
            .with_context(|| format!("{}: cannot read the CA file", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| anyhow!("{}: not PEM certificates: {e}", path.display()))?;
        if certs.is_empty() {
            bail!("{}: holds no CERTIFICATE block", path.display());
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().context("cannot set up the HTTPS client")
}

async fn get(client: &reqwest::Client, url: &str) -> Result<String> {
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| anyhow!("{url}: {}", describe(&e)))?;
    let status = response.status();
    if !status.is_success() {
        bail!("{url}: the server answered {status}");
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| anyhow!("{url}: {}", describe(&e)))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT {
            bail!("{url}: the document is larger than 1 MiB");
        }
    }
    String::from_utf8(body).map_err(|_| anyhow!("{url}: the document is not UTF-8 text"))
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

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// GETs one document.
pub fn get_text(url: &str, ca_file: Option<&Path>) -> Result<String> {
    let client = client(ca_file)?;
    runtime()?.block_on(get(&client, url))
}

/// Fetches `{issuer}/.well-known/openid-configuration`, checks that its `issuer` is the URL
/// asked for (OIDC Discovery §4.3), then fetches its `jwks_uri`. Returns the JWKS and the issuer.
pub fn issuer_jwks(issuer: &str, ca_file: Option<&Path>) -> Result<(String, String)> {
    let client = client(ca_file)?;
    let discovery_url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    runtime()?.block_on(async {
        let text = get(&client, &discovery_url).await?;
        let doc: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| anyhow!("{discovery_url}: not JSON: {e}"))?;
        let found = doc.get("issuer").and_then(|v| v.as_str()).unwrap_or_default();
        if found != issuer {
            bail!(
                "{discovery_url}: the document's issuer is {found:?}, not {issuer:?}; relying parties reject this mismatch (a trailing slash counts)"
            );
        }
        let jwks_uri = doc
            .get("jwks_uri")
            .and_then(|v| v.as_str())
            .ok_or_else(|| anyhow!("{discovery_url}: no \"jwks_uri\""))?;
        Ok((get(&client, jwks_uri).await?, found.to_string()))
    })
}
