//! Pod mutation against its baseline, in one run: a typical pod (3 containers, 2 init containers,
//! 20 env vars each) mutated by the AWS profile, against parsing and re-serialising the same
//! AdmissionReview with serde_json. Target: ≤ 2 × the baseline and ≤ 20 µs.

use criterion::{Criterion, criterion_group, criterion_main};
use kwi_webhook::{Directory, ServiceAccount, WebhookConfig, mutate};
use serde_json::{Value, json};

fn container(name: &str) -> Value {
    let env: Vec<Value> = (0..20)
        .map(|i| json!({"name": format!("VAR_{i}"), "value": format!("value-{i}-of-{name}")}))
        .collect();
    json!({
        "name": name,
        "image": format!("registry.example.com/team/{name}:1.2.3"),
        "args": ["--listen", ":8080", "--log-format", "json"],
        "env": env,
        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": true},
                         {"name": "kube-api-access-abcde", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}],
        "terminationMessagePath": "/dev/termination-log",
        "imagePullPolicy": "IfNotPresent"
    })
}

/// The AdmissionReview of a typical pod.
fn typical_review() -> Vec<u8> {
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"generateName": "app-7d4b9c-", "namespace": "apps",
                     "labels": {"app": "app", "pod-template-hash": "7d4b9c"},
                     "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "app-7d4b9c", "uid": "0b1c", "controller": true}]},
        "spec": {
            "serviceAccountName": "app",
            "initContainers": [container("migrate"), container("warmup")],
            "containers": [container("app"), container("proxy"), container("metrics")],
            "volumes": [{"name": "config", "configMap": {"name": "app"}},
                        {"name": "kube-api-access-abcde", "projected": {"sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}],
            "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler"
        }
    });
    let review = json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                    "resource": {"group": "", "version": "v1", "resource": "pods"}, "namespace": "apps", "operation": "CREATE",
                    "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller", "groups": ["system:serviceaccounts"]},
                    "object": pod, "oldObject": null, "dryRun": false, "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}}
    });
    serde_json::to_vec(&review).unwrap_or_default()
}

fn directory() -> Directory {
    let mut directory = Directory::default();
    let sa = json!({"metadata": {"name": "app", "namespace": "apps", "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/app"}}});
    if let Ok(sa) = serde_json::from_value::<ServiceAccount>(sa) {
        directory.insert(sa);
    }
    directory
}

fn bench(c: &mut Criterion) {
    let body = typical_review();
    let mut config = WebhookConfig::default();
    config.aws.region = "eu-west-1".to_owned();
    let directory = directory();
    assert!(
        !mutate(&body, &config, &directory).patch.is_empty(),
        "the benchmark must mutate"
    );
    let mut group =
        c.benchmark_group("typical pod (3 containers, 2 init containers, 20 env vars each)");
    group.bench_function("kwi mutate (parse, decide, patch, response)", |b| {
        b.iter(|| mutate(std::hint::black_box(&body), &config, &directory))
    });
    group.bench_function("serde_json parse + re-serialise (baseline)", |b| {
        b.iter(|| {
            let value: Value =
                serde_json::from_slice(std::hint::black_box(&body)).unwrap_or_default();
            serde_json::to_vec(&value).unwrap_or_default()
        })
    });
    group.bench_function(
        "serde_json scan only (IgnoredAny: the floor of reading the body)",
        |b| {
            b.iter(|| {
                serde_json::from_slice::<serde::de::IgnoredAny>(std::hint::black_box(&body)).is_ok()
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
