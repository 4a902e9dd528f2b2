"""The EKS self-hosted guide (seed 1) end to end, offline: the cluster's keys (kwi keys generate), its
issuer site (kwi issuer build) served over HTTPS with a local CA by kwi issuer serve, the API server flags (kwi
apiserver-flags), the pod's volume and environment as the pod identity webhook injects them (kwi
webhook mutate on the pod and its annotated ServiceAccount), a token as kube-apiserver projects it
into that volume (kwi token mint with the audience and lifetime the webhook asked for), boto3 in that environment
calling kwi sts serve, credentials. kwi doctor finds nothing for Vault and, for AWS, only what a
loopback issuer must be told. Then one link broken at a time: STS refuses it and doctor names it."""

from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest

from irsa import AUD, KWI, NAMESPACE, ROLE, SERVICE_ACCOUNT, IssuerServer, StsServer, boto3_credentials, kwi, pod_env, sts_config

LOOPBACK = {"issuer.not-public", "tls.private-ca"}


def mint(key, issuer, *extra, aud=AUD):
    ttl = [] if "--ttl" in extra else ["--ttl", "1h"]
    return kwi("token", "mint", "--key", key, "--issuer", issuer, "--namespace", NAMESPACE,
               "--service-account", SERVICE_ACCOUNT, "--aud", aud, "--pod-name", "app-0",
               "--pod-uid", "0b3c1f2a-0000-4000-8000-000000000001", *ttl, *extra).stdout.strip()


POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app-0", "namespace": NAMESPACE},
       "spec": {"serviceAccountName": SERVICE_ACCOUNT, "containers": [{"name": "app", "image": "python:3"}]}}
SERVICE_ACCOUNT_OBJECT = {"apiVersion": "v1", "kind": "ServiceAccount",
                          "metadata": {"name": SERVICE_ACCOUNT, "namespace": NAMESPACE,
                                       "annotations": {"eks.amazonaws.com/role-arn": ROLE}}}


