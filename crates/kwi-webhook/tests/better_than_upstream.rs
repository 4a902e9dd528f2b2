//! Where kwi's webhook does better than amazon-eks-pod-identity-webhook, one test per point:
//! minimal patches that keep unknown fields, the response in the request's version, idempotence
//! under reinvocation, the opt-in fsGroup, and malformed requests answered (never denied).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use kwi_webhook::{Directory, Profile, ServiceAccount, WebhookConfig, mutate};
use serde_json::{Value, json};

fn service_account(annotations: Value) -> Directory {
    let sa = json!({"kind": "ServiceAccount", "metadata": {"name": "app", "namespace": "apps", "annotations": annotations}});
    let mut directory = Directory::default();
    match serde_json::from_value::<ServiceAccount>(sa) {
        Ok(sa) => directory.insert(sa),
        Err(e) => panic!("{e}"),
    }
    directory
}

fn aws_directory() -> Directory {
    service_account(json!({"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/app"}))
}

fn pod(spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "app-", "namespace": "apps"}, "spec": spec})
}

/// Mutates and returns (response, patch, patched pod).
fn run(pod: &Value, config: &WebhookConfig, directory: &Directory) -> (Value, Value, Value) {
    let mutation = mutate(
        &common::review("admission.k8s.io/v1", "apps", pod),
        config,
        directory,
    );
    let patch = common::patch_of(&mutation.review);
    let mut patched = pod.clone();
    if let Err(e) = common::apply_patch(&mut patched, &patch) {
        panic!("kwi's patch does not apply: {e}\n{patch}");
    }
    (common::response(&mutation.review), patch, patched)
}

