//! The webhook's mutation: no request may panic; every answer is an AdmissionReview that admits
//! the pod, and a patch, when there is one, applies to the pod of the request
//! (`crates/kwi-webhook/tests/common`, the applier the tests use). The fast reader of reviews reads
//! what serde_json reads, or gives up.
#![no_main]

use kwi_webhook::{Directory, Identities, Profile, ServiceAccount, WebhookConfig, mutate};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

#[path = "../../crates/kwi-webhook/tests/common/mod.rs"]
mod common;

fn setup() -> (WebhookConfig, Directory) {
    let config = WebhookConfig {
        profiles: vec![Profile::Aws, Profile::Azure, Profile::Gcp, Profile::Vault],
        fs_group: Some(1),
        ..WebhookConfig::default()
    };
    let mut directory = Directory::default();
    for (ns, annotations) in [
        ("default", r#"{"eks.amazonaws.com/role-arn":"arn:aws:iam::111122223333:role/a","vault.kwi.dev/role":"r"}"#),
        ("apps", r#"{"cloud.google.com/workload-identity-provider":"projects/1/locations/global/workloadIdentityPools/p/providers/q","azure.workload.identity/client-id":"c"}"#),
    ] {
        let sa = format!(r#"{{"metadata":{{"name":"default","namespace":"{ns}","annotations":{annotations}}}}}"#);
        directory.insert(ServiceAccount::from_json(sa.as_bytes()).expect("fuzz setup"));
    }
    directory.identities = Identities::from_pairs([("cc".to_owned(), "default".to_owned())]);
    (config, directory)
}

fuzz_target!(|data: &[u8]| {
    assert!(kwi_webhook::review_readers_agree(data), "the fast reader disagrees with serde_json");
    let (config, directory) = setup();
    let mutation = mutate(data, &config, &directory);
    let review: Value = serde_json::from_slice(&mutation.review).expect("the answer is JSON");
    assert_eq!(review["response"]["allowed"], true);
    if !mutation.patch.is_empty() {
        let request: Value = serde_json::from_slice(data).expect("a patch for a request that is not JSON");
        let mut pod = request["request"]["object"].clone();
        common::apply_patch(&mut pod, &common::patch_of(&mutation.review)).expect("kwi's patch applies to the pod");
    }
});
