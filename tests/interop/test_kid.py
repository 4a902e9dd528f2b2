"""The Kubernetes kid, recomputed without kwi: base64url(SHA-256(DER SPKI)) with OpenSSL making the
DER, and the kids the conformance README gives."""

from __future__ import annotations

import re

import pytest

from interop_helpers import (
    CONFORMANCE_PRIVATE,
    CONFORMANCE_PUBLIC,
    GEN_SPECS,
    SOURCE_IDS,
    openssl_k8s_kid,
    run_kwi,
    spec_id,
)


def kwi_kid(path, *extra) -> str:
    out = run_kwi("keys", "kid", path, *extra).stdout
    assert out.endswith("\n") and out.count("\n") == 1, out  # one line per key
    return out.strip()


def readme_kids(conformance) -> dict[str, str]:
    """file name -> kid, from the table of the conformance README."""
    text = (conformance / "README.md").read_text()
    kids = dict(re.findall(r"^\|\s*`([^`]+\.pem)`\s*\|[^|\n]*\bkid\s+`([A-Za-z0-9_-]+)`", text, re.M))
    assert set(kids) == {"rsa-public.pem", "ec-p256-public.pem"}, kids
    return kids


@pytest.mark.parametrize("name", list(CONFORMANCE_PUBLIC) + list(CONFORMANCE_PRIVATE))
def test_conformance_kid_matches_openssl(name, conformance):
    path = conformance / name
    assert kwi_kid(path) == openssl_k8s_kid(path, private=name in CONFORMANCE_PRIVATE)


@pytest.mark.parametrize(
    "name,readme_name",
    [
        ("rsa-public.pem", "rsa-public.pem"),
        ("rsa-private-pkcs1.pem", "rsa-public.pem"),
        ("ec-p256-public.pem", "ec-p256-public.pem"),
        ("ec-p256-private-sec1.pem", "ec-p256-public.pem"),
    ],
)
def test_conformance_kid_matches_readme(name, readme_name, conformance):
    expected = readme_kids(conformance)[readme_name]
    assert kwi_kid(conformance / name) == expected
    assert kwi_kid(conformance / name, "--method", "k8s") == expected
    assert openssl_k8s_kid(conformance / readme_name) == expected


def test_other_rsa_key_has_another_kid(conformance):
    assert kwi_kid(conformance / "other-rsa-public.pem") != kwi_kid(conformance / "rsa-public.pem")


@pytest.mark.parametrize("sid", SOURCE_IDS)
def test_generated_and_converted_kid_matches_openssl(sid, key_source):
    src = key_source(sid)
    expected = openssl_k8s_kid(src.private, private=True)
    assert kwi_kid(src.private) == expected
    if src.public is not None:
        assert openssl_k8s_kid(src.public) == expected
        assert kwi_kid(src.public) == expected
    # the kid is the same whatever container the key is read from
    for to in ("pkcs8", "spki", "jwk", "openssh"):
        converted = run_kwi("keys", "convert", src.private, "--to", to).stdout
        out = run_kwi("keys", "kid", "-", input=converted).stdout.strip()
        assert out == expected, to


@pytest.mark.parametrize("spec", GEN_SPECS, ids=spec_id)
def test_generate_prints_the_kid_on_stderr(spec, generate_key):
    g = generate_key(spec)
    assert re.search(r"\bkid ([A-Za-z0-9_-]{43})\b", g.stderr), g.stderr
    printed = re.search(r"\bkid ([A-Za-z0-9_-]{43})\b", g.stderr).group(1)
    assert printed == openssl_k8s_kid(g.public)
