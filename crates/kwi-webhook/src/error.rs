//! What can be wrong with the documents the webhook reads.

use thiserror::Error;

/// Why an AdmissionReview, a ServiceAccount, the webhook's ConfigMap or the identities file could
/// not be read. The webhook still answers (the pod is admitted unmutated); the message says what was
/// wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// The request body is not JSON at all.
    #[error("the request is not JSON ({0}); an AdmissionReview (admission.k8s.io/v1) was expected")]
    NotJson(String),
    /// JSON, but not shaped like an AdmissionReview.
    #[error("the request is not an AdmissionReview: {0}")]
    NotAdmissionReview(String),
    /// An AdmissionReview of a version kwi does not speak.
    #[error(
        "AdmissionReview apiVersion {0:?} is not supported; use admission.k8s.io/v1 (or v1beta1) in the webhook's admissionReviewVersions"
    )]
    UnsupportedVersion(String),
    /// The AdmissionReview has no `request` (a response, or an empty review, was sent).
    #[error("the AdmissionReview has no request")]
    MissingRequest,
    /// The request has no `uid`, so no response can be matched to it.
    #[error("the AdmissionReview request has no uid")]
    MissingUid,
    /// The request has no `object` (a DELETE, or a connect request).
    #[error("the AdmissionReview request has no object: only pod CREATE requests are mutated")]
    MissingObject,
    /// The object is not a readable Pod.
    #[error("the request's object is not a readable Pod: {0}")]
    BadPod(String),
    /// A ServiceAccount document could not be read.
    #[error("not a readable ServiceAccount: {0}")]
    BadServiceAccount(String),
    /// The `pod-identity-webhook` ConfigMap's `config` could not be read.
    #[error(
        "the pod-identity-webhook ConfigMap's config is not readable: {0}; expected a JSON object of \"namespace/serviceaccount\" (or \"*/serviceaccount\") to {{\"RoleARN\": …, \"Audience\": …, \"UseRegionalSTS\": …, \"TokenExpiration\": …}}"
    )]
    BadConfigMap(String),
    /// The container-credentials identities file could not be read.
    #[error(
        "the container credentials identities file is not readable: {0}; expected {{\"identities\": [{{\"namespace\": …, \"serviceAccount\": …}}]}}"
    )]
    BadIdentities(String),
}
