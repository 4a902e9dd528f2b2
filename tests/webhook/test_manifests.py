"""`kwi webhook manifests`: every Kubernetes object validated offline against the API server's own
OpenAPI schemas (kubernetes-validate, strict: unknown fields are errors), the webhook configuration's
choices, and the self-signed CA and certificate checked with `cryptography`."""

import base64
import datetime

import kubernetes_validate
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

KUBERNETES = "1.33"


def by_kind(docs: list) -> dict:
    return {doc["kind"]: doc for doc in docs}


@pytest.mark.parametrize("tls", ["--self-signed", "--cert-manager"])
def test_every_object_validates_against_the_kubernetes_schemas(manifests, tls):
    docs = manifests(tls)
    checked = 0
    for doc in docs:
        if doc["apiVersion"].startswith("cert-manager.io/"):
            continue  # a CRD: not in Kubernetes' schemas (checked below)
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
        checked += 1
    kinds = sorted(doc["kind"] for doc in docs)
    expected = ["ClusterRole", "ClusterRoleBinding", "Deployment", "MutatingWebhookConfiguration", "Namespace",
                "PodDisruptionBudget", "Role", "RoleBinding", "Service", "ServiceAccount"]
    extra = ["Secret"] if tls == "--self-signed" else ["Certificate", "Issuer"]
    assert kinds == sorted(expected + extra)
    assert checked == len(expected) + (1 if tls == "--self-signed" else 0)


def test_the_validator_catches_a_wrong_manifest(manifests):
    """The check above can fail: a field the schema does not know is refused."""
    deployment = by_kind(manifests("--cert-manager"))["Deployment"]
    deployment["spec"]["replicaz"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_the_webhook_configuration(manifests):
    docs = by_kind(manifests("--cert-manager", "--namespace", "identity"))
    (hook,) = docs["MutatingWebhookConfiguration"]["webhooks"]
    assert hook["admissionReviewVersions"][0] == "v1"
    assert hook["sideEffects"] == "None"
    assert hook["reinvocationPolicy"] == "IfNeeded"
    assert hook["failurePolicy"] == "Ignore"
    assert 1 <= hook["timeoutSeconds"] <= 15
    assert hook["rules"] == [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"], "scope": "Namespaced"}]
    assert hook["objectSelector"] == {"matchExpressions": [{"key": "eks.amazonaws.com/skip-pod-identity-webhook", "operator": "DoesNotExist"}]}
    assert hook["clientConfig"]["service"] == {"name": "kwi-webhook", "namespace": "identity", "path": "/mutate", "port": 443}
    annotations = docs["MutatingWebhookConfiguration"]["metadata"]["annotations"]
    assert annotations == {"cert-manager.io/inject-ca-from": "identity/kwi-webhook"}
    cert = docs["Certificate"]["spec"]
    assert cert["secretName"] == "kwi-webhook-tls"
    assert "kwi-webhook.identity.svc" in cert["dnsNames"]
    assert cert["issuerRef"] == {"name": "kwi-webhook-selfsigned", "kind": "Issuer"}


def test_the_deployment_runs_serve_with_the_flags_given(manifests):
    docs = by_kind(manifests("--cert-manager", "--profile", "aws,vault", "--vault-addr", "https://vault.example.com",
                             "--aws-default-region", "eu-west-1", "--image", "registry.example.com/kwi:1.0",
                             "--watch-config-map", "--namespace", "identity"))
    deployment = docs["Deployment"]
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]
    # The webhook's own pods carry the skip label: the webhook never waits on itself.
    assert pod["metadata"]["labels"]["eks.amazonaws.com/skip-pod-identity-webhook"] == "true"
    (container,) = pod["spec"]["containers"]
    assert container["image"] == "registry.example.com/kwi:1.0"
    assert container["args"][:2] == ["webhook", "serve"]
    assert "--profile=aws,vault" in container["args"]
    assert "--vault-addr=https://vault.example.com" in container["args"]
    assert "--aws-default-region=eu-west-1" in container["args"]
    assert container["args"][-2:] == ["--watch-config-map", "--namespace=identity"]
    # The Role lets it read that ConfigMap, in that namespace.
    assert docs["Role"]["metadata"]["namespace"] == "identity"
    assert docs["Role"]["rules"][0]["resourceNames"] == ["pod-identity-webhook"]
    assert not any(a.startswith("--token-audience") for a in container["args"])  # defaults left out
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert pod["spec"]["affinity"]["podAntiAffinity"]
    assert docs["PodDisruptionBudget"]["spec"]["minAvailable"] == 1
    assert docs["Service"]["spec"]["ports"][0]["port"] == 443


def test_self_signed_tls_chains_to_the_ca_bundle(manifests):
    docs = by_kind(manifests("--self-signed", "--namespace", "identity"))
    (hook,) = docs["MutatingWebhookConfiguration"]["webhooks"]
    ca_pem = base64.b64decode(hook["clientConfig"]["caBundle"])
    secret = docs["Secret"]
    assert secret["type"] == "kubernetes.io/tls"
    ca = x509.load_pem_x509_certificate(ca_pem)
    assert secret["stringData"]["ca.crt"].encode() == ca_pem
    cert = x509.load_pem_x509_certificate(secret["stringData"]["tls.crt"].encode())
    key = serialization.load_pem_private_key(secret["stringData"]["tls.key"].encode(), password=None)

    cert.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert names == ["kwi-webhook", "kwi-webhook.identity", "kwi-webhook.identity.svc", "kwi-webhook.identity.svc.cluster.local"]
    assert ExtendedKeyUsageOID.SERVER_AUTH in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert cert.not_valid_before_utc < now < cert.not_valid_after_utc
    assert cert.not_valid_after_utc < ca.not_valid_after_utc
    # Each run makes a new CA.
    again = by_kind(manifests("--self-signed", "--namespace", "identity"))
    assert again["Secret"]["stringData"]["ca.crt"] != secret["stringData"]["ca.crt"]
