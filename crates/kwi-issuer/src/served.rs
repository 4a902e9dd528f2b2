//! The documents as an HTTP server serves them: at the URL paths the issuer names, with
//! kube-apiserver's content types and a strong ETag. No I/O: the server asks, this answers.

use crate::{IssuerUrl, SiteFile};

/// One document as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedDocument {
    /// The URL path it answers at (`/clusters/prod/.well-known/openid-configuration`).
    pub url_path: String,
    /// The bytes.
    pub body: Vec<u8>,
    /// Its Content-Type.
    pub content_type: &'static str,
    /// Its strong ETag, quoted: `"` + SHA-256 of the bytes in hex (first 32 digits) + `"`.
    pub etag: String,
}

/// The issuer's documents by URL path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedSite {
    /// The issuer.
    pub issuer: IssuerUrl,
    /// The documents (two).
    pub documents: Vec<ServedDocument>,
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The URL path prefix of an issuer: its path without a trailing slash (`""` at the root).
pub fn issuer_path(issuer: &IssuerUrl) -> &str {
    &issuer.base()[issuer.origin().len()..]
}

impl ServedSite {
    /// Serves the site's files (paths relative to the issuer) under the issuer's path.
    pub fn new(issuer: IssuerUrl, files: Vec<SiteFile>) -> ServedSite {
        let prefix = issuer_path(&issuer).to_string();
        ServedSite::under(issuer, files, &prefix)
    }

    /// Serves the site's files under another URL path prefix (`""` or `/x/y`, no trailing
    /// slash): where a proxy or CDN that maps the issuer URL onto this server sends requests.
    pub fn under(issuer: IssuerUrl, files: Vec<SiteFile>, prefix: &str) -> ServedSite {
        let documents = files
            .into_iter()
            .map(|f| {
                let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &f.contents);
                ServedDocument {
                    url_path: format!("{prefix}/{}", f.path),
                    etag: format!("\"{}\"", &hex(digest.as_ref())[..32]),
                    body: f.contents,
                    content_type: f.content_type,
                }
            })
            .collect();
        ServedSite { issuer, documents }
    }

    /// The document at a URL path (exact match: no normalisation, no trailing-slash variants).
    pub fn find(&self, url_path: &str) -> Option<&ServedDocument> {
        self.documents.iter().find(|d| d.url_path == url_path)
    }
}

/// Whether an `If-None-Match` header value matches the ETag (RFC 9110 §13.1.2: weak comparison,
/// a list of entity tags, or `*`).
pub fn if_none_match(header: &str, etag: &str) -> bool {
    let bare = etag.trim_start_matches("W/");
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == bare)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(issuer: &str) -> ServedSite {
        let issuer = IssuerUrl::parse(issuer).unwrap();
        let files = vec![
            SiteFile {
                path: ".well-known/openid-configuration".into(),
                contents: b"{}".to_vec(),
                content_type: "application/json",
            },
            SiteFile {
                path: "openid/v1/jwks".into(),
                contents: b"{\"keys\":[]}".to_vec(),
                content_type: "application/jwk-set+json",
            },
        ];
        ServedSite::new(issuer, files)
    }

    #[test]
    fn documents_answer_under_the_issuer_path_only() {
        let s = site("https://h.example/clusters/prod/");
        assert!(
            s.find("/clusters/prod/.well-known/openid-configuration")
                .is_some()
        );
        assert!(s.find("/clusters/prod/openid/v1/jwks").is_some());
        assert!(s.find("/.well-known/openid-configuration").is_none());
        assert!(s.find("/clusters/prod//openid/v1/jwks").is_none());
        let moved = ServedSite::under(s.issuer.clone(), vec![], "");
        assert!(moved.documents.is_empty());
        let root = site("https://h.example");
        assert_eq!(
            root.documents[0].url_path,
            "/.well-known/openid-configuration"
        );
        assert_eq!(root.documents[0].etag.len(), 34);
        assert_ne!(root.documents[0].etag, root.documents[1].etag);
    }

    #[test]
    fn if_none_match_forms() {
        let etag = "\"abc\"";
        for yes in ["\"abc\"", "W/\"abc\"", "\"x\", \"abc\"", "*"] {
            assert!(if_none_match(yes, etag), "{yes}");
        }
        for no in ["\"abcd\"", "abc", "", "\"x\""] {
            assert!(!if_none_match(no, etag), "{no}");
        }
    }
}
