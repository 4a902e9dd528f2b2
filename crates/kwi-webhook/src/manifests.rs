//! The Kubernetes objects that run the webhook in a cluster: Namespace, ServiceAccount, RBAC,
//! Deployment, PodDisruptionBudget, Service, TLS, and the MutatingWebhookConfiguration.

use serde_json::{Value, json};

/// The name of every object (and the Service the API server calls).
pub const NAME: &str = "kwi-webhook";
const TLS_SECRET: &str = "kwi-webhook-tls";
const TLS_DIR: &str = "/etc/kwi/tls";
const PORT: u16 = 8443;

/// How the API server gets to trust the webhook's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestTls {
    /// cert-manager issues the certificate (a self-signed Issuer) and injects the caBundle.
    CertManager,
    /// A CA and a serving certificate made beforehand: the Secret and the caBundle are written out.
    Provided {
        /// The CA certificate (PEM): the caBundle.
        ca_pem: String,
        /// The serving certificate (PEM).
        cert_pem: String,
        /// Its private key (PEM).
        key_pem: String,
    },
}

/// What the manifests are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestOptions {
    /// The namespace the webhook runs in.
    pub namespace: String,
    /// The image running `kwi`.
    pub image: String,
    /// Deployment replicas.
    pub replicas: u32,
    /// TLS.
    pub tls: ManifestTls,
    /// Flags passed to `kwi webhook serve` besides listen and TLS.
    pub serve_args: Vec<String>,
    /// The label that keeps a pod away from the webhook (the objectSelector; the webhook's own pods carry it).
    pub skip_label: String,
}

/// The DNS names the serving certificate must carry.
pub fn service_dns_names(namespace: &str) -> Vec<String> {
    vec![
        NAME.to_owned(),
        format!("{NAME}.{namespace}"),
        format!("{NAME}.{namespace}.svc"),
        format!("{NAME}.{namespace}.svc.cluster.local"),
    ]
}

/// Every object, in the order `kubectl apply` needs them.
pub fn manifests(options: &ManifestOptions) -> Vec<Value> {
    let ns = options.namespace.as_str();
    let labels = json!({"app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": "kwi"});
    let meta = |name: &str| json!({"name": name, "namespace": ns, "labels": labels});
    let mut objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(NAME)}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": NAME, "labels": labels},
               "rules": [{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get", "list", "watch"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": NAME, "labels": labels},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
               "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": ns}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta(NAME),
               "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["pod-identity-webhook"], "verbs": ["get", "list", "watch"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(NAME),
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": NAME},
               "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": ns}]}),
    ];
    objects.extend(tls_objects(options, &meta));
    objects.push(deployment(options, &labels));
    objects.push(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(NAME),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}}}}));
    objects.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": meta(NAME),
        "spec": {"selector": {"app.kubernetes.io/name": NAME},
                 "ports": [{"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}]}}));
    objects.push(webhook_configuration(options, &labels));
    objects
}

fn tls_objects(options: &ManifestOptions, meta: &dyn Fn(&str) -> Value) -> Vec<Value> {
    let ns = options.namespace.as_str();
    match &options.tls {
        ManifestTls::CertManager => vec![
            json!({"apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": meta("kwi-webhook-selfsigned"), "spec": {"selfSigned": {}}}),
            json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": meta(NAME),
                   "spec": {"secretName": TLS_SECRET, "commonName": format!("{NAME}.{ns}.svc"), "dnsNames": service_dns_names(ns),
                            "duration": "2160h", "renewBefore": "360h",
                            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                            "issuerRef": {"name": "kwi-webhook-selfsigned", "kind": "Issuer"}}}),
        ],
        ManifestTls::Provided {
            ca_pem,
            cert_pem,
            key_pem,
        } => vec![json!({
            "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "metadata": meta(TLS_SECRET),
            "stringData": {"tls.crt": cert_pem, "tls.key": key_pem, "ca.crt": ca_pem}
        })],
    }
}

fn deployment(options: &ManifestOptions, labels: &Value) -> Value {
    let mut pod_labels = labels.clone();
    pod_labels[&options.skip_label] = json!("true");
    let mut args: Vec<String> = ["webhook", "serve", "--listen", &format!("0.0.0.0:{PORT}")]
        .map(str::to_owned)
        .to_vec();
    args.extend([
        "--tls-cert".to_owned(),
        format!("{TLS_DIR}/tls.crt"),
        "--tls-key".to_owned(),
        format!("{TLS_DIR}/tls.key"),
    ]);
    args.extend(options.serve_args.iter().cloned());
    let probe = |path: &str| json!({"httpGet": {"path": path, "port": "https", "scheme": "HTTPS"}, "periodSeconds": 10, "timeoutSeconds": 2});
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": NAME, "namespace": options.namespace, "labels": labels},
        "spec": {
            "replicas": options.replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "serviceAccountName": NAME,
                    "priorityClassName": "system-cluster-critical",
                    "securityContext": {"runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532, "seccompProfile": {"type": "RuntimeDefault"}},
                    "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                        "weight": 100,
                        "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app.kubernetes.io/name": NAME}}}
                    }]}},
                    "containers": [{
                        "name": "webhook",
                        "image": options.image,
                        "command": ["/kwi"],
                        "args": args,
                        "ports": [{"name": "https", "containerPort": PORT, "protocol": "TCP"}],
                        "readinessProbe": probe("/readyz"),
                        "livenessProbe": probe("/healthz"),
                        "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "256Mi"}},
                        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}},
                        "volumeMounts": [{"name": "tls", "mountPath": TLS_DIR, "readOnly": true}]
                    }],
                    "volumes": [{"name": "tls", "secret": {"secretName": TLS_SECRET}}]
                }
            }
        }
    })
}

fn webhook_configuration(options: &ManifestOptions, labels: &Value) -> Value {
    let ns = options.namespace.as_str();
    let mut client_config =
        json!({"service": {"name": NAME, "namespace": ns, "path": "/mutate", "port": 443}});
    let mut metadata = json!({"name": NAME, "labels": labels});
    match &options.tls {
        ManifestTls::CertManager => {
            metadata["annotations"] =
                json!({"cert-manager.io/inject-ca-from": format!("{ns}/{NAME}")})
        }
        ManifestTls::Provided { ca_pem, .. } => {
            client_config["caBundle"] = json!(base64_simd::STANDARD.encode_to_string(ca_pem))
        }
    }
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
        "metadata": metadata,
        "webhooks": [{
            "name": "pod-identity.webhook.kwi.dev",
            "clientConfig": client_config,
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"], "scope": "Namespaced"}],
            "objectSelector": {"matchExpressions": [{"key": options.skip_label, "operator": "DoesNotExist"}]},
            // Ignore: a webhook outage must not stop every pod of the cluster (kube-system's, the
            // webhook's own) from being created; a pod admitted meanwhile runs without its cloud
            // identity until it is recreated. The README explains when to choose Fail.
            "failurePolicy": "Ignore",
            "matchPolicy": "Equivalent",
            "sideEffects": "None",
            "timeoutSeconds": 10,
            "admissionReviewVersions": ["v1", "v1beta1"],
            "reinvocationPolicy": "IfNeeded"
        }]
    })
}