#[test]
fn fields_kwi_has_never_heard_of_survive() {
    let original = pod(json!({
        "serviceAccountName": "app",
        "inventedPodField": {"x": [1, 2, 3]},
        "initContainers": [{"name": "sidecar", "image": "proxy", "restartPolicy": "Always", "inventedField": true}],
        "containers": [{
            "name": "app", "image": "app",
            "startupProbe": {"grpc": {"port": 5000, "service": "health"}, "failureThreshold": 30},
            "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}],
            "env": [{"name": "KEEP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
            "volumeMounts": [{"name": "data", "mountPath": "/data", "recursiveReadOnly": "IfPossible"}],
            "frobnicate": {"level": 11}
        }],
        "volumes": [{"name": "data", "emptyDir": {"medium": "Memory"}, "inventedVolumeField": "yes"}]
    }));
    let (response, patch, patched) = run(&original, &WebhookConfig::default(), &aws_directory());
    assert_eq!(response["allowed"], true);
    // Only additions: at the ends of lists, in front of the volumes, or of a member the pod lacks.
    // Nothing the pod has is replaced.
    for op in patch.as_array().into_iter().flatten() {
        assert_eq!(op["op"], "add", "{op}");
        let path = op["path"].as_str().unwrap_or("");
        let appended = path.ends_with("/env/-")
            || path.ends_with("/volumeMounts/-")
            || path == "/spec/volumes/0";
        assert!(
            appended || original.pointer(path).is_none(),
            "{path} replaces what the pod has"
        );
    }
    // Everything of the original is still there, byte for byte.
    let app = &patched["spec"]["containers"][0];
    assert_eq!(
        app["startupProbe"],
        original["spec"]["containers"][0]["startupProbe"]
    );
    assert_eq!(app["frobnicate"], json!({"level": 11}));
    assert_eq!(
        app["resizePolicy"],
        original["spec"]["containers"][0]["resizePolicy"]
    );
    assert_eq!(app["env"][0], original["spec"]["containers"][0]["env"][0]);
    assert_eq!(app["volumeMounts"][0]["recursiveReadOnly"], "IfPossible");
    assert_eq!(patched["spec"]["initContainers"][0]["inventedField"], true);
    assert_eq!(
        patched["spec"]["initContainers"][0]["restartPolicy"],
        "Always"
    );
    assert_eq!(patched["spec"]["inventedPodField"], json!({"x": [1, 2, 3]}));
    assert_eq!(patched["spec"]["volumes"][1]["inventedVolumeField"], "yes");
    // And what upstream adds is there too.
    assert_eq!(
        app["env"][1],
        json!({"name": "AWS_ROLE_ARN", "value": "arn:aws:iam::111122223333:role/app"})
    );
    assert_eq!(patched["spec"]["volumes"][0]["name"], "aws-iam-token");
}

#[test]
fn the_response_is_in_the_requests_own_version() {
    let pod = pod(json!({"serviceAccountName": "app", "containers": [{"name": "app"}]}));
    for version in ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"] {
        let mutation = mutate(
            &common::review(version, "apps", &pod),
            &WebhookConfig::default(),
            &aws_directory(),
        );
        let review: Value = serde_json::from_slice(&mutation.review).unwrap_or_default();
        assert_eq!(review["apiVersion"], version);
        assert_eq!(review["kind"], "AdmissionReview");
        assert_eq!(
            review["response"]["uid"],
            "705ab4f5-6393-11e8-b7cc-42010a800002"
        );
        assert_eq!(review["response"]["patchType"], "JSONPatch");
    }
}

#[test]
fn the_wire_format_is_pinned() {
    let pod = pod(json!({"serviceAccountName": "app", "containers": [{"name": "app", "env": []}]}));
    let mutation = mutate(
        &common::review("admission.k8s.io/v1", "apps", &pod),
        &WebhookConfig::default(),
        &aws_directory(),
    );
    let review = String::from_utf8(mutation.review).unwrap_or_default();
    let patch = String::from_utf8(mutation.patch).unwrap_or_default();
    insta::assert_snapshot!("response_v1", format!("{review}\n{patch}"));
}

fn all_profiles() -> (WebhookConfig, Directory) {
    let mut config = WebhookConfig {
        profiles: vec![Profile::Aws, Profile::Azure, Profile::Gcp, Profile::Vault],
        ..WebhookConfig::default()
    };
    config.aws.region = "eu-west-1".to_owned();
    config.aws.sts_regional_endpoint = true;
    config.vault.addr = "https://vault.example.com".to_owned();
    config.fs_group = Some(65534);
    let directory = service_account(json!({
        "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/app",
        "azure.workload.identity/client-id": "00000000-0000-0000-0000-000000000001",
        "azure.workload.identity/tenant-id": "00000000-0000-0000-0000-000000000002",
        "cloud.google.com/workload-identity-provider": "projects/123/locations/global/workloadIdentityPools/kwi/providers/cluster",
        "cloud.google.com/service-account-email": "app@proj.iam.gserviceaccount.com",
        "vault.kwi.dev/role": "my-role"
    }));
    (config, directory)
}

#[test]
fn a_mutated_pod_gets_an_empty_patch_when_reinvoked() {
    let labelled = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "labels": {"azure.workload.identity/use": "true"}},
        "spec": {"serviceAccountName": "app", "initContainers": [{"name": "init"}], "containers": [{"name": "a"}, {"name": "b", "env": []}]}});
    let (config, directory) = all_profiles();
    let (_, patch, once) = run(&labelled, &config, &directory);
    assert!(patch.as_array().is_some_and(|ops| !ops.is_empty()));
    let (response, again, twice) = run(&once, &config, &directory);
    assert_eq!(again, json!([]), "second patch: {again}");
    assert!(
        response.get("patch").is_none() && response.get("patchType").is_none(),
        "{response}"
    );
    assert_eq!(once, twice);

    // EKS Pod Identity (container credentials) too: the label is not added twice.
    let mut cc = WebhookConfig::default();
    cc.aws.jitter = kwi_webhook::Jitter::FromRequestUid;
    let mut directory = aws_directory();
    directory.identities =
        kwi_webhook::Identities::from_pairs([("apps".to_owned(), "app".to_owned())]);
    let (_, patch, once) = run(&labelled, &cc, &directory);
    assert!(
        patch
            .to_string()
            .contains("eks.amazonaws.com~1pod-identity"),
        "{patch}"
    );
    let (_, again, _) = run(&once, &cc, &directory);
    assert_eq!(again, json!([]));
}