def webhook_injection(tmp_path):
    """What the pod identity webhook adds to the pod: (the projected token's audience and
    lifetime, the token's path in the container, the container's environment)."""
    (tmp_path / "pod.json").write_text(json.dumps(POD))
    (tmp_path / "sa.json").write_text(json.dumps(SERVICE_ACCOUNT_OBJECT))
    patch = json.loads(kwi("webhook", "mutate", tmp_path / "pod.json", "--service-account", tmp_path / "sa.json",
                           "--patch", "--aws-default-region", "us-east-1").stdout)
    ops = {op["path"]: op["value"] for op in patch}
    source = ops["/spec/volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]
    env = {e["name"]: e["value"] for e in ops["/spec/containers/0/env"]}
    return source["audience"], source["expirationSeconds"], env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def doctor_ids(issuer, ca_file, token_file, party):
    proc = kwi("doctor", "--json", "--issuer", issuer, "--ca-file", ca_file, "--token", token_file,
               "--for", party, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return {f["id"] for f in json.loads(proc.stdout)["failures"]}


def test_the_whole_chain_then_one_broken_link_at_a_time(pki, tmp_path):
    # 1. keys, 2. site, 3. served over HTTPS, 4. apiserver flags
    kwi("keys", "generate", "--out", tmp_path / "sa.key", "--public-out", tmp_path / "sa.pub")
    port = free_port()
    issuer = f"https://127.0.0.1:{port}"
    kwi("issuer", "build", "--issuer", issuer, "--key", tmp_path / "sa.pub", "--out", tmp_path / "site")
    server = subprocess.Popen(
        [str(KWI), "issuer", "serve", "--site", str(tmp_path / "site"), "--listen", f"127.0.0.1:{port}",
         "--tls-cert", str(pki.cert_file), "--tls-key", str(pki.key_file)],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "issuer.log").open("w"),
    )  # fmt: skip
    sts = None
    try:
        # a log file, not a pipe nobody reads (it could fill and stop the server)
        deadline = time.time() + 20
        while "listening on https://" not in (tmp_path / "issuer.log").read_text():
            assert server.poll() is None and time.time() < deadline, (tmp_path / "issuer.log").read_text()
            time.sleep(0.05)
        flags = kwi("apiserver-flags", "--issuer", issuer, "--signing-key", tmp_path / "sa.key",
                    "--key", tmp_path / "sa.pub").stdout
        assert f"--service-account-issuer={issuer}" in flags
        # 5. STS with the role the guide creates
        (tmp_path / "sts.toml").write_text(sts_config(issuer, pki.ca_file))
        sts = StsServer(tmp_path / "sts.toml")
        # 6. the webhook's injection, the token kube-apiserver projects, 7. boto3 gets credentials
        audience, lifetime, injected = webhook_injection(tmp_path)
        assert (audience, injected["AWS_ROLE_ARN"]) == (AUD, ROLE)
        token = tmp_path / "token"
        token.write_text(mint(tmp_path / "sa.key", issuer, "--ttl", f"{lifetime}s", aud=audience))
        env = pod_env(sts.url, token, role=injected["AWS_ROLE_ARN"])
        env.update({k: v for k, v in injected.items() if k != "AWS_WEB_IDENTITY_TOKEN_FILE"})
        # the container's token path, on this machine
        assert injected["AWS_WEB_IDENTITY_TOKEN_FILE"] == "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
        got = boto3_credentials(env)
        assert got["ok"] and got["access_key"].startswith("ASIA"), got
        # 8. doctor: clean for Vault; for AWS only what a loopback issuer must be told
        assert doctor_ids(issuer, pki.ca_file, token, "vault") == set()
        assert doctor_ids(issuer, pki.ca_file, token, "aws") == LOOPBACK

        # 9. one broken link at a time
        other = tmp_path / "other.key"
        kwi("keys", "generate", "--out", other, "--public-out", tmp_path / "other.pub")
        breaks = [
            ("wrong audience", mint(tmp_path / "sa.key", issuer, aud="sts.amazon.com"), "InvalidIdentityToken", "token.audience"),
            ("issuer with a trailing slash", mint(tmp_path / "sa.key", issuer + "/"), "InvalidIdentityToken", "token.issuer"),
            ("key not published", mint(other, issuer), "InvalidIdentityToken", "token.kid-not-published"),
            ("expired token", mint(tmp_path / "sa.key", issuer, "--issued-at", str(int(time.time()) - 7200)), "ExpiredTokenException", "token.expired"),
        ]
        for name, broken, code, check in breaks:
            token.write_text(broken)
            got = boto3_credentials(pod_env(sts.url, token))
            assert (got["ok"], got.get("code")) == (False, code), (name, got)
            assert doctor_ids(issuer, pki.ca_file, token, "aws") - LOOPBACK == {check}, name
    finally:
        if sts:
            sts.close()
        server.terminate()
        server.wait(timeout=15)


@pytest.mark.parametrize("party", ["vault", "aws"])
def test_doctor_names_an_unpublished_key_rotation(pki, tmp_path, party):
    """A rotation done the wrong way round: the new key signs before it is published."""
    kwi("keys", "generate", "--out", tmp_path / "old.key", "--public-out", tmp_path / "old.pub")
    kwi("keys", "generate", "--out", tmp_path / "new.key", "--public-out", tmp_path / "new.pub")
    server = IssuerServer(pki)
    try:
        kwi("issuer", "build", "--issuer", server.url, "--key", tmp_path / "old.pub", "--out", tmp_path / "site")
        server.serve_site(tmp_path / "site")
        token = tmp_path / "token"
        token.write_text(mint(tmp_path / "new.key", server.url))
        assert doctor_ids(server.url, pki.ca_file, token, party) - LOOPBACK == {"token.kid-not-published"}
        kwi("issuer", "build", "--issuer", server.url, "--key", tmp_path / "old.pub", "--key", tmp_path / "new.pub",
            "--out", tmp_path / "site2")
        server.serve_site(tmp_path / "site2")
        assert doctor_ids(server.url, pki.ca_file, token, party) - LOOPBACK == set()
    finally:
        server.close()
