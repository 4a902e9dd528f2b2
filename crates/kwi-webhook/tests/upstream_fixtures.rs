//! The 24 pod fixtures of amazon-eks-pod-identity-webhook (tests/data/eks-pod-identity-webhook),
//! compared semantically: upstream's expected patch and kwi's patch are applied to the same pod and
//! the two pods must be the same, up to the zero values Go writes and the unknown fields it drops.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use kwi_webhook::{
    ContainerCredentials, Directory, Identities, Jitter, ServiceAccount, WebhookConfig, mutate,
};
use serde_json::{Map, Value};

const T: &str = "testing.eks.amazonaws.com/";

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/eks-pod-identity-webhook")
}

fn fixtures() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![fixture_dir()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn annotation<'a>(pod: &'a Value, key: &str) -> Option<&'a str> {
    pod["metadata"]["annotations"][key].as_str()
}

/// The webhook configuration and ServiceAccount a fixture describes (upstream's
/// `buildModifierFromPod`, `buildFakeCacheFromPod`, `buildFakeConfigFromPod`).
fn case(pod: &Value) -> (WebhookConfig, Directory) {
    let mut config = WebhookConfig::default();
    config.aws.jitter = Jitter::Fixed(0);
    if let Some(region) = annotation(pod, &format!("{T}handler/region")) {
        config.aws.region = region.to_owned();
    }
    if let Some(path) = annotation(pod, &format!("{T}handler/mountPath")) {
        config.aws.token_mount_path = path.to_owned();
    }
    let mut sa = serde_json::json!({"kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "default", "annotations": {}}});
    let mut set = |key: &str, value: &str| {
        sa["metadata"]["annotations"][format!("eks.amazonaws.com/{key}")] = Value::from(value)
    };
    if let Some(role) = annotation(pod, &format!("{T}serviceAccount/roleArn")) {
        set("role-arn", role);
    }
    if let Some(aud) = annotation(pod, &format!("{T}serviceAccount/audience")) {
        set("audience", aud);
    }
    for key in ["serviceAccount/sts-regional-endpoints", "handler/injectSTS"] {
        if let Some(v) = annotation(pod, &format!("{T}{key}")) {
            set("sts-regional-endpoints", v);
            break;
        }
    }
    for key in ["serviceAccount/token-expiration", "handler/expiration"] {
        if let Some(v) = annotation(pod, &format!("{T}{key}")) {
            set("token-expiration", v);
            break;
        }
    }
    let mut directory = Directory::default();
    match serde_json::from_value::<ServiceAccount>(sa) {
        Ok(sa) => directory.insert(sa),
        Err(e) => panic!("test ServiceAccount: {e}"),
    }
    if let Some(uri) =
        annotation(pod, &format!("{T}containercredentials/uri")).filter(|u| !u.is_empty())
    {
        let cc = |k: &str| {
            annotation(pod, &format!("{T}containercredentials/{k}"))
                .unwrap_or("")
                .to_owned()
        };
        config.aws.container_credentials = ContainerCredentials {
            audience: cc("audience"),
            mount_path: cc("mountPath"),
            volume_name: cc("volumeName"),
            token_path: cc("tokenPath"),
            full_uri: uri.to_owned(),
        };
        directory.identities =
            Identities::from_pairs([("default".to_owned(), "default".to_owned())]);
    }
    (config, directory)
}

/// Drops what Go's serialisation adds for unset fields: `null`, `{}`, `""`.
fn normalize(value: &Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::Object(map) => {
            let map: Map<String, Value> = map
                .iter()
                .filter_map(|(k, v)| normalize(v).map(|v| (k.clone(), v)))
                .collect();
            (!map.is_empty()).then_some(Value::Object(map))
        }
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .map(|v| normalize(v).unwrap_or(Value::Null))
                .collect(),
        )),
        other => Some(other.clone()),
    }
}

/// kwi's pod must equal upstream's, except for members only kwi's has that the original pod had at
/// the same place (fields upstream's Go types do not know, dropped by its re-serialisation).
fn compare(
    kwi: &Value,
    upstream: &Value,
    original: Option<&Value>,
    path: &str,
    diffs: &mut Vec<String>,
) {
    match (kwi, upstream) {
        (Value::Object(k), Value::Object(u)) => {
            for (key, kv) in k {
                let orig = original.and_then(|o| o.get(key));
                match u.get(key) {
                    Some(uv) => compare(kv, uv, orig, &format!("{path}/{key}"), diffs),
                    None if orig == Some(kv) => {}
                    None => diffs.push(format!("{path}/{key}: only in kwi's pod: {kv}")),
                }
            }
            for key in u.keys().filter(|key| !k.contains_key(*key)) {
                diffs.push(format!("{path}/{key}: only in upstream's pod: {}", u[key]));
            }
        }
        (Value::Array(k), Value::Array(u)) if k.len() == u.len() => {
            for (i, (kv, uv)) in k.iter().zip(u).enumerate() {
                compare(
                    kv,
                    uv,
                    original.and_then(|o| o.get(i)),
                    &format!("{path}/{i}"),
                    diffs,
                );
            }
        }
        (k, u) if k == u => {}
        (k, u) => diffs.push(format!("{path}: kwi {k} != upstream {u}")),
    }
}

#[test]
fn all_24_upstream_fixtures_give_the_same_pod() {
    let files = fixtures();
    assert_eq!(files.len(), 24, "fixtures found: {files:?}");
    let mut failures = Vec::new();
    let mut compared = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        // rawPodWithInitContainer repeats serviceAccountName; Go's sigs.k8s.io/yaml keeps the last.
        let options = serde_saphyr::options! { duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::LastWins };
        let pod: Value = match serde_saphyr::from_str_with_options(&text, options) {
            Ok(pod) => pod,
            Err(e) => panic!("{}: {e}", file.display()),
        };
        if annotation(&pod, &format!("{T}skip")) == Some("true") {
            continue;
        }
        let mut pod = pod;
        pod["metadata"]["namespace"] = Value::from("default");
        pod["spec"]["serviceAccountName"] = Value::from("default");
        let (config, directory) = case(&pod);
        let expected: Value =
            serde_json::from_str(annotation(&pod, &format!("{T}expectedPatch")).unwrap_or("[]"))
                .unwrap_or(Value::Null);

        let mutation = mutate(
            &common::review("admission.k8s.io/v1", "default", &pod),
            &config,
            &directory,
        );
        assert_eq!(mutation.error, None, "{}", file.display());
        let mut kwi_pod = pod.clone();
        let mut upstream_pod = pod.clone();
        let applied = common::apply_patch(&mut kwi_pod, &common::patch_of(&mutation.review))
            .and_then(|_| common::apply_patch(&mut upstream_pod, &expected));
        if let Err(e) = applied {
            failures.push(format!("{}: {e}", file.display()));
            continue;
        }
        let mut diffs = Vec::new();
        let (kwi_n, upstream_n, original_n) = (
            normalize(&kwi_pod),
            normalize(&upstream_pod),
            normalize(&pod),
        );
        compare(
            &kwi_n.unwrap_or_default(),
            &upstream_n.unwrap_or_default(),
            original_n.as_ref(),
            "",
            &mut diffs,
        );
        if !diffs.is_empty() {
            failures.push(format!("{}:\n  {}", file.display(), diffs.join("\n  ")));
        }
        compared += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(compared, 24);
}
