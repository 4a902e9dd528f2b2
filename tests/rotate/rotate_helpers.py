"""Helpers of the `kwi rotate` suite: the servers of two other suites, loaded under names of
their own (every suite's conftest is called conftest, so none is imported by that name)."""

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# kwi serve and bao server -dev, and a Vault API client (tests/serve).
vault_servers = load("rotate_vault_servers", TESTS / "serve" / "conftest.py")
# kwi issuer serve and a test CA made with openssl (tests/issuer_serve).
issuer_servers = load("rotate_issuer_servers", TESTS / "issuer_serve" / "issuer_serve_helpers.py")


KWI = vault_servers.KWI
SUBJECT = "system:serviceaccount:default:app"


def kwi(*args, cwd):
    run = subprocess.run([str(KWI), *map(str, args)], cwd=cwd, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run


def ring(cwd) -> dict:
    return json.loads(kwi("rotate", "status", "--keyring", "kr", "--json", cwd=cwd).stdout)["keyring"]


def kids(cwd) -> list:
    """The kids the site must serve: the signing key first, then the next and previous ones."""
    order = {"active": 0, "next": 1, "previous": 2}
    return [k["kid"] for k in sorted(ring(cwd)["keys"], key=lambda k: order[k["role"]])]


def mount(server, name: str, config: dict | None):
    """A JWT auth mount with this configuration (None: not configured) and a role `app` for the
    test's tokens."""
    status, body, _ = server.request("POST", f"sys/auth/{name}", {"type": "jwt"})
    assert status in (200, 204), body
    if config is not None:
        status, body, _ = server.request("POST", f"auth/{name}/config", config)
        assert status in (200, 204), body
    role = {"role_type": "jwt", "bound_audiences": ["vault"], "user_claim": "sub", "bound_subject": SUBJECT, "token_policies": ["default"], "ttl": "1h"}  # fmt: skip
    status, body, _ = server.request("POST", f"auth/{name}/role/app", role)
    assert status in (200, 204), body


def login(server, name: str, token: str):
    status, body, _ = server.request("POST", f"auth/{name}/login", {"role": "app", "jwt": token}, token=None)
    return status, body


def mint(cwd, issuer: str) -> str:
    run = kwi("token", "mint", "--key", "kr/signing.key", "--issuer", issuer, "--namespace", "default",
              "--service-account", "app", "--aud", "vault", "--ttl", "1h", cwd=cwd)  # fmt: skip
    return run.stdout.strip()




@pytest.fixture()
def relying_parties(tmp_path):
    """OpenBao (bao server -dev) and kwi serve --dev, each with the root token `root`."""
    bao = vault_servers.start_bao(tmp_path)
    kwi_serve = vault_servers.start_kwi(tmp_path)
    yield [bao, kwi_serve]
    for server in (bao, kwi_serve):
        server.process.terminate()
        server.process.wait(timeout=10)
