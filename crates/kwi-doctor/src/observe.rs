//! The network side: documents fetched with kwi's shared HTTP client (HTTPS only, bounded in
//! time and size, at most 3 redirects), trust judged with the given CA and with the platform's
//! roots, and the certificate chain of a host read for IAM's thumbprint.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kwi_auth::remote::{
    FetchError, HttpClient, get_document, http_client, http_client_with_ca_file,
};
use tokio_rustls::rustls;

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
        let any = reqwest::Client::builder()
            .https_only(true)
            .tls_danger_accept_invalid_certs(true)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| e.to_string())?;
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

/// Accepts any certificate: the chain is only read, never trusted, here.
#[derive(Debug)]
struct ReadChain(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for ReadChain {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The certificates an HTTPS host sends, leaf first (read, not trusted).
pub async fn peer_chain(host: &str, port: u16) -> Result<Vec<Vec<u8>>, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ReadChain(provider)))
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| format!("{host}: {e}"))?;
    let probe = async {
        let tcp = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|e| format!("{host}:{port}: {e}"))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| format!("{host}:{port}: TLS: {e}"))?;
        let chain = tls.get_ref().1.peer_certificates().unwrap_or_default();
        Ok::<_, String>(chain.iter().map(|c| c.as_ref().to_vec()).collect())
    };
    tokio::time::timeout(Duration::from_secs(10), probe)
        .await
        .map_err(|_| format!("{host}:{port}: no TLS handshake within 10 s"))?
}

/// IAM's thumbprint of a chain: the SHA-1 (hex) of the last certificate the server sends,
/// which is the top intermediate CA of its chain (or the leaf when it sends only that).
pub fn thumbprint(chain: &[Vec<u8>]) -> Option<String> {
    let top = chain.last()?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, top);
    Some(digest.as_ref().iter().map(|b| format!("{b:02x}")).collect())
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

    #[test]
    fn the_thumbprint_is_of_the_last_certificate_sent() {
        let chain = vec![b"leaf".to_vec(), b"intermediate".to_vec()];
        assert_eq!(
            thumbprint(&chain).as_deref(),
            Some("ce03a80127ff0aff9657b1b049fed435174e88b3"), // sha1("intermediate")
        );
        assert_eq!(thumbprint(&[]), None);
    }
}