#[test]
fn every_profile_at_once_and_none_overwrites_the_pods_env() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "labels": {"azure.workload.identity/use": "true"}},
        "spec": {"serviceAccountName": "app", "containers": [{"name": "a", "env": [{"name": "VAULT_ADDR", "value": "mine"}]}]}});
    let (config, directory) = all_profiles();
    let (response, _, patched) = run(&pod, &config, &directory);
    assert!(response.get("warnings").is_none(), "{response}");
    let env: Vec<(String, String)> = patched["spec"]["containers"][0]["env"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["name"].as_str().unwrap_or("").to_owned(),
                e["value"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "VAULT_ADDR",
            "AWS_STS_REGIONAL_ENDPOINTS",
            "AWS_DEFAULT_REGION",
            "AWS_REGION",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AZURE_CLIENT_ID",
            "AZURE_TENANT_ID",
            "AZURE_FEDERATED_TOKEN_FILE",
            "AZURE_AUTHORITY_HOST",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "CLOUDSDK_CORE_PROJECT",
            "VAULT_ROLE",
            "VAULT_AUTH_PATH",
            "VAULT_JWT_FILE",
        ]
    );
    assert_eq!(env[0].1, "mine");
    let volumes: Vec<&str> = patched["spec"]["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(
        volumes,
        [
            "aws-iam-token",
            "azure-identity-token",
            "gcp-iam-token",
            "external-credential-config",
            "vault-token"
        ]
    );
    let credentials: Value = serde_json::from_str(
        patched["metadata"]["annotations"]["cloud.google.com/external-credentials-json"]
            .as_str()
            .unwrap_or(""),
    )
    .unwrap_or_default();
    assert_eq!(
        credentials["audience"],
        "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/kwi/providers/cluster"
    );
    assert_eq!(
        credentials["credential_source"]["file"],
        "/var/run/secrets/sts.googleapis.com/serviceaccount/token"
    );
    assert_eq!(patched["spec"]["securityContext"]["fsGroup"], 65534);
}

#[test]
fn fs_group_is_opt_in_and_never_overrides_the_pods() {
    let no_context = pod(json!({"serviceAccountName": "app", "containers": [{"name": "a"}]}));
    let with_context = pod(
        json!({"serviceAccountName": "app", "securityContext": {"runAsUser": 1000}, "containers": [{"name": "a"}]}),
    );
    let with_group = pod(
        json!({"serviceAccountName": "app", "securityContext": {"fsGroup": 7}, "containers": [{"name": "a"}]}),
    );
    let off = WebhookConfig::default();
    let on = WebhookConfig {
        fs_group: Some(65534),
        ..WebhookConfig::default()
    };

    assert!(
        run(&no_context, &off, &aws_directory()).2["spec"]
            .get("securityContext")
            .is_none()
    );
    assert_eq!(
        run(&no_context, &on, &aws_directory()).2["spec"]["securityContext"],
        json!({"fsGroup": 65534})
    );
    assert_eq!(
        run(&with_context, &on, &aws_directory()).2["spec"]["securityContext"],
        json!({"runAsUser": 1000, "fsGroup": 65534})
    );
    assert_eq!(
        run(&with_group, &on, &aws_directory()).2["spec"]["securityContext"],
        json!({"fsGroup": 7})
    );

    // The ServiceAccount opts in without the flag; a pod annotation opts out.
    let sa_opt_in = service_account(
        json!({"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/app", "kwi.dev/fs-group": "2000"}),
    );
    assert_eq!(
        run(&no_context, &off, &sa_opt_in).2["spec"]["securityContext"],
        json!({"fsGroup": 2000})
    );
    let mut opted_out = no_context.clone();
    opted_out["metadata"]["annotations"] = json!({"kwi.dev/fs-group": "none"});
    assert!(
        run(&opted_out, &on, &aws_directory()).2["spec"]
            .get("securityContext")
            .is_none()
    );

    // No profile applies: no fsGroup either.
    assert!(
        run(&no_context, &on, &Directory::default()).2["spec"]
            .get("securityContext")
            .is_none()
    );
}

#[test]
fn malformed_requests_are_admitted_with_a_clear_message() {
    let config = WebhookConfig::default();
    let uid = "705ab4f5-6393-11e8-b7cc-42010a800002";
    let bad_pod = common::review(
        "admission.k8s.io/v1beta1",
        "apps",
        &json!({"spec": {"containers": "app"}}),
    );
    let cases: Vec<(Vec<u8>, &str, &str, &str)> = vec![
        (
            b"not json".to_vec(),
            "admission.k8s.io/v1",
            "",
            "the request is not JSON",
        ),
        (
            b"".to_vec(),
            "admission.k8s.io/v1",
            "",
            "the request is not JSON",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.to_vec(),
            "admission.k8s.io/v1",
            "",
            "has no request",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","request":{"object":{}}}"#.to_vec(),
            "admission.k8s.io/v1",
            "",
            "has no uid",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v2","request":{"uid":"u"}}"#.to_vec(),
            "admission.k8s.io/v1",
            "",
            "is not supported",
        ),
        (
            br#"{"kind":"Pod","request":{"uid":"u"}}"#.to_vec(),
            "admission.k8s.io/v1",
            "u",
            "kind is \"Pod\"",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","request":{"uid":"u","operation":"CREATE"}}"#
                .to_vec(),
            "admission.k8s.io/v1",
            "u",
            "has no object",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1beta1","request":{"uid":"u","namespace":7}}"#
                .to_vec(),
            "admission.k8s.io/v1beta1",
            "u",
            "not an AdmissionReview",
        ),
        (
            bad_pod,
            "admission.k8s.io/v1beta1",
            uid,
            "not a readable Pod: invalid type: string \"app\", expected a sequence",
        ),
    ];
    for (body, version, want_uid, message) in cases {
        let mutation = mutate(&body, &config, &aws_directory());
        assert!(mutation.error.is_some(), "{message}");
        let review: Value = serde_json::from_slice(&mutation.review).unwrap_or_default();
        assert_eq!(review["apiVersion"], version, "{message}");
        assert_eq!(review["response"]["uid"], want_uid, "{message}");
        assert_eq!(review["response"]["allowed"], true, "{message}");
        assert!(review["response"].get("patch").is_none(), "{message}");
        let got = review["response"]["status"]["message"]
            .as_str()
            .unwrap_or("");
        assert!(got.contains(message), "want {message:?} in {got:?}");
    }
}

