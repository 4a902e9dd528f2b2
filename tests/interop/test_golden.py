"""kube-apiserver's golden outputs (tests/data/kubernetes), reproduced byte for byte."""

from __future__ import annotations

import pytest

from interop_helpers import openssl_k8s_kid, run_kwi, run_tool


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(["rsa-public.pem", "ec-p256-public.pem"], id="public"),
        pytest.param(["rsa-private-pkcs1.pem", "ec-p256-private-sec1.pem"], id="private"),
        pytest.param(["rsa-private-pkcs1.pem", "ec-p256-public.pem"], id="mixed"),
    ],
)
def test_jwks_matches_golden(files, conformance):
    out = run_kwi("jwks", *[conformance / f for f in files], text=False).stdout
    assert out == (conformance / "jwks.golden.json").read_bytes()


def test_jwks_to_file_matches_golden(conformance, tmp_path):
    out = tmp_path / "jwks.json"
    run_kwi("jwks", conformance / "rsa-public.pem", conformance / "ec-p256-public.pem", "-o", out)
    assert out.read_bytes() == (conformance / "jwks.golden.json").read_bytes()


def test_jwks_key_given_twice_appears_once(conformance):
    out = run_kwi(
        "jwks",
        conformance / "rsa-public.pem",
        conformance / "rsa-private-pkcs1.pem",
        conformance / "ec-p256-public.pem",
        text=False,
    ).stdout
    assert out == (conformance / "jwks.golden.json").read_bytes()


def test_discovery_matches_golden(conformance):
    out = run_kwi(
        "discovery",
        "--issuer",
        "https://issuer.example.com",
        "--key",
        conformance / "rsa-public.pem",
        "--key",
        conformance / "ec-p256-public.pem",
        text=False,
    ).stdout
    assert out == (conformance / "discovery.golden.json").read_bytes()


def test_issuer_build_writes_golden_files(conformance, tmp_path):
    site = tmp_path / "site"
    run_kwi(
        "issuer",
        "build",
        "--issuer",
        "https://issuer.example.com",
        "--key",
        conformance / "rsa-public.pem",
        "--key",
        conformance / "ec-p256-public.pem",
        "--out",
        site,
    )
    assert (site / ".well-known" / "openid-configuration").read_bytes() == (
        conformance / "discovery.golden.json"
    ).read_bytes()
    assert (site / "openid" / "v1" / "jwks").read_bytes() == (conformance / "jwks.golden.json").read_bytes()


def test_ec_private_key_with_parameters_block(conformance, tmp_path):
    path = conformance / "ec-p256-private-sec1-with-params.pem"
    assert path.read_text().startswith("-----BEGIN EC PARAMETERS-----")
    pub = tmp_path / "pub.pem"
    pub.write_bytes(run_tool("openssl", "pkey", "-in", path, "-pubout", text=False).stdout)
    expected = openssl_k8s_kid(pub)
    assert run_kwi("keys", "kid", path).stdout.strip() == expected
    # the public half kwi writes is openssl's
    assert run_kwi("keys", "convert", path, "--to", "spki", text=False).stdout == pub.read_bytes()
    # and it is another key than ec-p256-private-sec1.pem
    assert expected != run_kwi("keys", "kid", conformance / "ec-p256-private-sec1.pem").stdout.strip()
