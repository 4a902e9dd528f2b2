"""The conformance EC key with an `EC PARAMETERS` block, read as openssl reads it. (The golden
JWKS and discovery documents are checked byte for byte by crates/kwi/tests/documents.rs.)"""

from __future__ import annotations

from interop_helpers import openssl_k8s_kid, run_kwi, run_tool


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
