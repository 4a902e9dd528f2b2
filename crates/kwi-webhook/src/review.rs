//! The AdmissionReview envelope: reading a request (admission.k8s.io/v1 or v1beta1) and writing
//! the response in the request's own version, with the patch base64-encoded by kwi (kube-core
//! would write it as an array of numbers).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::ReviewError;
use crate::pod::Pod;

/// The AdmissionReview versions kwi answers, each in its own version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewVersion {
    /// `admission.k8s.io/v1`.
    V1,
    /// `admission.k8s.io/v1beta1` (clusters before 1.16, and webhooks configured for it).
    V1Beta1,
}

impl ReviewVersion {
    /// The `apiVersion` string.
    pub fn api_version(self) -> &'static str {
        match self {
            Self::V1 => "admission.k8s.io/v1",
            Self::V1Beta1 => "admission.k8s.io/v1beta1",
        }
    }
}

/// The review, with its object read as `O`: the Pod itself (one pass over the body), or the raw
/// JSON (a second pass then reads the pod, so a bad pod is told from a bad review).
#[derive(Deserialize)]
struct ReviewIn<'a, O> {
    #[serde(borrow, default, rename = "apiVersion")]
    api_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default = "absent")]
    request: Option<RequestIn<'a, O>>,
}

#[derive(Deserialize)]
struct RequestIn<'a, O> {
    #[serde(borrow, default)]
    uid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<GroupVersionKind<'a>>,
    #[serde(borrow, default, rename = "subResource")]
    sub_resource: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    operation: Option<Cow<'a, str>>,
    #[serde(default = "absent")]
    object: Option<O>,
}

/// `Option::None` for any `O` (serde's plain `default` would require `O: Default`).
fn absent<O>() -> Option<O> {
    None
}

#[derive(Deserialize)]
struct GroupVersionKind<'a> {
    #[serde(borrow, default)]
    group: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
}

/// Just enough of a review that failed to parse to answer it: its version and uid.
#[derive(Deserialize)]
struct EchoIn<'a> {
    #[serde(borrow, default, rename = "apiVersion")]
    api_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    request: Option<EchoRequest<'a>>,
}

#[derive(Deserialize)]
struct EchoRequest<'a> {
    #[serde(borrow, default)]
    uid: Option<Cow<'a, str>>,
}

/// What the request asks to admit: a pod to mutate, or something kwi lets through untouched.
#[derive(Debug)]
pub(crate) enum Target<'a> {
    /// A pod being created.
    Pod(Box<Pod<'a>>),
    /// Not a pod creation; the reason is given back in `status.message`.
    PassThrough(String),
}

/// A parsed AdmissionReview request.
#[derive(Debug)]
pub(crate) struct Parsed<'a> {
    pub version: ReviewVersion,
    pub uid: Cow<'a, str>,
    pub namespace: Cow<'a, str>,
    pub target: Target<'a>,
}

/// A request that cannot be answered with a mutation, with what is needed to answer it anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The version to answer in.
    pub version: ReviewVersion,
    /// The request's uid ("" when it has none).
    pub uid: String,
    /// What was wrong.
    pub error: ReviewError,
}

pub(crate) fn parse(body: &[u8]) -> Result<Parsed<'_>, Rejection> {
    // serde_json skips the strings of unknown members without checking their UTF-8: checked here,
    // so that what kwi accepts is JSON.
    let body = std::str::from_utf8(body).map_err(|e| {
        let error = ReviewError::NotJson(format!("not UTF-8: {e}"));
        rejection(ReviewVersion::V1, "", error)
    })?;
    if let Ok(review) = serde_json::from_str::<ReviewIn<'_, Pod<'_>>>(body) {
        return read(review, Ok);
    }
    let review: ReviewIn<'_, &RawValue> =
        serde_json::from_str(body).map_err(|e| reject_unparsed(body, &e))?;
    read(review, |raw| {
        serde_json::from_str(raw.get()).map_err(|e| e.to_string())
    })
}

