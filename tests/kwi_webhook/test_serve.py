"""`kwi webhook serve` end to end: the real binary, its real `kube` client watching a loopback
API server (fake_apiserver.py), real AdmissionReview requests over HTTPS, and a certificate
rotated on disk while requests flow."""

import base64
import json
import os
import socket
import ssl

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from fake_apiserver import Cluster
from webhook_server import ROLE, Webhook, wait_for, write_cert


@pytest.fixture
def webhook(tmp_path):
    w = Webhook(tmp_path)
    yield w
    w.stop()


def pod(service_account="s3-reader"):
    return {"metadata": {"name": "app"}, "spec": {"serviceAccountName": service_account,
                                                  "containers": [{"name": "app", "image": "amazon/aws-cli"}]}}


def patch_of(answer):
    return json.loads(base64.b64decode(answer["response"]["patch"])) if "patch" in answer["response"] else []


def env_names(answer):
    for op in patch_of(answer):
        if op["path"] == "/spec/containers/0/env":
            return [e["name"] for e in op["value"]]
    return []


def test_a_pod_of_a_watched_service_account_is_mutated(webhook):
    assert webhook.get("/healthz").text == "ok"
    for version in ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"]:
        answer = webhook.review(pod(), api_version=version)
        assert answer["apiVersion"] == version and answer["kind"] == "AdmissionReview"
        assert answer["response"]["uid"] == "uid-1" and answer["response"]["allowed"] is True
        assert env_names(answer) == ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]
    # A ServiceAccount without a role: admitted, unmutated.
    webhook.cluster.put_service_account("apps", "plain", {})
    wait_for("the plain ServiceAccount reaches the cache", lambda: "kwi_webhook_service_accounts 2" in webhook.get("/metrics").text)
    assert "patch" not in webhook.review(pod("plain"))["response"]
    assert webhook.cluster.gets == []  # everything came from the watch


def test_watch_events_change_what_pods_get(webhook):
    webhook.cluster.put_service_account("apps", "late", {"eks.amazonaws.com/role-arn": ROLE + "-late"})
    wait_for("an added ServiceAccount is used", lambda: env_names(webhook.review(pod("late"))) != [])
    webhook.cluster.put_service_account("apps", "s3-reader", {})
    wait_for("a removed annotation is seen", lambda: env_names(webhook.review(pod())) == [])
    webhook.cluster.delete_service_account("apps", "late")
    wait_for("a deleted ServiceAccount is forgotten", lambda: env_names(webhook.review(pod("late"))) == [])
    assert ("apps", "late") in webhook.cluster.gets  # asked the API server, which no longer has it


def test_a_service_account_the_watch_has_not_delivered_is_fetched_directly(webhook):
    webhook.cluster.put_service_account("apps", "just-created", {"eks.amazonaws.com/role-arn": ROLE}, listed=False)
    answer = webhook.review(pod("just-created"))
    assert env_names(answer) == ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]
    assert ("apps", "just-created") in webhook.cluster.gets
    # Unknown everywhere: admitted unmutated, counted as missing.
    assert "patch" not in webhook.review(pod("nobody"))["response"]
    metrics = webhook.get("/metrics").text
    assert "pod_identity_webhook_missing_sa_count 1" in metrics
    assert 'kwi_webhook_direct_get_count{result="found"} 1' in metrics
    assert 'pod_identity_webhook_pod_count{method="sts_web_identity"} 1' in metrics
    # Prometheus' own parser reads every family with its type.
    from prometheus_client.parser import text_string_to_metric_families

    types = {f.name: f.type for f in text_string_to_metric_families(metrics)}
    assert types["pod_identity_webhook_pod_count"] == "counter", types
    assert types["kwi_webhook_service_accounts"] == "gauge", types
    assert len(types) == 6, types


def test_bad_requests_are_answered_clearly(webhook):
    r = requests.post(webhook.url + "/mutate", data=b"{not json", headers={"Content-Type": "application/json"},
                      verify=str(webhook.ca), timeout=10)
    assert r.status_code == 200
    assert r.json()["response"]["allowed"] is True
    assert "not JSON" in r.json()["response"]["status"]["message"]
    r = requests.post(webhook.url + "/mutate", data=b"{}", headers={"Content-Type": "text/plain"}, verify=str(webhook.ca), timeout=10)
    assert r.status_code == 415
    # An announced body over 3 MiB is refused before it is read.
    context = ssl.create_default_context(cafile=str(webhook.ca))
    with socket.create_connection(("127.0.0.1", webhook.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n{" % (3 * 1024 * 1024 + 1))
            assert tls.recv(4096).startswith(b"HTTP/1.1 413")
    assert webhook.get("/nothing").status_code == 404
    assert "kwi_webhook_malformed_review_count 1" in webhook.get("/metrics").text


def served_fingerprint(port):
    der = ssl.get_server_certificate(("127.0.0.1", port))
    return x509.load_pem_x509_certificate(der.encode()).fingerprint(hashes.SHA256())


def test_the_certificate_is_reloaded_while_requests_flow(webhook):
    assert served_fingerprint(webhook.port) == webhook.fingerprint
    new_ca, new_fingerprint = write_cert(webhook.tmp, "second")
    answered = 0

    def rotated():
        nonlocal answered
        # Requests keep being answered, with one certificate or the other, while the files change.
        for ca in (webhook.ca, new_ca):
            try:
                assert env_names(webhook.review(pod(), ca=ca)) == ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]
                answered += 1
            except requests.exceptions.SSLError:
                pass
        return served_fingerprint(webhook.port) == new_fingerprint

    wait_for("the new certificate is served", rotated)
    assert answered > 0
    assert env_names(webhook.review(pod(), ca=new_ca)) == ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]


def test_config_map_mode(tmp_path):
    w = Webhook(tmp_path, extra=["--watch-config-map", "--namespace", "kwi"])
    try:
        assert env_names(w.review(pod("from-cm"))) == []
        w.cluster.put_service_account("apps", "from-cm", {})
        w.cluster.put_config_map("kwi", "pod-identity-webhook", {"config": json.dumps({"*/from-cm": {"RoleARN": ROLE + "-cm"}})})
        wait_for("the ConfigMap entry is used", lambda: env_names(w.review(pod("from-cm"))) == ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"])
    finally:
        w.stop()


def test_the_identities_file_is_reloaded(tmp_path):
    identities = tmp_path / "identities.json"
    identities.write_text(json.dumps({"identities": []}))
    w = Webhook(tmp_path, extra=["--container-credentials-config", str(identities)])
    try:
        assert env_names(w.review(pod())) == ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]
        # As a ConfigMap volume changes: a new file renamed over the old one.
        tmp = tmp_path / "identities.json.tmp"
        tmp.write_text(json.dumps({"identities": [{"namespace": "apps", "serviceAccount": "s3-reader"}]}))
        os.replace(tmp, identities)
        wait_for("EKS Pod Identity takes over", lambda: env_names(w.review(pod())) ==
                 ["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"])
    finally:
        w.stop()


def test_ready_only_once_the_cache_has_synced(tmp_path):
    cluster = Cluster()
    cluster.listing.clear()
    w = Webhook(tmp_path, cluster=cluster, wait_ready=False)
    try:
        r = w.get("/readyz")
        assert r.status_code == 503 and "not synced" in r.text
        assert w.get("/healthz").status_code == 200
        cluster.listing.set()
        wait_for("ready after the first list", lambda: w.get("/readyz").status_code == 200)
        assert env_names(w.review(pod())) == ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]
    finally:
        cluster.listing.set()
        w.stop()
