//! `kwi webhook mutate`, the real binary: Pods and AdmissionReviews in (JSON, YAML, stdin),
//! ServiceAccounts, the ConfigMap and the identities file from files, every profile.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Workdir;
use serde_json::{Value, json};

const SA: &str = "\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: s3-reader
  namespace: apps
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/s3-reader
";

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: app
  namespace: apps
spec:
  serviceAccountName: s3-reader
  containers:
  - name: app
    image: amazon/aws-cli
    env:
    - name: AWS_REGION
      value: mine
";

fn patch(run: common::Run) -> Vec<Value> {
    let run = run.ok();
    serde_json::from_slice::<Value>(&run.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// (path, value) of every op.
fn ops(patch: &[Value]) -> Vec<(String, Value)> {
    patch
        .iter()
        .map(|op| (op["path"].as_str().unwrap().to_owned(), op["value"].clone()))
        .collect()
}

fn env_added(patch: &[Value]) -> Vec<(String, String)> {
    ops(patch)
        .into_iter()
        .filter(|(path, _)| path.contains("/env"))
        .flat_map(|(_, v)| match v {
            Value::Array(items) => items,
            one => vec![one],
        })
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["value"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_pod_and_its_service_account_in_yaml() {
    let w = Workdir::new();
    w.write("sa.yaml", SA);
    w.write("pod.yaml", POD);
    let p = patch(w.run(&[
        "webhook",
        "mutate",
        "pod.yaml",
        "--service-account",
        "sa.yaml",
        "--patch",
        "--sts-regional-endpoint",
        "--aws-default-region",
        "eu-west-1",
    ]));
    // AWS_REGION set by the pod: no region added, and the pod's value untouched.
    assert_eq!(
        env_added(&p),
        [
            (
                "AWS_STS_REGIONAL_ENDPOINTS".to_owned(),
                "regional".to_owned()
            ),
            (
                "AWS_ROLE_ARN".to_owned(),
                "arn:aws:iam::111122223333:role/s3-reader".to_owned()
            ),
            (
                "AWS_WEB_IDENTITY_TOKEN_FILE".to_owned(),
                "/var/run/secrets/eks.amazonaws.com/serviceaccount/token".to_owned()
            ),
        ]
    );
    let paths: Vec<String> = ops(&p).into_iter().map(|(path, _)| path).collect();
    assert_eq!(
        paths,
        [
            "/spec/volumes",
            "/spec/containers/0/env/-",
            "/spec/containers/0/env/-",
            "/spec/containers/0/env/-",
            "/spec/containers/0/volumeMounts"
        ]
    );
    // The same pod in another ServiceAccount gets nothing.
    let other = POD.replace("serviceAccountName: s3-reader", "serviceAccountName: other");
    w.write("other.yaml", other);
    assert_eq!(
        patch(w.run(&[
            "webhook",
            "mutate",
            "other.yaml",
            "--service-account",
            "sa.yaml",
            "--patch"
        ])),
        Vec::<Value>::new()
    );
}

#[test]
fn an_admission_review_from_stdin_is_answered_in_its_version() {
    let w = Workdir::new();
    w.write("sa.yaml", SA);
    let pod = json!({"metadata": {"name": "app"}, "spec": {"serviceAccountName": "s3-reader", "containers": [{"name": "app"}]}});
    let review = json!({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview",
        "request": {"uid": "abc-123", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "namespace": "apps", "operation": "CREATE", "object": pod}});
    let run = w
        .run_with_input(
            &["webhook", "mutate", "--service-account", "sa.yaml"],
            Some(review.to_string().as_bytes()),
        )
        .ok();
    let answer: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(answer["apiVersion"], "admission.k8s.io/v1beta1");
    assert_eq!(answer["kind"], "AdmissionReview");
    assert_eq!(answer["response"]["uid"], "abc-123");
    assert_eq!(answer["response"]["allowed"], true);
    assert_eq!(answer["response"]["patchType"], "JSONPatch");
    assert!(
        answer["response"]["patch"]
            .as_str()
            .is_some_and(|p| !p.is_empty())
    );
}

#[test]
fn service_accounts_from_stdin_lists_and_several_documents() {
    let w = Workdir::new();
    w.write("pod.yaml", POD);
    let list = format!(
        "apiVersion: v1\nkind: List\nitems:\n- {}",
        SA.replace('\n', "\n  ").trim_end()
    );
    let p = patch(w.run_with_input(
        &[
            "webhook",
            "mutate",
            "pod.yaml",
            "--service-account",
            "-",
            "--patch",
        ],
        Some(list.as_bytes()),
    ));
    assert!(
        env_added(&p).iter().any(|(n, _)| n == "AWS_ROLE_ARN"),
        "{p:?}"
    );
    let two = format!(
        "{}---\n{SA}",
        SA.replace("s3-reader\n  namespace", "first\n  namespace")
    );
    w.write("two.yaml", two);
    let p = patch(w.run(&[
        "webhook",
        "mutate",
        "pod.yaml",
        "--service-account",
        "two.yaml",
        "--patch",
    ]));
    assert!(env_added(&p).iter().any(|(n, _)| n == "AWS_ROLE_ARN"));
}

#[test]
fn the_config_map_and_the_identities_file() {
    let w = Workdir::new();
    w.write("pod.yaml", POD);
    w.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: pod-identity-webhook, namespace: kwi}\ndata:\n  config: '{\"*/s3-reader\": {\"RoleARN\": \"arn:aws:iam::111122223333:role/from-cm\", \"UseRegionalSTS\": true}}'\n",
    );
    let p = patch(w.run(&[
        "webhook",
        "mutate",
        "pod.yaml",
        "--config-map",
        "cm.yaml",
        "--patch",
    ]));
    assert!(
        env_added(&p).contains(&(
            "AWS_ROLE_ARN".to_owned(),
            "arn:aws:iam::111122223333:role/from-cm".to_owned()
        )),
        "{p:?}"
    );

    w.write(
        "identities.json",
        r#"{"identities": [{"namespace": "apps", "serviceAccount": "s3-reader"}]}"#,
    );
    let p = patch(w.run(&[
        "webhook",
        "mutate",
        "pod.yaml",
        "--container-credentials-config",
        "identities.json",
        "--patch",
    ]));
    assert_eq!(
        env_added(&p),
        [
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI".to_owned(),
                "http://169.254.170.23/v1/credentials".to_owned()
            ),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE".to_owned(),
                "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"
                    .to_owned()
            ),
        ]
    );
    assert_eq!(
        ops(&p)[0],
        (
            "/metadata/labels".to_owned(),
            json!({"eks.amazonaws.com/pod-identity": "enabled"})
        )
    );
    let seconds =
        ops(&p)[1].1[0]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"]
            .as_i64()
            .unwrap();
    assert!((79_200..=86_400).contains(&seconds), "{seconds}");
}

