"""Fixtures of the IRSA suite: a cluster's keys and issuer site served over loopback HTTPS with a
local CA, and `kwi sts serve` trusting that CA (see irsa.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from irsa import KWI, PKI, IssuerServer, StsServer, kwi, sts_config  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _require_kwi():
    assert KWI.is_file(), f"kwi binary not found at {KWI}: run `cargo build -p kwi` or set KWI_BIN"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def cluster_keys(tmp_path_factory):
    """The cluster's service-account signing key (kwi keys generate: RSA-2048) and its public half."""
    d = tmp_path_factory.mktemp("keys")
    kwi("keys", "generate", "--out", d / "sa.key", "--public-out", d / "sa.pub")
    return d / "sa.key", d / "sa.pub"


@pytest.fixture(scope="module")
def issuer(pki, cluster_keys, tmp_path_factory):
    """The cluster's issuer site (kwi issuer build) served over HTTPS on 127.0.0.1."""
    server = IssuerServer(pki)
    site = tmp_path_factory.mktemp("site")
    kwi("issuer", "build", "--issuer", server.url, "--key", cluster_keys[1], "--out", site)
    server.serve_site(site)
    server.site = site
    yield server
    server.close()


@pytest.fixture(scope="module")
def sts(issuer, pki, tmp_path_factory):
    """kwi sts serve with the issuer as an OIDC provider and the role `app` trusting default:app."""
    config = tmp_path_factory.mktemp("sts") / "sts.toml"
    config.write_text(sts_config(issuer.url, pki.ca_file))
    server = StsServer(config)
    yield server
    server.close()
