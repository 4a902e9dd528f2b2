//! The AdmissionReview envelope: reading a request (admission.k8s.io/v1 or v1beta1) and writing
//! the response in the request's own version, with the patch base64-encoded by kwi (kube-core
//! would write it as an array of numbers).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::ReviewError;
use crate::json_out;
use crate::pod::Pod;
use crate::review_scan;

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
/// JSON (a second pass then reads the pod, so a bad pod is told from a bad review). These serde
/// types define what is read; `review_scan` reads the same members into them faster.
#[derive(Debug, Deserialize)]
pub(crate) struct ReviewIn<'a, O> {
    #[serde(borrow, default, rename = "apiVersion")]
    pub(crate) api_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) kind: Option<Cow<'a, str>>,
    #[serde(borrow, default = "absent")]
    pub(crate) request: Option<RequestIn<'a, O>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RequestIn<'a, O> {
    #[serde(borrow, default)]
    pub(crate) uid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) kind: Option<GroupVersionKind<'a>>,
    #[serde(borrow, default, rename = "subResource")]
    pub(crate) sub_resource: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) operation: Option<Cow<'a, str>>,
    #[serde(default = "absent")]
    pub(crate) object: Option<O>,
}

/// `Option::None` for any `O` (serde's plain `default` would require `O: Default`).
fn absent<O>() -> Option<O> {
    None
}

#[derive(Debug, Deserialize)]
pub(crate) struct GroupVersionKind<'a> {
    #[serde(borrow, default)]
    pub(crate) group: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) kind: Option<Cow<'a, str>>,
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
    // The fast path; where it gives up, the serde readers below read the body, as they always did.
    if let Some(review) = review_scan::read(body) {
        return read(review, Ok);
    }
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

/// The AdmissionReview response: always `allowed` (kwi never denies a pod for its own failures),
/// with the JSON patch when there is one, a message when something was wrong, and warnings.
/// Written straight into one buffer (the patch base64-encoded in place), byte for byte what
/// serde_json writes for `{apiVersion, kind, response: {uid, allowed, patchType?, patch?,
/// status?: {message}, warnings?}}`.
pub(crate) fn response(
    version: ReviewVersion,
    uid: &str,
    patch: Option<&[u8]>,
    message: Option<&str>,
    warnings: &[String],
) -> Vec<u8> {
    let base64 = base64_simd::STANDARD;
    let capacity = 160
        + uid.len()
        + patch.map_or(0, |p| base64.encoded_length(p.len()))
        + message.map_or(0, str::len)
        + warnings.iter().map(|w| w.len() + 3).sum::<usize>();
    let mut out = Vec::with_capacity(capacity);
    out.extend_from_slice(b"{\"apiVersion\":");
    json_out::string(&mut out, version.api_version());
    out.extend_from_slice(b",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":");
    json_out::string(&mut out, uid);
    out.extend_from_slice(b",\"allowed\":true");
    if let Some(patch) = patch {
        // The base64 alphabet needs no JSON escape.
        out.extend_from_slice(b",\"patchType\":\"JSONPatch\",\"patch\":\"");
        base64.encode_append(patch, &mut out);
        out.push(b'"');
    }
    if let Some(message) = message {
        out.extend_from_slice(b",\"status\":{\"message\":");
        json_out::string(&mut out, message);
        out.push(b'}');
    }
    if let Some((first, rest)) = warnings.split_first() {
        out.extend_from_slice(b",\"warnings\":[");
        json_out::string(&mut out, first);
        for warning in rest {
            out.push(b',');
            json_out::string(&mut out, warning);
        }
        out.push(b']');
    }
    out.extend_from_slice(b"}}");
    out
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    /// The response as serde_json writes it: what `response` must write, byte for byte.
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

    #[test]
    fn the_response_is_what_serde_json_writes() {
        let patches: [Option<&[u8]>; 4] =
            [None, Some(b""), Some(b"[]"), Some(b"[{\"a\":\"\xff\"}]x")];
        let uids = [
            "",
            "705ab4f5-6393-11e8-b7cc-42010a800002",
            "a\"b\\c\u{1}\u{7f}é",
        ];
        let messages = [None, Some("not mutated: \"x\"\n"), Some("")];
        let warnings = [
            Vec::new(),
            vec!["kwi webhook: one".to_owned()],
            vec!["a\tb".to_owned(), String::new(), "c".to_owned()],
        ];
        for version in [ReviewVersion::V1, ReviewVersion::V1Beta1] {
            for (((patch, uid), message), warnings) in patches
                .iter()
                .flat_map(|p| uids.iter().map(move |u| (p, u)))
                .flat_map(|pu| messages.iter().map(move |m| (pu, m)))
                .flat_map(|pum| warnings.iter().map(move |w| (pum, w)))
            {
                let expected = serde_json::to_vec(&ReviewOut {
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
                })
                .unwrap_or_default();
                let written = response(version, uid, *patch, *message, warnings);
                assert_eq!(
                    String::from_utf8_lossy(&written),
                    String::from_utf8_lossy(&expected)
                );
            }
        }
    }
}
