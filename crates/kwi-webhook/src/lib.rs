//! kwi-webhook: the pod identity mutating webhook, as a pure function.
//!
//! An AdmissionReview (admission.k8s.io/v1 or v1beta1) and what is known about the pod's
//! ServiceAccount go in; the AdmissionReview response comes out, answered in the request's version,
//! with a minimal RFC 6902 patch (only `add` operations for what the pod lacks). The AWS profile is
//! amazon-eks-pod-identity-webhook's behaviour, annotation for annotation; Azure, GCP and Vault
//! profiles inject their own contracts. A pod is never denied: a request kwi cannot read is
//! admitted unmutated with a `status.message` saying why.
#![forbid(unsafe_code)]

mod aws;
mod azure;
mod config;
mod config_map;
mod directory;
mod error;
mod gcp;
mod go_syntax;
mod identities;
mod injection;
mod json_out;
mod manifests;
mod mutate;
mod patch;
mod pod;
mod review;
mod review_scan;
mod service_account;
mod vault;

pub use aws::AwsMethod;
pub use config::{
    AwsConfig, AzureConfig, ContainerCredentials, DEFAULT_TOKEN_EXPIRATION, GcpConfig, Jitter,
    MIN_TOKEN_EXPIRATION, Profile, VaultConfig, WebhookConfig,
};
pub use config_map::{ConfigMapEntries, ConfigMapEntry};
pub use directory::{Directory, Lookup};
pub use error::ReviewError;
pub use identities::Identities;
pub use manifests::{
    ManifestOptions, ManifestTls, NAME as MANIFEST_NAME, manifests, service_dns_names,
};
pub use mutate::{AdmissionRequest, Applied, FS_GROUP_ANNOTATION, Mutation, mutate};
pub use review::{Rejection, ReviewVersion};
pub use service_account::ServiceAccount;

/// For the fuzz target, not an API: whether the fast reader of reviews and serde_json agree on
/// `body` (the fast reader gave up, or serde_json reads the same review from it).
#[doc(hidden)]
pub fn review_readers_agree(body: &[u8]) -> bool {
    review_scan::agrees_with_serde(body)
}
