"""Helpers of the `kwi rotate` suite: the servers of two other suites, loaded under names of
their own (every suite's conftest is called conftest, so none is imported by that name)."""

import importlib.util
from pathlib import Path

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
