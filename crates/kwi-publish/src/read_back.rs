//! The check after publishing: both documents fetched anonymously over HTTP(S), as a relying
//! party fetches them, must be the bytes kwi built, and the discovery document's `issuer` must be
//! the issuer URL exactly.

use std::time::Duration;

use crate::hash::sha256_hex;
use crate::{PublishError, Site};

/// Documents larger than this are not what kwi built.
const MAX_READ: usize = 1 << 20;

/// An error and its causes on one line (reqwest's own message omits the cause).
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn client(ca_pem: Option<&[u8]>) -> Result<reqwest::Client, PublishError> {
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .connect_timeout(Duration::from_secs(5));
    if let Some(pem) = ca_pem {
        for cert in reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| PublishError::usage(format!("--ca-file: {e}")))?
        {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| PublishError::unavailable(format!("cannot start the HTTP client: {e}")))
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, PublishError> {
    let response =
        client.get(url).send().await.map_err(|e| {
            PublishError::mismatch(format!("{url}: cannot fetch: {}", error_chain(&e)))
        })?;
    let status = response.status();
    if !status.is_success() {
        let hint = match status.as_u16() {
            403 => "; anonymous reads are refused: the public-read grant is missing or blocked",
            404 => "; not found at this URL: is the issuer URL the bucket's URL (with the prefix)?",
            _ => "",
        };
        return Err(PublishError::mismatch(format!(
            "{url}: HTTP {status}{hint}"
        )));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| PublishError::mismatch(format!("{url}: {}", error_chain(&e))))?;
    if bytes.len() > MAX_READ {
        return Err(PublishError::mismatch(format!(
            "{url}: larger than 1 MiB; not the document kwi built"
        )));
    }
    Ok(bytes.to_vec())
}

/// Fetches both documents from `base` (the issuer URL, or where it is served from) and compares
/// them with the site. Returns one line per document checked.
pub async fn read_back(
    site: &Site,
    base: &str,
    ca_pem: Option<&[u8]>,
) -> Result<Vec<String>, PublishError> {
    let client = client(ca_pem)?;
    let base = base.trim_end_matches('/');
    let mut lines = Vec::new();
    for document in &site.documents {
        let url = format!("{base}/{}", document.path);
        let got = fetch(&client, &url).await?;
        if got != document.bytes {
            let at = got
                .iter()
                .zip(&document.bytes)
                .position(|(a, b)| a != b)
                .unwrap_or(got.len().min(document.bytes.len()));
            return Err(PublishError::mismatch(format!(
                "{url}: differs from what kwi built ({} bytes, sha256 {}; built: {} bytes, sha256 {}; first difference at byte {at}); a cache or CDN in front may still hold the old document until its max-age passes",
                got.len(),
                sha256_hex(&got),
                document.bytes.len(),
                sha256_hex(&document.bytes)
            )));
        }
        if document.path.ends_with("openid-configuration") {
            let issuer = serde_json::from_slice::<serde_json::Value>(&got)
                .ok()
                .and_then(|v| v.get("issuer").and_then(|i| i.as_str()).map(String::from))
                .unwrap_or_default();
            if issuer != site.issuer.as_str() {
                return Err(PublishError::mismatch(format!(
                    "{url}: its issuer {issuer:?} is not the issuer URL {:?} byte for byte; relying parties compare them exactly",
                    site.issuer.as_str()
                )));
            }
        }
        lines.push(format!(
            "read back {url}: {} bytes, identical (sha256 {})",
            got.len(),
            sha256_hex(&got)
        ));
    }
    Ok(lines)
}
