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

/// IAM's thumbprint of an HTTPS host: the SHA-1 (hex) of the last certificate the server
/// sends, which is the top intermediate CA of its chain (or the leaf when it sends only that).
pub async fn thumbprint(host: &str, port: u16) -> Result<String, String> {
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
        let top = chain
            .last()
            .ok_or_else(|| format!("{host}:{port}: no certificate"))?;
        let digest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, top.as_ref());
        Ok::<_, String>(digest.as_ref().iter().map(|b| format!("{b:02x}")).collect())
    };
    tokio::time::timeout(Duration::from_secs(10), probe)
        .await
        .map_err(|_| format!("{host}:{port}: no TLS handshake within 10 s"))?
}
