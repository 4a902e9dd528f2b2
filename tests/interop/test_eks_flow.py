"""The EKS self-hosted guide's key flow, run for real with ssh-keygen: a PEM RSA key, its public half
exported as PKCS#8 by ssh-keygen, and the JWKS the guide's script makes (with a second, empty kid)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization

from interop_helpers import openssl_k8s_kid, pem_labels, run_kwi, run_tool


def b64url_int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


@pytest.fixture(scope="module")
def eks_key(tmp_path_factory):
    d = tmp_path_factory.mktemp("eks")
    key = d / "sa-signer.key"
    run_tool("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-f", key, "-m", "pem", "-N", "")
    pkcs8 = d / "sa-signer.key.pkcs8"
    pkcs8.write_text(run_tool("ssh-keygen", "-e", "-m", "PKCS8", "-f", d / "sa-signer.key.pub").stdout)
    return key, d / "sa-signer.key.pub", pkcs8


def test_inputs_are_what_the_guide_makes(eks_key):
    key, pub, pkcs8 = eks_key
    assert pem_labels(key.read_bytes()) == ["RSA PRIVATE KEY"]
    assert pub.read_text().startswith("ssh-rsa ")
    assert pem_labels(pkcs8.read_bytes()) == ["PUBLIC KEY"]


def test_legacy_empty_kid_jwks(eks_key):
    key, pub, pkcs8 = eks_key
    proc = run_kwi("jwks", pkcs8, "--legacy-empty-kid")
    doc = json.loads(proc.stdout, object_pairs_hook=list)
    assert [name for name, _ in doc] == ["keys"]
    keys = doc[0][1]
    assert len(keys) == 2
    first, second = keys

    members = ["use", "kty", "kid", "alg", "n", "e"]
    assert [name for name, _ in first] == members
    assert [name for name, _ in second] == members
    first_d, second_d = dict(first), dict(second)
    assert first_d["use"] == "sig"
    assert first_d["kty"] == "RSA"
    assert first_d["alg"] == "RS256"
    assert second_d["kid"] == ""
    assert first_d["kid"] == openssl_k8s_kid(pkcs8)
    assert {k: v for k, v in first_d.items() if k != "kid"} == {k: v for k, v in second_d.items() if k != "kid"}

    numbers = serialization.load_pem_public_key(pkcs8.read_bytes()).public_numbers()
    assert b64url_int(first_d["n"]) == numbers.n
    assert b64url_int(first_d["e"]) == numbers.e == 65537
    assert first_d["e"] == "AQAB"
    assert "=" not in first_d["n"]

    # compact, as kube-apiserver serves it
    assert proc.stdout.rstrip("\n") == json.dumps(json.loads(proc.stdout), separators=(",", ":"))


@pytest.mark.parametrize("which", ["openssh-pub", "pem-private"])
def test_same_jwk_from_the_other_files(eks_key, which):
    key, pub, pkcs8 = eks_key
    reference = json.loads(run_kwi("jwks", pkcs8).stdout, object_pairs_hook=list)
    other = json.loads(run_kwi("jwks", pub if which == "openssh-pub" else key).stdout, object_pairs_hook=list)
    assert other == reference
    assert len(reference[0][1]) == 1
    with_legacy = json.loads(run_kwi("jwks", pkcs8, "--legacy-empty-kid").stdout, object_pairs_hook=list)
    assert other[0][1][0] == with_legacy[0][1][0]
