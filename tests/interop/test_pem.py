"""Every PEM and DER file kwi writes is read by OpenSSL and by Python's cryptography, and holds the
same key as its input."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from interop_helpers import (
    ALG_CURVE,
    GEN_SPECS,
    SOURCE_IDS,
    file_mode,
    is_private,
    load_pem_private,
    load_private_unvalidated,
    load_pem_public,
    pem_body,
    pem_labels,
    private_id,
    public_id,
    run_kwi,
    run_tool,
    source_kty,
    spec_id,
)

FORMAT_LABEL = {"pkcs8": "PRIVATE KEY", "pkcs1": "RSA PRIVATE KEY", "sec1": "EC PRIVATE KEY"}


def openssl_reads_private(path):
    run_tool("openssl", "pkey", "-in", path, "-noout")


def openssl_reads_public(path):
    run_tool("openssl", "pkey", "-pubin", "-in", path, "-noout")


@pytest.mark.parametrize("spec", GEN_SPECS, ids=spec_id)
def test_generated_pems_load_in_openssl_and_cryptography(spec, generate_key):
    g = generate_key(spec)
    alg, bits, fmt = spec

    assert file_mode(g.private) == 0o600
    assert pem_labels(g.private.read_bytes()) == [FORMAT_LABEL[fmt]]
    assert pem_labels(g.public.read_bytes()) == ["PUBLIC KEY"]

    openssl_reads_private(g.private)
    openssl_reads_public(g.public)

    priv = load_pem_private(g.private)
    pub = load_pem_public(g.public)
    assert public_id(priv) == public_id(pub)

    if alg == "RS256":
        assert isinstance(priv, rsa.RSAPrivateKey)
        assert priv.key_size == bits
        assert priv.public_key().public_numbers().e == 65537
    elif alg == "EdDSA":
        assert isinstance(priv, ed25519.Ed25519PrivateKey)
    else:
        assert isinstance(priv, ec.EllipticCurvePrivateKey)
        assert priv.curve.name == ALG_CURVE[alg]


def test_generate_default_is_rsa_2048_pkcs8(tmp_path):
    out = tmp_path / "sa.key"
    run_kwi("keys", "generate", "--out", out)
    assert pem_labels(out.read_bytes()) == ["PRIVATE KEY"]
    openssl_reads_private(out)
    key = load_pem_private(out)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048


# (input half, --to, --public, expected PEM label, key types it applies to)
CONVERT_CASES = [
    ("private", "pem", False, "PRIVATE KEY", {"RSA", "EC", "OKP"}),
    ("private", "pkcs8", False, "PRIVATE KEY", {"RSA", "EC", "OKP"}),
    ("private", "pkcs1", False, "RSA PRIVATE KEY", {"RSA"}),
    ("private", "sec1", False, "EC PRIVATE KEY", {"EC"}),
    ("private", "spki", False, "PUBLIC KEY", {"RSA", "EC", "OKP"}),
    ("private", "pem", True, "PUBLIC KEY", {"RSA", "EC", "OKP"}),
    ("private", "spki", True, "PUBLIC KEY", {"RSA", "EC", "OKP"}),
    ("private", "pkcs1", True, "RSA PUBLIC KEY", {"RSA"}),
    ("public", "pem", False, "PUBLIC KEY", {"RSA", "EC", "OKP"}),
    ("public", "spki", False, "PUBLIC KEY", {"RSA", "EC", "OKP"}),
    ("public", "pkcs1", False, "RSA PUBLIC KEY", {"RSA"}),
]


def _convert_params():
    params = []
    for sid in SOURCE_IDS:
        for half, to, public, label, ktys in CONVERT_CASES:
            if source_kty(sid) not in ktys:
                continue
            if half == "public" and sid == "conf:ec-p256-private-sec1-with-params.pem":
                continue  # no public file ships with this one
            ident = f"{sid}-{half}-to-{to}{'-public' if public else ''}"
            params.append(pytest.param(sid, half, to, public, label, id=ident))
    return params


@pytest.mark.parametrize("sid,half,to,public,label", _convert_params())
def test_convert_pem_outputs_load_in_openssl_and_cryptography(sid, half, to, public, label, key_source, tmp_path):
    src = key_source(sid)
    original = load_pem_private(src.private)
    infile = src.private if half == "private" else src.public

    out = tmp_path / f"out-{to}.pem"
    args = ["keys", "convert", infile, "--to", to] + (["--public"] if public else [])
    run_kwi(*args, "-o", out)
    data = out.read_bytes()
    assert pem_labels(data) == [label]

    # the same bytes on standard output
    stdout = run_kwi(*args, text=False).stdout
    assert stdout.strip() == data.strip()

    if "PRIVATE" in label:
        assert file_mode(out) == 0o600
        openssl_reads_private(out)
        loaded = load_private_unvalidated(data)
        assert is_private(loaded)
        assert private_id(loaded) == private_id(original)
    else:
        openssl_reads_public(out)
        loaded = serialization.load_pem_public_key(data)
        assert not is_private(loaded)
        assert public_id(loaded) == public_id(original)

    # kwi reads its own output back as the same key
    assert run_kwi("keys", "kid", out).stdout == run_kwi("keys", "kid", src.private).stdout


def _der_params():
    params = []
    for sid in SOURCE_IDS:
        params.append(pytest.param(sid, "private", False, id=f"{sid}-private"))
        params.append(pytest.param(sid, "private", True, id=f"{sid}-private--public"))
        if sid != "conf:ec-p256-private-sec1-with-params.pem":
            params.append(pytest.param(sid, "public", False, id=f"{sid}-public"))
    return params


@pytest.mark.parametrize("sid,half,public", _der_params())
def test_convert_der_loads_in_cryptography_and_openssl(sid, half, public, key_source, tmp_path):
    src = key_source(sid)
    original = load_pem_private(src.private)
    infile = src.private if half == "private" else src.public
    out = tmp_path / "out.der"
    extra = ["--public"] if public else []
    run_kwi("keys", "convert", infile, "--to", "der", "-o", out, *extra)
    der = out.read_bytes()
    assert der[:1] == b"\x30"

    if half == "private" and not public:
        assert file_mode(out) == 0o600
        loaded = load_private_unvalidated(der, der=True)
        assert private_id(loaded) == private_id(original)
        run_tool("openssl", "pkey", "-inform", "DER", "-in", out, "-noout")
        # DER of a private key is PKCS#8: the body of --to pkcs8
        pkcs8 = run_kwi("keys", "convert", infile, "--to", "pkcs8").stdout
        assert der == pem_body(pkcs8)
    else:
        loaded = serialization.load_der_public_key(der)
        assert public_id(loaded) == public_id(original)
        run_tool("openssl", "pkey", "-pubin", "-inform", "DER", "-in", out, "-noout")
        # DER of a public key is SPKI: the body of --to spki
        spki = run_kwi("keys", "convert", infile, "--to", "spki").stdout
        assert der == pem_body(spki)


@pytest.mark.parametrize(
    "spec,to",
    [
        (("ES256", None, "pkcs8"), "pkcs1"),
        (("EdDSA", None, "pkcs8"), "pkcs1"),
        (("RS256", 2048, "pkcs8"), "sec1"),
        (("EdDSA", None, "pkcs8"), "sec1"),
    ],
    ids=lambda v: spec_id(v) if isinstance(v, tuple) else v,
)
def test_convert_refuses_a_container_that_cannot_hold_the_key(spec, to, generate_key, tmp_path):
    g = generate_key(spec)
    out = tmp_path / "out.pem"
    proc = run_kwi("keys", "convert", g.private, "--to", to, "-o", out, check=False)
    assert proc.returncode == 2, proc
    assert proc.stdout == ""
    assert proc.stderr.strip()
    assert not out.exists()
