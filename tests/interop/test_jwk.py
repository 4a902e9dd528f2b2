"""JWKs: every JWK kwi writes loads in joserfc with the same RFC 7638 thumbprint kwi computes, and a
JWK written by joserfc converts to the SPKI PEM that OpenSSL and cryptography write."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc.jwk import ECKey, JWKRegistry, KeySet, OKPKey, RSAKey

from interop_helpers import (
    CONFORMANCE_PRIVATE,
    CONFORMANCE_PUBLIC,
    CURVE_CRV,
    SOURCE_IDS,
    file_mode,
    load_pem_private,
    private_id,
    public_id,
    run_kwi,
    run_tool,
)

JOSERFC_CLASS = {"RSA": RSAKey, "EC": ECKey, "OKP": OKPKey}
PRIVATE_MEMBERS = {"RSA": {"d", "p", "q", "dp", "dq", "qi"}, "EC": {"d"}, "OKP": {"d"}}


def kwi_json(*args):
    return json.loads(run_kwi(*args).stdout)


def import_jwk(jwk: dict):
    """Import a JWK with the joserfc class for its kty, and through the generic registry too."""
    key = JOSERFC_CLASS[jwk["kty"]].import_key(jwk)
    generic = JWKRegistry.import_key(jwk)
    assert type(generic) is type(key)
    assert generic.thumbprint() == key.thumbprint()
    return key


# --- 3. JWKs written by kwi load in joserfc -------------------------------------------------------


@pytest.mark.parametrize("public", [False, True], ids=["private", "public"])
@pytest.mark.parametrize("sid", SOURCE_IDS)
def test_kwi_jwk_loads_in_joserfc_with_same_thumbprint(sid, public, key_source):
    src = key_source(sid)
    original = load_pem_private(src.private)
    extra = ["--public"] if public else []
    jwk = kwi_json("keys", "convert", src.private, "--to", "jwk", *extra)

    assert jwk["kty"] == src.kty
    assert jwk["use"] == "sig"
    assert jwk["alg"] == src.alg
    if src.kty == "EC":
        assert jwk["crv"] == CURVE_CRV[src.curve]
    if src.kty == "OKP":
        assert jwk["crv"] == "Ed25519"
    has_private = PRIVATE_MEMBERS[src.kty] & jwk.keys()
    assert has_private == (set() if public else PRIVATE_MEMBERS[src.kty])

    key = import_jwk(jwk)
    assert key.is_private == (not public)
    assert public_id(key.public_key) == public_id(original)
    if not public:
        assert private_id(key.private_key) == private_id(original)

    thumbprint = run_kwi("keys", "kid", src.private, "--method", "rfc7638").stdout.strip()
    assert key.thumbprint() == thumbprint
    # the default kid is Kubernetes' one
    assert jwk["kid"] == run_kwi("keys", "kid", src.private).stdout.strip()

    # --kid rfc7638 puts the thumbprint in "kid"
    jwk_rfc = kwi_json("keys", "convert", src.private, "--to", "jwk", "--kid", "rfc7638", *extra)
    assert jwk_rfc["kid"] == thumbprint
    assert {k: v for k, v in jwk_rfc.items() if k != "kid"} == {k: v for k, v in jwk.items() if k != "kid"}


@pytest.mark.parametrize("sid", SOURCE_IDS)
def test_kwi_jwk_file_and_jwks_load_in_joserfc(sid, key_source, tmp_path):
    src = key_source(sid)
    out = tmp_path / "key.jwk"
    run_kwi("keys", "convert", src.private, "--to", "jwk", "-o", out)
    assert file_mode(out) == 0o600  # holds the private key
    key = import_jwk(json.loads(out.read_text()))
    assert key.is_private

    jwks = kwi_json("keys", "convert", src.private, "--to", "jwks", "--public")
    assert list(jwks) == ["keys"] and len(jwks["keys"]) == 1
    key_set = KeySet.import_key_set(jwks)
    assert len(key_set.keys) == 1
    assert key_set.keys[0].thumbprint() == key.thumbprint()
    assert not key_set.keys[0].is_private

    # --kid none leaves kid out; a literal value is used as is
    assert "kid" not in kwi_json("keys", "convert", src.private, "--to", "jwk", "--kid", "none")
    assert kwi_json("keys", "convert", src.private, "--to", "jwk", "--kid", "my-key-1")["kid"] == "my-key-1"


def test_conformance_rsa_thumbprint_matches_readme(conformance):
    expected = "-VkBv7ckVLGbPlrdyjF01LitmrAB_z87v-oICeALHRw"
    for name in ("rsa-public.pem", "rsa-private-pkcs1.pem"):
        assert run_kwi("keys", "kid", conformance / name, "--method", "rfc7638").stdout.strip() == expected
        key = RSAKey.import_key(kwi_json("keys", "convert", conformance / name, "--to", "jwk", "--public"))
        assert key.thumbprint() == expected
    # and joserfc computes it from the PEM directly, without kwi
    assert RSAKey.import_key((conformance / "rsa-public.pem").read_bytes()).thumbprint() == expected


# --- 4. JWKs written by joserfc convert to the SPKI PEM of OpenSSL and cryptography --------------


def _generate(kind: str):
    if kind == "RSA-2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "RSA-3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if kind == "Ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    curve = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}[kind]
    return ec.generate_private_key(curve)


CRYPTO_KINDS = ["RSA-2048", "RSA-3072", "P-256", "P-384", "P-521", "Ed25519"]


@pytest.fixture(scope="module")
def crypto_keys():
    cache = {}

    def get(kind):
        if kind not in cache:
            cache[kind] = _generate(kind)
        return cache[kind]

    return get


def spki_pem(key) -> bytes:
    pub = key.public_key() if hasattr(key, "public_key") else key
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def openssl_spki(pem_path, private=False) -> bytes:
    args = ["openssl", "pkey"] + ([] if private else ["-pubin"]) + ["-in", pem_path, "-pubout"]
    return run_tool(*args, text=False).stdout


def joserfc_key(crypto_key):
    if isinstance(crypto_key, rsa.RSAPrivateKey):
        return RSAKey.import_key(crypto_key)
    if isinstance(crypto_key, ec.EllipticCurvePrivateKey):
        return ECKey.import_key(crypto_key)
    return OKPKey.import_key(crypto_key)


@pytest.mark.parametrize("private", [False, True], ids=["public-jwk", "private-jwk"])
@pytest.mark.parametrize("kind", CRYPTO_KINDS)
def test_joserfc_jwk_to_spki_is_byte_identical_to_openssl(kind, private, crypto_keys, tmp_path):
    crypto_key = crypto_keys(kind)
    expected = spki_pem(crypto_key)
    ref = tmp_path / "ref.pem"
    ref.write_bytes(expected)
    assert openssl_spki(ref) == expected  # cryptography and OpenSSL agree on the SPKI PEM

    jwk = joserfc_key(crypto_key).as_dict(private=private)
    jwk_file = tmp_path / "jwk.json"
    jwk_file.write_text(json.dumps(jwk))
    assert run_kwi("keys", "convert", jwk_file, "--to", "spki", text=False).stdout == expected
    # --to pem of a public JWK is the same SPKI PEM
    if not private:
        assert run_kwi("keys", "convert", jwk_file, "--to", "pem", text=False).stdout == expected
    else:
        p8 = run_kwi("keys", "convert", jwk_file, "--to", "pkcs8", text=False).stdout
        loaded = serialization.load_pem_private_key(p8, password=None, unsafe_skip_rsa_key_validation=True)
        assert private_id(loaded) == private_id(crypto_key)

    # from standard input, and inside a JWKS
    assert run_kwi("keys", "convert", "-", "--to", "spki", input=json.dumps(jwk).encode()).stdout == expected
    jwks = json.dumps({"keys": [jwk]}).encode()
    assert run_kwi("keys", "convert", "-", "--to", "spki", input=jwks).stdout == expected


CONFORMANCE_FILES = [(n, kty, True) for n, (kty, _) in CONFORMANCE_PRIVATE.items()] + [
    (n, kty, False) for n, (kty, _) in CONFORMANCE_PUBLIC.items()
]


@pytest.mark.parametrize("name,kty,private", CONFORMANCE_FILES, ids=[n for n, _, _ in CONFORMANCE_FILES])
def test_joserfc_jwk_of_conformance_key_to_spki_matches_openssl(name, kty, private, conformance, tmp_path):
    pem = conformance / name
    expected = openssl_spki(pem, private=private)
    key = JWKRegistry.import_key(pem.read_bytes(), kty)
    jwk_file = tmp_path / "jwk.json"
    jwk_file.write_text(json.dumps(key.as_dict(private=False)))
    assert run_kwi("keys", "convert", jwk_file, "--to", "spki", text=False).stdout == expected
    if not private:
        assert pem.read_bytes() == expected  # the conformance public keys are openssl's SPKI PEM
        # and kwi's own PEM -> SPKI is the identity on them
        assert run_kwi("keys", "convert", pem, "--to", "spki", text=False).stdout == expected


def test_jwks_with_two_keys_selects_by_kid(conformance, tmp_path):
    rsa_jwk = RSAKey.import_key((conformance / "rsa-public.pem").read_bytes()).as_dict(private=False)
    ec_jwk = ECKey.import_key((conformance / "ec-p256-public.pem").read_bytes()).as_dict(private=False)
    rsa_jwk["kid"] = "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU"
    ec_jwk["kid"] = "SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc"
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [rsa_jwk, ec_jwk]}))

    for kid, name in ((rsa_jwk["kid"], "rsa-public.pem"), (ec_jwk["kid"], "ec-p256-public.pem")):
        out = run_kwi("keys", "convert", jwks, "--kid", kid, "--to", "pem", text=False).stdout
        assert out == (conformance / name).read_bytes()

    # without --kid, a multi-block PEM with both keys in order
    both = run_kwi("keys", "convert", jwks, "--to", "pem", text=False).stdout
    assert both.replace(b"\n\n", b"\n") == (conformance / "rsa-public.pem").read_bytes() + (
        conformance / "ec-p256-public.pem"
    ).read_bytes()
