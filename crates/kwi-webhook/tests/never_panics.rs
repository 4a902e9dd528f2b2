//! Whatever the request, the webhook answers: an AdmissionReview that admits the pod, never a
//! panic. Arbitrary bytes, and valid reviews with any part replaced by any JSON value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use kwi_webhook::{Directory, Identities, Profile, ServiceAccount, WebhookConfig, mutate};
use proptest::prelude::*;
use serde_json::{Value, json};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9/._~ -]{0,12}".prop_map(Value::from),
        Just(Value::from("AWS_ROLE_ARN")),
        Just(Value::from("aws-iam-token")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,8}|name|env|volumeMounts|fsGroup", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const POINTERS: &[&str] = &[
    "/apiVersion",
    "/kind",
    "/request",
    "/request/uid",
    "/request/kind",
    "/request/namespace",
    "/request/operation",
    "/request/object",
    "/request/object/metadata",
    "/request/object/metadata/labels",
    "/request/object/metadata/annotations",
    "/request/object/spec",
    "/request/object/spec/serviceAccountName",
    "/request/object/spec/nodeSelector",
    "/request/object/spec/volumes",
    "/request/object/spec/securityContext",
    "/request/object/spec/containers",
    "/request/object/spec/containers/0",
    "/request/object/spec/containers/0/name",
    "/request/object/spec/containers/0/env",
    "/request/object/spec/containers/0/env/0",
    "/request/object/spec/containers/0/volumeMounts",
    "/request/object/spec/initContainers",
];

fn setup() -> (WebhookConfig, Directory) {
    let config = WebhookConfig {
        profiles: vec![Profile::Aws, Profile::Azure, Profile::Gcp, Profile::Vault],
        fs_group: Some(1),
        ..WebhookConfig::default()
    };
    let sa = json!({"metadata": {"name": "app", "namespace": "apps", "annotations": {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/app",
        "cloud.google.com/workload-identity-provider": "projects/1/locations/global/workloadIdentityPools/p/providers/q",
        "vault.kwi.dev/role": "r"}}});
    let mut directory = Directory::default();
    directory.insert(serde_json::from_value::<ServiceAccount>(sa).unwrap());
    directory.identities = Identities::from_pairs([("other".to_owned(), "app".to_owned())]);
    (config, directory)
}

fn base_review() -> Value {
    let pod = json!({"metadata": {"name": "p", "labels": {"azure.workload.identity/use": "true"}, "annotations": {}},
        "spec": {"serviceAccountName": "app", "containers": [{"name": "a", "env": [{"name": "X", "value": "1"}], "volumeMounts": []}],
                 "initContainers": [{"name": "i"}], "volumes": []}});
    serde_json::from_slice(&common::review("admission.k8s.io/v1", "apps", &pod)).unwrap()
}

/// Sets the value at a JSON pointer when its parent exists.
fn set(doc: &mut Value, pointer: &str, value: Value) {
    let (parent, last) = pointer.rsplit_once('/').unwrap();
    match doc.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(last.to_owned(), value);
        }
        Some(Value::Array(items)) => {
            if let Some(slot) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *slot = value;
            }
        }
        _ => {}
    }
}

fn check_answer(body: &[u8]) {
    let (config, directory) = setup();
    let mutation = mutate(body, &config, &directory);
    let review: Value = serde_json::from_slice(&mutation.review).expect("the answer is JSON");
    assert_eq!(review["kind"], "AdmissionReview");
    assert_eq!(review["response"]["allowed"], true);
    if mutation.patch.is_empty() {
        assert!(review["response"].get("patch").is_none());
        return;
    }
    // A patch is only ever produced for a readable pod, and it applies to it.
    let request: Value = serde_json::from_slice(body).unwrap();
    let mut pod = request["request"]["object"].clone();
    common::apply_patch(&mut pod, &common::patch_of(&mutation.review))
        .expect("kwi's patch applies to the pod");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_answered(body in prop::collection::vec(any::<u8>(), 0..256)) {
        check_answer(&body);
    }

    #[test]
    fn any_part_replaced_by_anything_is_answered(
        edits in prop::collection::vec((0..POINTERS.len(), json_value()), 1..4)
    ) {
        let mut review = base_review();
        for (i, value) in edits {
            set(&mut review, POINTERS[i], value);
        }
        check_answer(&serde_json::to_vec(&review).unwrap());
    }
}

/// Found by the fuzzer: invalid UTF-8 inside the string of an unknown member was skipped by
/// serde_json and the pod mutated; such a body is not JSON and is now refused as such.
#[test]
fn invalid_utf8_in_an_unknown_member_is_not_json() {
    let body = include_bytes!("regressions/invalid-utf8-in-an-unknown-member.json");
    assert!(serde_json::from_slice::<Value>(body).is_err());
    let (config, directory) = setup();
    let mutation = mutate(body, &config, &directory);
    assert!(
        matches!(mutation.error, Some(kwi_webhook::ReviewError::NotJson(ref m)) if m.starts_with("not UTF-8")),
        "{:?}",
        mutation.error
    );
    assert!(mutation.patch.is_empty());
    check_answer(body);
}
