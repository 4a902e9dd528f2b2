//! IAM's thumbprint of an OIDC provider's host: the SHA-1 of the top certificate of the chain the
//! host sends (its top intermediate CA, or the leaf when it sends only that). IAM trusts a
//! provider whose certificate chains to a public CA; for any other, the thumbprint pins it.

use std::sync::Arc;
use std::time::Duration;

use tokio_rustls::rustls;

/// A client that accepts any certificate: only for a host whose chain was pinned by thumbprint
/// (or, in doctor, to tell an untrusted certificate from no server).
pub fn any_certificate_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .https_only(true)
        .tls_danger_accept_invalid_certs(true)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("kwi/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
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

/// IAM's thumbprint of a chain: the SHA-1 (hex, lower case) of the last certificate the server
/// sends, which is the top intermediate CA of its chain (or the leaf when it sends only that).
pub fn thumbprint(chain: &[Vec<u8>]) -> Option<String> {
    let top = chain.last()?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, top);
    Some(digest.as_ref().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

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