#[test]
fn requests_that_are_not_pod_creations_pass_through_untouched() {
    let pod = pod(json!({"serviceAccountName": "app", "containers": [{"name": "a"}]}));
    let mut update: Value =
        serde_json::from_slice(&common::review("admission.k8s.io/v1", "apps", &pod))
            .unwrap_or_default();
    update["request"]["operation"] = json!("UPDATE");
    let mut secret = update.clone();
    secret["request"]["operation"] = json!("CREATE");
    secret["request"]["kind"] = json!({"group": "", "version": "v1", "kind": "Secret"});
    let mut binding = secret.clone();
    binding["request"]["kind"] = json!({"group": "", "version": "v1", "kind": "Pod"});
    binding["request"]["subResource"] = json!("binding");
    for (review, message) in [
        (update, "only CREATE"),
        (secret, "v1 Secret, not a v1 Pod"),
        (binding, "pods/binding"),
    ] {
        let mutation = mutate(
            &serde_json::to_vec(&review).unwrap_or_default(),
            &WebhookConfig::default(),
            &aws_directory(),
        );
        assert_eq!(mutation.error, None);
        let response = common::response(&mutation.review);
        assert_eq!(response["allowed"], true);
        assert!(response.get("patch").is_none());
        assert!(
            response["status"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(message),
            "{response}"
        );
    }
}

#[test]
fn unusable_annotation_values_come_back_as_warnings() {
    let mut pod = pod(json!({"serviceAccountName": "app", "containers": [{"name": "a"}]}));
    pod["metadata"]["annotations"] = json!({"eks.amazonaws.com/token-expiration": "1h", "eks.amazonaws.com/skip-containers": "a\"b"});
    let (response, _, patched) = run(&pod, &WebhookConfig::default(), &aws_directory());
    let warnings = response["warnings"].to_string();
    assert!(
        warnings.contains("token-expiration: \\\"1h\\\" is not a number of seconds; using 86400"),
        "{warnings}"
    );
    assert!(warnings.contains("skip-containers"), "{warnings}");
    assert_eq!(
        patched["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"],
        86400
    );
}

#[test]
fn a_pod_with_the_skip_label_is_left_alone() {
    let mut pod = pod(json!({"serviceAccountName": "app", "containers": [{"name": "a"}]}));
    pod["metadata"]["labels"] = json!({"eks.amazonaws.com/skip-pod-identity-webhook": ""});
    let (response, patch, _) = run(&pod, &WebhookConfig::default(), &aws_directory());
    assert_eq!(patch, json!([]));
    assert!(
        response["status"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("skip-pod-identity-webhook")
    );
}

#[test]
fn the_config_map_gives_roles_to_unannotated_service_accounts() {
    let pod = pod(json!({"serviceAccountName": "app", "containers": [{"name": "a"}]}));
    let mut directory = service_account(json!({}));
    directory.config_map = match kwi_webhook::ConfigMapEntries::parse(
        r#"{"*/app":{"RoleARN":"arn:aws:iam::111122223333:role/cm","TokenExpiration":100}}"#,
    ) {
        Ok(cm) => cm,
        Err(e) => panic!("{e}"),
    };
    let (_, _, patched) = run(&pod, &WebhookConfig::default(), &directory);
    assert_eq!(
        patched["spec"]["containers"][0]["env"][0]["value"],
        "arn:aws:iam::111122223333:role/cm"
    );
    let token = &patched["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"];
    assert_eq!(token["audience"], "sts.amazonaws.com");
    assert_eq!(token["expirationSeconds"], 600);
}
