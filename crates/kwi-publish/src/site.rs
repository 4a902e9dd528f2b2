//! A site folder made by `kwi issuer build`, read and checked before anything is uploaded.

use std::path::Path;

use kwi_issuer::{IssuerUrl, jwks_site_path, site_files};
use kwi_jose::Jwks;

use crate::PublishError;

/// No issuer document is this large.
const MAX_DOCUMENT: u64 = 1 << 20;

/// One document to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Path below the issuer URL (`keys.json`, `.well-known/openid-configuration`).
    pub path: String,
    /// The bytes, exactly as built.
    pub bytes: Vec<u8>,
    /// Its Content-Type.
    pub content_type: &'static str,
}

/// The issuer and its two documents, JWKS first (the upload order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The issuer URL the discovery document names.
    pub issuer: IssuerUrl,
    /// The JWKS first, the discovery document second.
    pub documents: Vec<Document>,
}

fn read_text(dir: &Path, path: &str) -> Result<String, PublishError> {
    let file = dir.join(path);
    let shown = file.display();
    let meta = std::fs::metadata(&file).map_err(|e| {
        PublishError::usage(format!(
            "{shown}: cannot read ({e}); build the site first: kwi issuer build --issuer URL --key sa.pub --out {}",
            dir.display()
        ))
    })?;
    if meta.len() > MAX_DOCUMENT {
        return Err(PublishError::usage(format!(
            "{shown}: larger than 1 MiB; no issuer document is this large"
        )));
    }
    let bytes = std::fs::read(&file)
        .map_err(|e| PublishError::usage(format!("{shown}: cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|_| PublishError::usage(format!("{shown}: is not UTF-8 JSON")))
}

/// Reads `DIR/.well-known/openid-configuration` and the JWKS it names, and checks them: the
/// issuer is a URL kube-apiserver accepts, the JWKS is under it and holds at least one key.
pub fn read_site(dir: &Path) -> Result<Site, PublishError> {
    let discovery_path = ".well-known/openid-configuration";
    let discovery = read_text(dir, discovery_path)?;
    let shown = dir.join(discovery_path).display().to_string();
    let value: serde_json::Value = serde_json::from_str(&discovery)
        .map_err(|e| PublishError::usage(format!("{shown}: not JSON: {e}")))?;
    let member = |name: &str| {
        value
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| PublishError::usage(format!("{shown}: has no string {name:?}")))
    };
    let issuer = IssuerUrl::parse(&member("issuer")?)
        .map_err(|e| PublishError::usage(format!("{shown}: {e}")))?;
    let jwks_uri = member("jwks_uri")?;
    let (jwks_path, outside) = jwks_site_path(&issuer, &jwks_uri)
        .map_err(|e| PublishError::usage(format!("{shown}: {e}")))?;
    if outside {
        return Err(PublishError::usage(format!(
            "{shown}: jwks_uri {jwks_uri} is not under the issuer {issuer}: publish the JWKS where that URL serves it, or rebuild the site with the JWKS under the issuer"
        )));
    }
    let jwks = read_text(dir, &jwks_path)?;
    let keys = Jwks::parse(&jwks)
        .map_err(|e| PublishError::usage(format!("{}: {e}", dir.join(&jwks_path).display())))?;
    if keys.keys.is_empty() {
        return Err(PublishError::usage(format!(
            "{}: holds no key; relying parties could verify no token",
            dir.join(&jwks_path).display()
        )));
    }
    let mut documents: Vec<Document> = site_files(&issuer, &jwks_uri, discovery, jwks)
        .map_err(|e| PublishError::usage(format!("{shown}: {e}")))?
        .into_iter()
        .map(|f| Document {
            path: f.path,
            bytes: f.contents,
            content_type: f.content_type,
        })
        .collect();
    // JWKS first: a relying party must never find a discovery document naming a missing JWKS.
    documents.sort_by_key(|d| d.path == discovery_path);
    Ok(Site { issuer, documents })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, path: &str, text: &str) {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }

    #[test]
    fn reads_jwks_first_and_refuses_what_is_broken() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            ".well-known/openid-configuration",
            r#"{"issuer":"https://h.example/c1","jwks_uri":"https://h.example/c1/keys.json"}"#,
        );
        let err = read_site(d).unwrap_err();
        assert!(err.message.contains("keys.json: cannot read"), "{err}");
        write(d, "keys.json", r#"{"keys":[]}"#);
        let err = read_site(d).unwrap_err();
        assert!(err.message.contains("holds no key"), "{err}");
        write(
            d,
            "keys.json",
            r#"{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"a","alg":"ES256","use":"sig"}]}"#,
        );
        let site = read_site(d).unwrap();
        assert_eq!(site.documents[0].path, "keys.json");
        assert_eq!(site.documents[0].content_type, "application/jwk-set+json");
        assert_eq!(site.documents[1].path, ".well-known/openid-configuration");
        assert_eq!(site.issuer.as_str(), "https://h.example/c1");

        write(
            d,
            ".well-known/openid-configuration",
            r#"{"issuer":"https://h.example/c1","jwks_uri":"https://cdn.example/keys.json"}"#,
        );
        let err = read_site(d).unwrap_err();
        assert!(err.message.contains("not under the issuer"), "{err}");
        write(
            d,
            ".well-known/openid-configuration",
            r#"{"issuer":"http://h"}"#,
        );
        assert!(read_site(d).unwrap_err().message.contains("https"));
    }
}
