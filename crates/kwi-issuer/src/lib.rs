//! kwi-issuer: a cluster's OpenID Connect issuer.
//!
//! The issuer URL with kube-apiserver's rules, the discovery document and JWKS byte-identical to
//! kube-apiserver's, the files of a static issuer site, and the kube-apiserver flags that make a
//! cluster sign tokens for it. Pure functions; the binary does the I/O.
#![forbid(unsafe_code)]

mod apiserver;
mod discovery;
mod error;
mod go_json;
mod issuer_url;
mod jwks;
mod rotation;
mod served;
mod site;

pub use apiserver::{ApiserverFlags, FlagsFormat, KeyFile, sibling_file};
pub use discovery::{DiscoveryStyle, discovery_document, discovery_json, signing_algorithms};
pub use error::IssuerError;
pub use issuer_url::IssuerUrl;
pub use jwks::{KeySetOptions, jwks_for_keys};
pub use rotation::{
    KEYRING_VERSION, KeyRing, KeyRole, Plan, Policy, RingKey, RotationError, Step, kid_is_file_name,
};
pub use served::{ServedDocument, ServedSite, if_none_match, issuer_path};
pub use site::{SiteFile, jwks_site_path, site_files};
