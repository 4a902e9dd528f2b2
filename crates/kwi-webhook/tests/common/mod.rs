//! Test helpers: an RFC 6902 applier independent of kwi's patch builder, reviews around pods, and
//! reading the response.
#![allow(dead_code)]

use base64ct::Encoding as _;
use serde_json::{Value, json};

/// Applies an RFC 6902 patch (the `add`, `remove` and `replace` operations) to a document.
pub(crate) fn apply_patch(doc: &mut Value, patch: &Value) -> Result<(), String> {
    let ops = patch.as_array().ok_or("the patch is not an array")?;
    for op in ops {
        let path = op["path"].as_str().ok_or("an operation without a path")?;
        let tokens: Vec<String> = if path.is_empty() {
            Vec::new()
        } else {
            path.strip_prefix('/')
                .ok_or(format!("bad pointer {path}"))?
                .split('/')
                .map(|t| t.replace("~1", "/").replace("~0", "~"))
                .collect()
        };
        let (last, parents) = tokens
            .split_last()
            .ok_or("operation on the whole document")?;
        let mut target = &mut *doc;
        for token in parents {
            target = match target {
                Value::Object(map) => map
                    .get_mut(token)
                    .ok_or(format!("{path}: no member {token}"))?,
                Value::Array(items) => {
                    let i: usize = token
                        .parse()
                        .map_err(|_| format!("{path}: bad index {token}"))?;
                    items.get_mut(i).ok_or(format!("{path}: no index {i}"))?
                }
                _ => return Err(format!("{path}: {token} is inside a scalar")),
            };
        }
        let value = op.get("value").cloned();
        match (op["op"].as_str(), target) {
            (Some("add"), Value::Object(map)) => {
                map.insert(last.clone(), value.ok_or("add without a value")?);
            }
            (Some("add"), Value::Array(items)) => {
                let value = value.ok_or("add without a value")?;
                if last == "-" {
                    items.push(value);
                } else {
                    let i: usize = last.parse().map_err(|_| format!("{path}: bad index"))?;
                    if i > items.len() {
                        return Err(format!("{path}: index past the end"));
                    }
                    items.insert(i, value);
                }
            }
            (Some("replace"), Value::Object(map)) if map.contains_key(last) => {
                map.insert(last.clone(), value.ok_or("replace without a value")?);
            }
            (Some("remove"), Value::Object(map)) => {
                map.remove(last)
                    .ok_or(format!("{path}: nothing to remove"))?;
            }
            (op, _) => return Err(format!("{path}: unsupported {op:?} here")),
        }
    }
    Ok(())
}

/// An admission.k8s.io AdmissionReview request for creating `pod` in `namespace`.
pub(crate) fn review(api_version: &str, namespace: &str, pod: &Value) -> Vec<u8> {
    let review = json!({
        "apiVersion": api_version,
        "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
            "requestResource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": namespace,
            "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
            "object": pod,
            "oldObject": null,
            "dryRun": false,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}
        }
    });
    serde_json::to_vec(&review).unwrap_or_default()
}

/// The response object of an AdmissionReview answer.
pub(crate) fn response(review: &[u8]) -> Value {
    let review: Value = serde_json::from_slice(review).unwrap_or(Value::Null);
    review["response"].clone()
}

/// The JSON patch an AdmissionReview answer carries (`[]` when none), decoded from base64.
pub(crate) fn patch_of(review: &[u8]) -> Value {
    let response = response(review);
    match response["patch"].as_str() {
        None => json!([]),
        Some(b64) => {
            let bytes = base64ct::Base64::decode_vec(b64).unwrap_or_default();
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        }
    }
}
