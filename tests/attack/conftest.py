"""Servers for the attack sweep. Each fixture starts one kwi server on loopback and describes it
as a harness.Target; test_<server>.py runs every attack against it."""

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from harness import Target, fresh_instances, listening_address  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
KWI = Path(os.environ.get("KWI_BIN", REPO / "target" / "debug" / "kwi"))
ROOT = "attack-root-token"


def start_kwi_serve(tmp: Path) -> Target:
    """`kwi serve --dev` on a free loopback port, with one mount so login bodies are parsed."""
    tmp.mkdir(parents=True, exist_ok=True)
    log = tmp / "kwi.log"
    process = subprocess.Popen(
        [KWI, "serve", "--dev", "--dev-root-token-id", ROOT, "--listen", "127.0.0.1:0", "--data-dir", tmp / "data"],
        stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )  # fmt: skip
    host, port = listening_address(process, log)
    request = urllib.request.Request(f"http://{host}:{port}/v1/sys/auth/jwt", data=b'{"type":"jwt"}', method="POST", headers={"X-Vault-Token": ROOT})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 204

    return Target(
        name="kwi serve",
        host=host,
        port=int(port),
        process=process,
        log=log,
        health="/v1/sys/health",
        body_paths=["/v1/auth/jwt/login", "/v1/sys/auth/other"],
        memory_bound_mib=96,
        admin=("X-Vault-Token", ROOT),
        admin_probe=("POST", "/v1/sys/auth/probe", b'{"type":"jwt"}'),
        fresh=fresh_instances(start_kwi_serve, tmp),
    )


def stop(target: Target) -> None:
    target.process.terminate()
    try:
        target.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        target.process.kill()


@pytest.fixture(scope="module")
def kwi_serve_target(tmp_path_factory):
    target = start_kwi_serve(tmp_path_factory.mktemp("attack-kwi-serve"))
    yield target
    stop(target)


def start_kwi_issuer_serve(tmp: Path) -> Target:
    """`kwi issuer serve` on a free loopback port, serving a site built for an issuer with a path."""
    tmp.mkdir(parents=True, exist_ok=True)
    subprocess.run([KWI, "keys", "generate", "--alg", "ES256", "--out", tmp / "sa.key", "--public-out", tmp / "sa.pub"], check=True, capture_output=True)
    subprocess.run([KWI, "issuer", "build", "--issuer", "https://oidc.example.com/c1", "--key", tmp / "sa.pub", "--out", tmp / "site"], check=True, capture_output=True)
    log = tmp / "kwi.log"
    process = subprocess.Popen([KWI, "issuer", "serve", "--site", tmp / "site", "--listen", "127.0.0.1:0"], stdout=subprocess.DEVNULL, stderr=log.open("w"))
    host, port = listening_address(process, log)

    return Target(
        name="kwi issuer serve",
        host=host,
        port=int(port),
        process=process,
        log=log,
        health="/c1/.well-known/openid-configuration",
        # No path takes a body: these get 413 unread.
        body_paths=["/c1/.well-known/openid-configuration", "/c1/openid/v1/jwks"],
        memory_bound_mib=64,
        fresh=fresh_instances(start_kwi_issuer_serve, tmp),
    )


@pytest.fixture(scope="module")
def kwi_issuer_serve_target(tmp_path_factory):
    target = start_kwi_issuer_serve(tmp_path_factory.mktemp("attack-kwi-issuer-serve"))
    yield target
    stop(target)
