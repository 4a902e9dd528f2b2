"""Servers for the attack sweep. Each fixture starts one kwi server on loopback and describes it
as a harness.Target; test_<server>.py runs every attack against it."""

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from harness import Target, start_logged  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
KWI = Path(os.environ.get("KWI_BIN", REPO / "target" / "debug" / "kwi"))
ROOT = "attack-root-token"


def start_kwi_serve(tmp: Path) -> Target:
    """`kwi serve --dev` on a free loopback port, with one mount so login bodies are parsed."""
    tmp.mkdir(parents=True, exist_ok=True)
    log = tmp / "kwi.log"
    process, host, port = start_logged(
        [KWI, "serve", "--dev", "--dev-root-token-id", ROOT, "--listen", "127.0.0.1:0", "--data-dir", tmp / "data"], log
    )  # fmt: skip
    addr = f"{host}:{port}"
    request = urllib.request.Request(f"http://{addr}/v1/sys/auth/jwt", data=b'{"type":"jwt"}', method="POST", headers={"X-Vault-Token": ROOT})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 204
    counter = [0]

    def fresh() -> Target:
        counter[0] += 1
        return start_kwi_serve(tmp.parent / f"{tmp.name}-fresh{counter[0]}")

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
        fresh=fresh,
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
