//! The issuer URL, checked once with kube-apiserver's rules for OIDC discovery.

use crate::IssuerError;

/// An issuer URL that kube-apiserver would accept for `--service-account-issuer` with discovery:
/// `https`, a host, no query, no fragment (kubernetes `serviceaccount.NewOpenIDMetadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerUrl {
    url: String,
    origin_len: usize,
}

fn bad(url: &str, rule: &str) -> IssuerError {
    IssuerError::BadIssuer {
        url: url.to_string(),
        rule: rule.to_string(),
    }
}

/// Splits `https://host[:port]` from the rest; checks what every https URL kwi writes needs.
pub(crate) fn split_https(url: &str) -> Result<(&str, &str), &'static str> {
    if url.is_empty() {
        return Err("is empty");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains white space or control characters");
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("is not an absolute URL: it must start with https://");
    };
    if !scheme.eq_ignore_ascii_case("https") {
        return Err(
            "must use the https scheme (AWS STS, Azure and Google fetch issuers over HTTPS only)",
        );
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.is_empty() {
        return Err("has no host");
    }
    if authority.contains('@') {
        return Err("may not carry a user name or password");
    }
    let host_end = if authority.starts_with('[') {
        authority
            .find(']')
            .map(|i| i + 1)
            .ok_or("has an IPv6 address without its closing ']'")?
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    if host_end == 0 {
        return Err("has no host");
    }
    match &authority[host_end..] {
        "" => {}
        port => {
            let digits = port
                .strip_prefix(':')
                .ok_or("has characters after its IPv6 address")?;
            let valid = !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && digits.parse::<u16>().is_ok_and(|p| p != 0);
            if !valid {
                return Err("has a port that is not a number from 1 to 65535");
            }
        }
    }
    let origin_len = scheme.len() + 3 + authority_end;
    Ok((&url[..origin_len], &url[origin_len..]))
}

impl IssuerUrl {
    /// Parses and checks an issuer URL.
    pub fn parse(url: &str) -> Result<IssuerUrl, IssuerError> {
        let (origin, rest) = split_https(url).map_err(|rule| bad(url, rule))?;
        if rest.contains('?') {
            return Err(bad(
                url,
                "may not include a query (kube-apiserver and OIDC discovery forbid it)",
            ));
        }
        if rest.contains('#') {
            return Err(bad(
                url,
                "may not include a fragment (kube-apiserver and OIDC discovery forbid it)",
            ));
        }
        if rest.split('/').any(|s| s == "." || s == "..") {
            return Err(bad(
                url,
                "may not have \".\" or \"..\" path segments (clients resolve them, and a token's iss must match the issuer byte for byte)",
            ));
        }
        Ok(IssuerUrl {
            url: url.to_string(),
            origin_len: origin.len(),
        })
    }

    /// The URL exactly as given: tokens' `iss` must equal it byte for byte.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// `https://host[:port]`.
    pub fn origin(&self) -> &str {
        &self.url[..self.origin_len]
    }

    /// The URL without a trailing slash, to which document paths are appended.
    pub fn base(&self) -> &str {
        self.url.strip_suffix('/').unwrap_or(&self.url)
    }

    /// Where OIDC discovery looks for the document: `{issuer}/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.base())
    }
}

impl std::fmt::Display for IssuerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_ports_and_dot_segments() {
        for (url, words) in [
            ("https://a.example.com:99999", "port"),
            ("https://a.example.com:0", "port"),
            ("https://a.example.com:+80", "port"),
            ("https://a.example.com:", "port"),
            ("https://[::1", "IPv6"),
            ("https://[::1]x", "after its IPv6"),
            ("https://:443", "no host"),
            ("https://a.example.com/../x", "path segments"),
            ("https://a.example.com/a/./b", "path segments"),
        ] {
            let err = IssuerUrl::parse(url).unwrap_err().to_string();
            assert!(err.contains(words), "{url}: {err}");
        }
        for url in [
            "https://[::1]:8443/x",
            "https://a.example.com:65535",
            "https://a.example.com/a..b",
        ] {
            assert!(IssuerUrl::parse(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn accepts_hosts_paths_and_ports() {
        let u = IssuerUrl::parse("https://s3.amazonaws.com/bucket/cluster-1/").unwrap();
        assert_eq!(u.origin(), "https://s3.amazonaws.com");
        assert_eq!(u.base(), "https://s3.amazonaws.com/bucket/cluster-1");
        assert_eq!(
            u.discovery_url(),
            "https://s3.amazonaws.com/bucket/cluster-1/.well-known/openid-configuration"
        );
        assert_eq!(
            IssuerUrl::parse("https://h:8443").unwrap().origin(),
            "https://h:8443"
        );
    }

    #[test]
    fn each_rule_names_itself() {
        for (url, words) in [
            ("", "empty"),
            ("http://issuer.example.com", "https"),
            ("issuer.example.com", "absolute"),
            ("https://issuer.example.com?x=1", "query"),
            ("https://issuer.example.com/#frag", "fragment"),
            ("https:///path", "no host"),
            ("https://u:p@host", "user name"),
            ("https://host/a b", "white space"),
        ] {
            let err = IssuerUrl::parse(url).unwrap_err().to_string();
            assert!(err.contains(words), "{url}: {err}");
        }
    }
}
