//! The network side: documents fetched with kwi's shared HTTP client (HTTPS only, bounded in
//! time and size, at most 3 redirects), trust judged with the given CA and with the platform's
//! roots, and the certificate chain of a host read for IAM's thumbprint.

use std::time::{Duration, Instant};

use kwi_auth::remote::{
    FetchError, HttpClient, get_document, http_client, http_client_with_ca_file,
};
pub use kwi_sts::thumbprint::{peer_chain, thumbprint};

/// How one GET went.
#[derive(Debug)]
pub enum Fetched {
    /// The body, and how long it took.
    Ok(String, Duration),
    /// The certificate was refused, but the document is there (fetched without verification).
    Untrusted(String),
    /// No answer at all.
    Unreachable(String),
    /// A status other than 2xx.
    Status(u16),
    /// Too large or not UTF-8.
    BadBody(String),
}

/// The clients doctor fetches with.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Trusting `--ca-file`, or the platform's roots.
    pub trusted: HttpClient,
    /// Trusting the platform's roots only (what a cloud relying party trusts).
    pub public: HttpClient,
    /// Trusting anything: only to tell an untrusted certificate from an unreachable host.
    pub any: HttpClient,
}

impl Clients {
    /// Builds the clients; fails when the CA file cannot be read.
    pub fn new(ca_file: Option<&std::path::Path>) -> Result<Clients, String> {
        let trusted = http_client_with_ca_file(ca_file, true)?;
        let public = http_client(None, true)?;
        let any = kwi_sts::thumbprint::any_certificate_client()?;
        Ok(Clients {
            trusted,
            public,
            any,
        })
    }

    /// GETs a document with the trusted client; an unreachable one is tried again trusting
    /// anything, to tell a certificate problem from no server.
    pub async fn get(&self, url: &str) -> Fetched {
        let started = Instant::now();
        match get_document(&self.trusted, url).await {
            Ok(body) => Fetched::Ok(body, started.elapsed()),
            Err(FetchError::Status { status, .. }) => Fetched::Status(status),
            Err(FetchError::BadBody(m)) => Fetched::BadBody(m),
            Err(FetchError::Unreachable(m)) => match get_document(&self.any, url).await {
                Ok(_) | Err(FetchError::Status { .. } | FetchError::BadBody(_)) => {
                    Fetched::Untrusted(m)
                }
                Err(_) => Fetched::Unreachable(m),
            },
            Err(other) => Fetched::Unreachable(other.to_string()),
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
