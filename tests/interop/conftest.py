"""Shared fixtures of kwi's interoperability suite.

The suite runs the real kwi binary against the tools and libraries kwi must agree with:
OpenSSL, OpenSSH's ssh-keygen, Python's ``cryptography`` and ``joserfc``, and the Kubernetes
reference data in ``tests/data/kubernetes`` (copied from the shared conformance folder).

Binary: ``$KWI_BIN`` if set, else ``target/debug/kwi`` under the repository root (build it with
``cargo build -p kwi``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from interop_helpers import (  # noqa: E402
    CONFORMANCE,
    KWI,
    GeneratedKey,
    openssl_k8s_kid,
    run_kwi,
    run_tool,
    spec_id,
)


@pytest.fixture(scope="session")
def kwi() -> Path:
    assert KWI.is_file(), f"kwi binary not found at {KWI}: run `cargo build -p kwi` or set KWI_BIN"
    assert os.access(KWI, os.X_OK), f"{KWI} is not executable"
    return KWI


@pytest.fixture(scope="session", autouse=True)
def _require_kwi(kwi):
    """Every test runs the binary: fail them all with one clear message when it is missing."""
    return kwi


@pytest.fixture(scope="session", name="run_kwi")
def run_kwi_fixture(kwi):
    return run_kwi


@pytest.fixture(scope="session", name="run_tool")
def run_tool_fixture():
    return run_tool


@pytest.fixture(scope="session")
def conformance() -> Path:
    assert CONFORMANCE.is_dir(), f"conformance data not found at {CONFORMANCE}"
    return CONFORMANCE


@pytest.fixture(scope="session", name="openssl_k8s_kid")
def openssl_k8s_kid_fixture():
    return openssl_k8s_kid


@pytest.fixture(scope="session")
def generate_key(kwi, tmp_path_factory):
    """generate_key(spec) -> GeneratedKey, made once per session by `kwi keys generate`."""
    cache: dict = {}
    base = tmp_path_factory.mktemp("generated")

    def gen(spec) -> GeneratedKey:
        if spec not in cache:
            alg, bits, fmt = spec
            priv = base / f"{spec_id(spec)}.key"
            pub = base / f"{spec_id(spec)}.pub"
            args = ["keys", "generate", "--alg", alg, "--format", fmt, "--out", priv, "--public-out", pub]
            if bits:
                args += ["--bits", str(bits)]
            proc = run_kwi(*args)
            cache[spec] = GeneratedKey(spec, priv, pub, proc.stderr)
        return cache[spec]

    return gen


@pytest.fixture(scope="session")
def key_source(generate_key, conformance):
    """key_source(id) -> KeySource, for an id of interop_helpers.SOURCE_IDS."""
    from interop_helpers import CONFORMANCE_PAIRS, CONFORMANCE_PRIVATE, GEN_SPECS, KeySource

    by_id = {f"gen:{spec_id(s)}": s for s in GEN_SPECS}

    def get(ident: str) -> KeySource:
        kind, name = ident.split(":", 1)
        if kind == "gen":
            g = generate_key(by_id[ident])
            return KeySource(ident, g.private, g.public, g.kty, g.alg, g.bits)
        kty, alg = CONFORMANCE_PRIVATE[name]
        pub = CONFORMANCE_PAIRS[name]
        return KeySource(ident, conformance / name, conformance / pub if pub else None, kty, alg)

    return get
