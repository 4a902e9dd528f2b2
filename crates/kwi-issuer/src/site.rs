//! The files of a static issuer: what to upload so that the issuer URL answers OIDC discovery.

use crate::discovery::check_jwks_uri;
use crate::issuer_url::split_https;
use crate::{IssuerError, IssuerUrl};

/// One file of the site, at a path relative to the issuer URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFile {
    /// `/`-separated path relative to the site root, e.g. `.well-known/openid-configuration`.
    pub path: String,
    /// The bytes to serve.
    pub contents: Vec<u8>,
    /// The Content-Type to serve them with.
    pub content_type: &'static str,
}

/// The path of a document in the site, checked to be a plain relative file path.
fn checked_path(uri: &str, path: &str) -> Result<String, IssuerError> {
    let bad = |rule: &str| IssuerError::BadJwksUri {
        uri: uri.to_string(),
        rule: rule.to_string(),
    };
    if path.contains(['?', '#']) {
        return Err(bad(
            "has a query or fragment, which a static file cannot serve",
        ));
    }
    let path = path.trim_start_matches('/');
    if path.is_empty() || path.ends_with('/') {
        return Err(bad("names a directory, not a file"));
    }
    for segment in path.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(bad("has an empty, '.' or '..' path segment"));
        }
        if !segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        {
            return Err(bad(
                "has characters other than letters, digits and -._~ in its path",
            ));
        }
    }
    Ok(path.to_string())
}

/// Where the JWKS goes in the site, and whether that is outside the issuer's own path (then the
/// site root stands for the origin, not the issuer, for that file).
pub fn jwks_site_path(issuer: &IssuerUrl, jwks_uri: &str) -> Result<(String, bool), IssuerError> {
    check_jwks_uri(jwks_uri)?;
    if let Some(rest) = jwks_uri
        .strip_prefix(issuer.base())
        .and_then(|r| r.strip_prefix('/'))
    {
        return Ok((checked_path(jwks_uri, rest)?, false));
    }
    let (_, path) = split_https(jwks_uri).map_err(|rule| IssuerError::BadJwksUri {
        uri: jwks_uri.to_string(),
        rule: rule.to_string(),
    })?;
    Ok((checked_path(jwks_uri, path)?, true))
}

/// Where the discovery document goes, under the issuer.
const DISCOVERY_PATH: &str = ".well-known/openid-configuration";

/// The discovery document and the JWKS as site files: the discovery document at
/// `.well-known/openid-configuration`, the JWKS at the path its URI names below the issuer.
pub fn site_files(
    issuer: &IssuerUrl,
    jwks_uri: &str,
    discovery: String,
    jwks: String,
) -> Result<Vec<SiteFile>, IssuerError> {
    let (jwks_path, _) = jwks_site_path(issuer, jwks_uri)?;
    // The two files must be two files: neither the same path nor one inside the other.
    let inside = |a: &str, b: &str| a.strip_prefix(b).is_some_and(|r| r.starts_with('/'));
    if jwks_path == DISCOVERY_PATH
        || inside(&jwks_path, DISCOVERY_PATH)
        || inside(DISCOVERY_PATH, &jwks_path)
    {
        return Err(IssuerError::BadJwksUri {
            uri: jwks_uri.to_string(),
            rule: format!("would be written over the discovery document ({DISCOVERY_PATH})"),
        });
    }
    Ok(vec![
        SiteFile {
            path: DISCOVERY_PATH.into(),
            contents: discovery.into_bytes(),
            content_type: "application/json",
        },
        SiteFile {
            path: jwks_path,
            contents: jwks.into_bytes(),
            content_type: "application/jwk-set+json",
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jwks_is_never_written_over_the_discovery_document() {
        let issuer = IssuerUrl::parse("https://a.example.com").unwrap();
        for uri in [
            "https://a.example.com/.well-known/openid-configuration",
            "https://a.example.com/.well-known/openid-configuration/keys",
            "https://a.example.com/.well-known",
        ] {
            let err = site_files(&issuer, uri, "{}".into(), "{}".into()).unwrap_err();
            assert!(
                err.to_string().contains("over the discovery document"),
                "{err}"
            );
        }
        assert!(
            site_files(
                &issuer,
                "https://a.example.com/.well-known/keys",
                "{}".into(),
                "{}".into()
            )
            .is_ok()
        );
    }

    #[test]
    fn jwks_paths() {
        let issuer = IssuerUrl::parse("https://b.s3.amazonaws.com/c1").unwrap();
        assert_eq!(
            jwks_site_path(&issuer, "https://b.s3.amazonaws.com/c1/keys.json").unwrap(),
            ("keys.json".into(), false)
        );
        assert_eq!(
            jwks_site_path(&issuer, "https://cdn.example.com/jwks/keys.json").unwrap(),
            ("jwks/keys.json".into(), true)
        );
        for bad in [
            "https://b.s3.amazonaws.com/c1/../x",
            "https://b.s3.amazonaws.com/c1/",
            "https://b.s3.amazonaws.com/c1/k?x",
            "http://b.s3.amazonaws.com/c1/keys.json",
        ] {
            assert!(jwks_site_path(&issuer, bad).is_err(), "{bad}");
        }
    }
}
