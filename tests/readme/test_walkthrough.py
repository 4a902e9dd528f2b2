"""Runs the README's walkthroughs exactly as written, then checks what they produced.

A walkthrough is every ```bash block preceded by `<!-- walkthrough: NAME -->`, run in order in
one shell, in an empty folder, with the kwi under test first on PATH.
"""

import json
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KWI = Path(os.environ.get("KWI_BIN", REPO / "target" / "debug" / "kwi"))


def walkthrough(name: str) -> str:
    readme = (REPO / "README.md").read_text()
    pattern = re.compile(r"<!-- walkthrough: " + re.escape(name) + r" -->\n```bash\n(.*?)```", re.S)
    blocks = pattern.findall(readme)
    assert blocks, f"README has no walkthrough {name!r}"
    return "\n".join(blocks)


def run(name: str, cwd: Path, **extra_env: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{KWI.parent}{os.pathsep}{os.environ['PATH']}", **extra_env)
    script = "set -euo pipefail\n" + walkthrough(name)
    proc = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"walkthrough {name} failed:\n{proc.stderr}"
    return proc


def kid(path: Path) -> str:
    return subprocess.run([KWI, "keys", "kid", path], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture()
def moto_url():
    """moto's S3 server on a free loopback port: where the walkthrough's `kwi issuer publish` goes."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "moto_server did not start"
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def test_eks_walkthrough(tmp_path: Path, moto_url: str):
    # The publish step goes to moto (AWS_ENDPOINT_URL, as the AWS CLI reads it) and reads back
    # from moto instead of the real bucket's URL.
    proc = run(
        "eks", tmp_path,
        AWS_ENDPOINT_URL=moto_url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
        KWI_PUBLISH_VERIFY=f"{moto_url}/oidc-test-bucket",
    )
    issuer = "https://oidc-test-bucket.s3.us-west-2.amazonaws.com"
    assert f"read back {moto_url}/oidc-test-bucket/.well-known/openid-configuration" in proc.stdout
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-west-2", aws_access_key_id="testing", aws_secret_access_key="testing")
    for key in ["keys.json", ".well-known/openid-configuration"]:
        assert s3.get_object(Bucket="oidc-test-bucket", Key=key)["Body"].read() == (tmp_path / "site" / key).read_bytes()
    [statement] = json.loads(s3.get_bucket_policy(Bucket="oidc-test-bucket")["Policy"])["Statement"]
    assert sorted(statement["Resource"]) == [
        "arn:aws:s3:::oidc-test-bucket/.well-known/openid-configuration",
        "arn:aws:s3:::oidc-test-bucket/keys.json",
    ]
    discovery = json.loads((tmp_path / "site/.well-known/openid-configuration").read_text())
    assert discovery["issuer"] == issuer
    assert discovery["jwks_uri"] == issuer + "/keys.json"
    assert discovery["authorization_endpoint"] == "urn:kubernetes:programmatic_authorization"
    assert discovery["claims_supported"] == ["sub", "iss"]
    keys = json.loads((tmp_path / "site/keys.json").read_text())["keys"]
    assert [k["kid"] for k in keys] == [kid(tmp_path / "sa.pub"), ""]
    assert (tmp_path / "sa.key").stat().st_mode & 0o777 == 0o600

    flags = (tmp_path / "apiserver-flags.txt").read_text().splitlines()
    assert flags == [
        f"--service-account-issuer={issuer}",
        "--service-account-signing-key-file=sa.key",
        "--service-account-key-file=sa.pub",
    ]

    # The ssh-keygen keys of the guide: the .pub gives the key of the PEM private key.
    legacy = json.loads((tmp_path / "keys.json").read_text())["keys"]
    assert [k["kid"] for k in legacy] == [kid(tmp_path / "old.key"), ""]
    assert list(legacy[0]) == ["use", "kty", "kid", "alg", "n", "e"]
    assert (tmp_path / "old.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----\n")


def test_vault_walkthrough(tmp_path: Path):
    proc = run("vault", tmp_path)
    assert "valid: system:serviceaccount:default:default" in proc.stdout
    pem = (tmp_path / "cluster-keys.pem").read_text()
    assert pem.count("-----BEGIN PUBLIC KEY-----") == 1
    assert kid(tmp_path / "cluster-keys.pem") == kid(tmp_path / "cluster.key")
    # openssl reads what Vault will be given.
    subprocess.run(["openssl", "pkey", "-pubin", "-in", tmp_path / "cluster-keys.pem", "-noout"], check=True)


def test_irsa_walkthrough(tmp_path: Path, monkeypatch):
    # The AWS CLI caches assumed-role credentials under ~/.aws: a home of the walkthrough's own.
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    run("irsa", tmp_path)
    whoami = json.loads((tmp_path / "whoami.json").read_text())
    assert whoami["Arn"].startswith("arn:aws:sts::111122223333:assumed-role/app/")
    # The environment the walkthrough exports is the one the webhook injects.
    injected = {e["name"]: e["value"] for op in json.loads((tmp_path / "patch.json").read_text())
                if op["path"].endswith("/env") for e in op["value"]}
    assert injected["AWS_ROLE_ARN"] == "arn:aws:iam::111122223333:role/app"
    assert injected["AWS_REGION"] == injected["AWS_DEFAULT_REGION"] == "us-east-1"
    doctor = json.loads((tmp_path / "doctor-aws.json").read_text())
    assert {f["id"] for f in doctor["failures"]} == {"issuer.not-public", "tls.private-ca"}
    assert "(InvalidIdentityToken)" in (tmp_path / "sts-error.txt").read_text()
    assert "Incorrect token audience" in (tmp_path / "sts-error.txt").read_text()
    assert "✗ token.audience" in (tmp_path / "doctor.txt").read_text()


@pytest.mark.parametrize("name", ["eks", "vault", "irsa", "rotation"])
def test_walkthroughs_use_only_documented_commands(name: str):
    # Every kwi subcommand a walkthrough runs has a section in the README.
    readme = (REPO / "README.md").read_text()
    for command in re.findall(r"^\s*kwi ((?:keys )?[a-z-]+)", walkthrough(name), re.M):
        assert f"### kwi {command}" in readme, command


def test_webhook_walkthrough(tmp_path: Path):
    run("webhook", tmp_path)
    patch = json.loads((tmp_path / "patch.json").read_text())
    assert [op["op"] for op in patch] == ["add"] * len(patch)
    assert patch[0]["path"] == "/spec/volumes"
    token = patch[0]["value"][0]["projected"]["sources"][0]["serviceAccountToken"]
    assert token == {"audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}
    env = {op["path"]: op["value"] for op in patch}["/spec/containers/0/env"]
    assert env == [
        {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
        {"name": "AWS_DEFAULT_REGION", "value": "us-west-2"},
        {"name": "AWS_REGION", "value": "us-west-2"},
        {"name": "AWS_ROLE_ARN", "value": "arn:aws:iam::111122223333:role/s3-reader"},
        {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
    ]
    mounts = {op["path"]: op["value"] for op in patch}["/spec/containers/0/volumeMounts"]
    assert mounts == [{"name": "aws-iam-token", "readOnly": True, "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount"}]


def test_rotation_walkthrough(tmp_path: Path):
    run("rotation", tmp_path)
    served = json.loads((tmp_path / "www" / "openid" / "v1" / "jwks").read_text())
    signing = kid(tmp_path / "keyring" / "signing.key")
    # The rotation ends with the new key alone, signing and published; the old one is gone.
    assert [k["kid"] for k in served["keys"]] == [signing]
    assert signing != kid(tmp_path / "sa.key")
    assert [p.name for p in (tmp_path / "keyring" / "keys").iterdir()] == [f"{signing}.key"]
    assert kid(tmp_path / "keyring" / "verify.pub") == signing
    flags = (tmp_path / "apiserver-flags.txt").read_text()
    assert "--service-account-signing-key-file=keyring/signing.key" in flags
    assert "--service-account-key-file=keyring/verify.pub" in flags
    status = (tmp_path / "status.txt").read_text()
    assert f"{signing}" in status and "active" in status and "next step: stage a new key" in status
