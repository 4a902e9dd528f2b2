//! The network side: documents fetched with kwi's shared HTTP client (bounded in time and
//! size), redirects followed one by one so that the chain can be reported (at most 10, as Go's
//! client that Vault uses), the headers relying parties could care about kept, trust judged with
//! the given CA and with the platform's roots, and the certificate chain of a host read for IAM's
//! thumbprint.

use std::time::{Duration, Instant};

use kwi_auth::remote::{
    FetchError, HttpClient, client_builder, describe_error, get_document, http_client,
    read_ca_file, read_document,
};
pub use kwi_sts::thumbprint::{peer_chain, thumbprint};

/// Go's HTTP client (Vault's) stops after this many redirects.
pub const MAX_REDIRECTS: usize = 10;

/// A document that arrived.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The body.
    pub body: String,
    /// How long it took, redirects included.
    pub took: Duration,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `Cache-Control` header.
    pub cache_control: Option<String>,
    /// The `Pragma` header.
    pub pragma: Option<String>,
    /// Each redirect: its status and where it sent to.
    pub redirects: Vec<(u16, String)>,
}

/// How one GET went.
#[derive(Debug)]
pub enum Fetched {
    /// The document.
    Ok(Page),
    /// The certificate was refused, but the document is there (fetched without verification).
    Untrusted(String),
    /// No answer at all.
    Unreachable(String),
    /// A status other than 2xx or a redirect.
    Status(u16),
    /// Too large or not UTF-8.
    BadBody(String),
    /// More than [`MAX_REDIRECTS`] redirects: the chain.
    TooManyRedirects(Vec<(u16, String)>),
}

/// The clients doctor fetches with.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Trusting `--ca-file`, or the platform's roots; http allowed; no redirect followed.
    pub trusted: HttpClient,
    /// Trusting the platform's roots only (what a cloud relying party trusts).
    pub public: HttpClient,
    /// Trusting anything: only to tell an untrusted certificate from an unreachable host.
    pub any: HttpClient,
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    let values: Vec<String> = response
        .headers()
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

impl Clients {
    /// Builds the clients; fails when the CA file cannot be read.
    pub fn new(ca_file: Option<&std::path::Path>) -> Result<Clients, String> {
        let pem = read_ca_file(ca_file)?;
        let trusted = client_builder(pem.as_deref(), false)?
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        let public = http_client(None, true)?;
        let any = kwi_sts::thumbprint::any_certificate_client()?;
        Ok(Clients {
            trusted,
            public,
            any,
        })
    }

    /// GETs a document with the trusted client, following redirects one by one; a URL that
    /// gets no answer is tried again trusting anything, to tell a certificate problem from no
    /// server.
    pub async fn get(&self, url: &str) -> Fetched {
        let started = Instant::now();
        let mut current = url.to_string();
        let mut redirects = Vec::new();
        loop {
            let response = match self.trusted.get(&current).send().await {
                Ok(r) => r,
                Err(e) => {
                    let detail = describe_error(&e);
                    return match get_document(&self.any, &current).await {
                        Ok(_) | Err(FetchError::Status { .. } | FetchError::BadBody(_)) => {
                            Fetched::Untrusted(detail)
                        }
                        Err(_) => Fetched::Unreachable(detail),
                    };
                }
            };
            let status = response.status();
            if status.is_redirection()
                && let Some(next) = header(&response, reqwest::header::LOCATION)
                    .and_then(|l| reqwest::Url::parse(&current).ok()?.join(&l).ok())
            {
                redirects.push((status.as_u16(), next.to_string()));
                if redirects.len() > MAX_REDIRECTS {
                    return Fetched::TooManyRedirects(redirects);
                }
                current = next.to_string();
                continue;
            }
            if !status.is_success() {
                return Fetched::Status(status.as_u16());
            }
            let content_type = header(&response, reqwest::header::CONTENT_TYPE);
            let cache_control = header(&response, reqwest::header::CACHE_CONTROL);
            let pragma = header(&response, reqwest::header::PRAGMA);
            return match read_document(&current, response).await {
                Ok(body) => Fetched::Ok(Page {
                    body,
                    took: started.elapsed(),
                    content_type,
                    cache_control,
                    pragma,
                    redirects,
                }),
                Err(FetchError::BadBody(m)) => Fetched::BadBody(m),
                Err(other) => Fetched::Unreachable(other.to_string()),
            };
        }
    }
}

/// What a certificate's own fields say is wrong with it for a host at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    /// Outside its validity (expired, or not valid yet).
    OutsideValidity {
        /// notBefore, seconds since the epoch.
        not_before: u64,
        /// notAfter, seconds since the epoch.
        not_after: u64,
    },
    /// No subjectAltName matches the host.
    WrongHost {
        /// The names it has.
        names: Vec<String>,
    },
}

fn name_matches(pattern: &str, host: &str) -> bool {
    let (pattern, host) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    match pattern.strip_prefix("*.") {
        Some(rest) => host
            .split_once('.')
            .is_some_and(|(label, tail)| !label.is_empty() && tail == rest),
        None => pattern == host,
    }
}

/// Reads a leaf certificate's validity and names; `None` when nothing in them is wrong (or
/// when it cannot be read: then trust itself is the problem).
pub fn leaf_problem(der: &[u8], host: &str, now: u64) -> Option<CertProblem> {
    use x509_cert::der::Decode;
    use x509_cert::ext::pkix::SubjectAltName;
    use x509_cert::ext::pkix::name::GeneralName;
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let tbs = cert.tbs_certificate();
    let not_before = tbs.validity().not_before.to_unix_duration().as_secs();
    let not_after = tbs.validity().not_after.to_unix_duration().as_secs();
    if now < not_before || now > not_after {
        return Some(CertProblem::OutsideValidity {
            not_before,
            not_after,
        });
    }
    let ip: Option<std::net::IpAddr> = host.trim_matches(['[', ']']).parse().ok();
    let mut names = Vec::new();
    let mut matched = false;
    if let Ok(Some((_, SubjectAltName(list)))) = tbs.get_extension::<SubjectAltName>() {
        for general in list {
            match general {
                GeneralName::DnsName(dns) => {
                    let dns = dns.to_string();
                    matched |= ip.is_none() && name_matches(&dns, host);
                    names.push(dns);
                }
                GeneralName::IpAddress(bytes) => {
                    let bytes = bytes.as_bytes();
                    let found: Option<std::net::IpAddr> = match bytes.len() {
                        4 => <[u8; 4]>::try_from(bytes).ok().map(std::net::IpAddr::from),
                        16 => <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from),
                        _ => None,
                    };
                    if let Some(found) = found {
                        matched |= ip == Some(found);
                        names.push(found.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    (!matched).then_some(CertProblem::WrongHost { names })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_match_as_tls_matches_them() {
        assert!(name_matches("oidc.example.com", "OIDC.example.com"));
        assert!(name_matches("*.example.com", "oidc.example.com"));
        assert!(!name_matches("*.example.com", "a.b.example.com"));
        assert!(!name_matches("*.example.com", "example.com"));
        assert!(!name_matches("oidc.example.com", "oidc.example.org"));
    }
}
