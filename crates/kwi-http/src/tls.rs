//! The TLS side of a server: a certificate chain and its key, fixed or reloaded from files when
//! they change (cert-manager and ACME clients renew them on disk).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

/// Why a certificate and key could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The certificate file is not PEM text, or holds no `CERTIFICATE` block.
    #[error("certificate: {0}")]
    Certificate(String),
    /// The key file holds no private key kwi can read.
    #[error("key: {0}")]
    Key(String),
    /// The key is not the certificate's, or rustls refused the pair.
    #[error("the certificate and key do not go together: {0}")]
    Mismatch(String),
}

/// The TLS side of a server: hands out the current certificate to every handshake.
#[derive(Clone)]
pub struct Tls {
    acceptor: tokio_rustls::TlsAcceptor,
    current: Arc<CurrentCert>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tls")
    }
}

/// The certificate handed to new handshakes; swapped whole on reload.
#[derive(Debug)]
struct CurrentCert(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for CurrentCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.0
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        )
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider())
}

/// Reads a PEM certificate chain and a private key (any format kwi reads) into rustls' form.
fn certified_key(cert_pem: &[u8], key_pem: &[u8]) -> Result<CertifiedKey, TlsError> {
    let text = std::str::from_utf8(cert_pem)
        .map_err(|_| TlsError::Certificate("the file is not PEM text".into()))?;
    let chain: Vec<CertificateDer<'static>> = kwi_jose::pem::parse(text)
        .map_err(|e| TlsError::Certificate(e.to_string()))?
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| CertificateDer::from(b.der))
        .collect();
    if chain.is_empty() {
        return Err(TlsError::Certificate(
            "the file holds no CERTIFICATE block".into(),
        ));
    }
    let key = kwi_jose::parse_keys(key_pem)
        .map_err(|e| TlsError::Key(e.to_string()))?
        .into_iter()
        .find(kwi_jose::Key::is_private)
        .ok_or_else(|| TlsError::Key("the file holds no private key".into()))?;
    let der = kwi_jose::pkcs8_der(&key).map_err(|e| TlsError::Key(e.to_string()))?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der.to_vec()));
    let signing = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| TlsError::Key(e.to_string()))?;
    let certified = CertifiedKey::new(chain, signing);
    certified
        .keys_match()
        .map_err(|e| TlsError::Mismatch(e.to_string()))?;
    Ok(certified)
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

impl Tls {
    /// Reads a PEM certificate chain and a PEM private key (any format kwi reads).
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Tls, TlsError> {
        let current = Arc::new(CurrentCert(RwLock::new(Arc::new(certified_key(
            cert_pem, key_pem,
        )?))));
        let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Mismatch(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(current.clone());
        Ok(Tls {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            current,
        })
    }

    /// Reads the certificate and key files.
    pub fn from_files(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
        Tls::from_pem(&read(cert)?, &read(key)?)
    }

    /// Reads the files again and, if they make a valid pair, serves them to new handshakes;
    /// otherwise keeps the current certificate and says why. Connections already open are
    /// not touched.
    pub fn reload(&self, cert: &Path, key: &Path) -> Result<(), TlsError> {
        let fresh = certified_key(&read(cert)?, &read(key)?)?;
        *self
            .current
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(fresh);
        Ok(())
    }

    /// Reloads the certificate whenever its files change (see [`crate::watch`]), logging each
    /// reload and each failure (the last good certificate stays). Runs until the runtime stops.
    pub fn reload_on_change(&self, cert: PathBuf, key: PathBuf) {
        let tls = self.clone();
        let paths = vec![cert.clone(), key.clone()];
        crate::watch::on_change(paths, move || match tls.reload(&cert, &key) {
            Ok(()) => crate::log::event(
                "info",
                "TLS certificate reloaded",
                &[("cert", &cert.display().to_string())],
            ),
            Err(e) => crate::log::event(
                "error",
                "TLS certificate not reloaded; the previous one is kept",
                &[("error", &e.to_string())],
            ),
        });
    }

    pub(crate) fn acceptor(&self) -> &tokio_rustls::TlsAcceptor {
        &self.acceptor
    }
}