/// Checks the envelope of a deserialised review; `to_pod` reads its object.
fn read<'a, O>(
    review: ReviewIn<'a, O>,
    to_pod: impl FnOnce(O) -> Result<Pod<'a>, String>,
) -> Result<Parsed<'a>, Rejection> {
    let version = match review.api_version.as_deref() {
        None | Some("admission.k8s.io/v1") => ReviewVersion::V1,
        Some("admission.k8s.io/v1beta1") => ReviewVersion::V1Beta1,
        Some(other) => {
            let error = ReviewError::UnsupportedVersion(other.to_owned());
            return Err(rejection(ReviewVersion::V1, "", error));
        }
    };
    let mut request = review
        .request
        .ok_or_else(|| rejection(version, "", ReviewError::MissingRequest))?;
    let uid = request
        .uid
        .take()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| rejection(version, "", ReviewError::MissingUid))?;
    if let Some(kind) = review.kind.as_deref().filter(|k| *k != "AdmissionReview") {
        let error = ReviewError::NotAdmissionReview(format!("kind is {kind:?}"));
        return Err(rejection(version, &uid, error));
    }
    if let Some(reason) = pass_through_reason(&request) {
        let namespace = request.namespace.unwrap_or(Cow::Borrowed(""));
        let target = Target::PassThrough(reason);
        return Ok(Parsed {
            version,
            uid,
            namespace,
            target,
        });
    }
    let namespace = request.namespace.take().unwrap_or(Cow::Borrowed(""));
    let object = request
        .object
        .ok_or_else(|| rejection(version, &uid, ReviewError::MissingObject))?;
    let pod = to_pod(object).map_err(|e| rejection(version, &uid, ReviewError::BadPod(e)))?;
    let namespace = match namespace {
        ns if !ns.is_empty() => ns,
        _ => pod
            .metadata
            .as_ref()
            .and_then(|m| m.namespace.clone())
            .unwrap_or(Cow::Borrowed("")),
    };
    Ok(Parsed {
        version,
        uid,
        namespace,
        target: Target::Pod(Box::new(pod)),
    })
}

/// Why a well-formed request is not a pod creation kwi mutates.
fn pass_through_reason<O>(request: &RequestIn<'_, O>) -> Option<String> {
    if let Some(kind) = &request.kind {
        let gvk = (
            kind.group.as_deref().unwrap_or(""),
            kind.version.as_deref().unwrap_or(""),
            kind.kind.as_deref().unwrap_or(""),
        );
        if gvk != ("", "v1", "Pod") {
            return Some(format!(
                "not mutated: the object is a {}/{} {}, not a v1 Pod",
                gvk.0, gvk.1, gvk.2
            ));
        }
    }
    if let Some(sub) = request.sub_resource.as_deref().filter(|s| !s.is_empty()) {
        return Some(format!(
            "not mutated: a request on the pods/{sub} subresource"
        ));
    }
    match request.operation.as_deref() {
        None | Some("CREATE") => None,
        Some(op) => Some(format!("not mutated: only CREATE is mutated, this is {op}")),
    }
}

fn rejection(version: ReviewVersion, uid: &str, error: ReviewError) -> Rejection {
    Rejection {
        version,
        uid: uid.to_owned(),
        error,
    }
}

/// A review that does not deserialise: answered in its version with its uid when those can be read.
fn reject_unparsed(body: &str, error: &serde_json::Error) -> Rejection {
    if matches!(
        error.classify(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof
    ) {
        return rejection(
            ReviewVersion::V1,
            "",
            ReviewError::NotJson(error.to_string()),
        );
    }
    let echo: Option<EchoIn<'_>> = serde_json::from_str(body).ok();
    let version = match echo.as_ref().and_then(|e| e.api_version.as_deref()) {
        Some("admission.k8s.io/v1beta1") => ReviewVersion::V1Beta1,
        _ => ReviewVersion::V1,
    };
    let uid = echo
        .as_ref()
        .and_then(|e| e.request.as_ref())
        .and_then(|r| r.uid.as_deref())
        .unwrap_or("");
    rejection(
        version,
        uid,
        ReviewError::NotAdmissionReview(error.to_string()),
    )
}

#[derive(Serialize)]
struct ReviewOut<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    response: ResponseOut<'a>,
}

#[derive(Serialize)]
struct ResponseOut<'a> {
    uid: &'a str,
    allowed: bool,
    #[serde(rename = "patchType", skip_serializing_if = "Option::is_none")]
    patch_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<StatusOut<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    warnings: &'a [String],
}

#[derive(Serialize)]
struct StatusOut<'a> {
    message: &'a str,
}

/// The AdmissionReview response: always `allowed` (kwi never denies a pod for its own failures),
/// with the JSON patch when there is one, a message when something was wrong, and warnings.
pub(crate) fn response(
    version: ReviewVersion,
    uid: &str,
    patch: Option<&[u8]>,
    message: Option<&str>,
    warnings: &[String],
) -> Vec<u8> {
    let review = ReviewOut {
        api_version: version.api_version(),
        kind: "AdmissionReview",
        response: ResponseOut {
            uid,
            allowed: true,
            patch_type: patch.map(|_| "JSONPatch"),
            patch: patch.map(|p| base64_simd::STANDARD.encode_to_string(p)),
            status: message.map(|message| StatusOut { message }),
            warnings,
        },
    };
    // Serialising these plain structs cannot fail; an empty body would only make the API server
    // apply its failure policy.
    serde_json::to_vec(&review).unwrap_or_default()
}