#[test]
fn every_profile_from_the_command_line() {
    let w = Workdir::new();
    w.write(
        "sa.yaml",
        "kind: ServiceAccount\nmetadata:\n  name: s3-reader\n  namespace: apps\n  annotations:\n    azure.workload.identity/client-id: cid\n    cloud.google.com/workload-identity-provider: projects/42/locations/global/workloadIdentityPools/kwi/providers/cluster\n    vault.kwi.dev/role: my-role\n",
    );
    w.write(
        "pod.yaml",
        POD.replace(
            "  namespace: apps\n",
            "  namespace: apps\n  labels:\n    azure.workload.identity/use: \"true\"\n",
        ),
    );
    let p = patch(w.run(&[
        "webhook",
        "mutate",
        "pod.yaml",
        "--service-account",
        "sa.yaml",
        "--patch",
        "--profile",
        "azure,gcp",
        "--profile",
        "vault",
        "--azure-tenant-id",
        "tid",
        "--vault-addr",
        "https://vault.example.com:8200",
        "--fs-group",
        "65534",
    ]));
    let names: Vec<String> = env_added(&p).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "AZURE_CLIENT_ID",
            "AZURE_TENANT_ID",
            "AZURE_FEDERATED_TOKEN_FILE",
            "AZURE_AUTHORITY_HOST",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "VAULT_ADDR",
            "VAULT_ROLE",
            "VAULT_AUTH_PATH",
            "VAULT_JWT_FILE"
        ]
    );
    let all = ops(&p);
    let volumes = &all
        .iter()
        .find(|(path, _)| path == "/spec/volumes")
        .unwrap()
        .1;
    let audiences: Vec<&str> = volumes
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["projected"]["sources"][0]["serviceAccountToken"]["audience"].as_str())
        .collect();
    assert_eq!(
        audiences,
        ["api://AzureADTokenExchange", "sts.googleapis.com", "vault"]
    );
    assert!(all.contains(&(
        "/spec/securityContext".to_owned(),
        json!({"fsGroup": 65534})
    )));
    let annotations = &all
        .iter()
        .find(|(path, _)| path == "/metadata/annotations")
        .unwrap()
        .1;
    let credentials: Value = serde_json::from_str(
        annotations["cloud.google.com/external-credentials-json"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(credentials["type"], "external_account");
    assert_eq!(
        credentials["subject_token_type"],
        "urn:ietf:params:oauth:token-type:jwt"
    );
}

#[test]
fn an_unreadable_request_is_answered_and_exits_2() {
    let w = Workdir::new();
    let run = w.run_with_input(
        &["webhook", "mutate"],
        Some(b"{\"apiVersion\": \"admission.k8s.io/v1\", \"request\": {}}"),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let answer: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(answer["response"]["allowed"], true);
    assert_eq!(
        answer["response"]["status"]["message"],
        "the AdmissionReview request has no uid"
    );
    let run = run.usage_error(&["<stdin>", "has no uid"]);
    assert!(run.stderr.starts_with("kwi: "));
}

#[test]
fn bad_files_are_named() {
    let w = Workdir::new();
    w.write("pod.yaml", POD);
    w.write("pod-as-sa.yaml", POD);
    w.run(&[
        "webhook",
        "mutate",
        "pod.yaml",
        "--service-account",
        "pod-as-sa.yaml",
    ])
    .usage_error(&["pod-as-sa.yaml", "kind is \"Pod\""]);
    w.write(
        "cm.yaml",
        "kind: ConfigMap\ndata:\n  config: '{\"nokey\": {}}'\n",
    );
    w.run(&["webhook", "mutate", "pod.yaml", "--config-map", "cm.yaml"])
        .usage_error(&["cm.yaml", "\"nokey\" is not \"namespace/serviceaccount\""]);
    w.write("ids.json", "{\"identities\": 3}");
    w.run(&[
        "webhook",
        "mutate",
        "pod.yaml",
        "--container-credentials-config",
        "ids.json",
    ])
    .usage_error(&["ids.json", "identities file"]);
    w.run(&["webhook", "mutate", "missing.yaml"])
        .usage_error(&["missing.yaml", "no such file"]);
    let run = w.run(&["webhook", "mutate", "pod.yaml", "--profile", "ibm"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("possible values: aws, azure, gcp, vault"),
        "{}",
        run.stderr
    );
}

#[test]
fn lifetimes_under_the_minimum_are_raised_and_bad_annotations_warned() {
    let w = Workdir::new();
    w.write(
        "sa.yaml",
        format!("{SA}    eks.amazonaws.com/token-expiration: soon\n"),
    );
    w.write("pod.yaml", POD);
    let run = w.run(&[
        "webhook",
        "mutate",
        "pod.yaml",
        "--service-account",
        "sa.yaml",
        "--patch",
        "--token-expiration",
        "10",
    ]);
    assert!(run.stderr.contains("kwi: warning: ServiceAccount annotation eks.amazonaws.com/token-expiration: \"soon\" is not a number of seconds"), "{}", run.stderr);
    let p = patch(run);
    assert_eq!(
        ops(&p)[0].1[0]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"],
        600
    );
}

#[test]
fn manifests_with_cert_manager_are_pinned() {
    let w = Workdir::new();
    let run = w
        .run(&[
            "webhook",
            "manifests",
            "--cert-manager",
            "--profile",
            "aws,azure",
            "--aws-default-region",
            "eu-west-1",
        ])
        .ok();
    insta::assert_snapshot!("webhook_manifests_cert_manager", run.stdout_text());
}

#[test]
fn manifests_refuse_conflicting_tls_and_bad_flags() {
    let w = Workdir::new();
    let run = w.run(&["webhook", "manifests", "--cert-manager", "--self-signed"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    w.run(&["webhook", "manifests", "--annotation-prefix", "a/b"])
        .usage_error(&["--annotation-prefix", "DNS domain"]);
}
