"""kwi token mint | verify | inspect, cross-checked with joserfc both ways.

kwi-minted tokens must verify in joserfc and look byte for byte like kube-apiserver's (go-jose
normalises the claims through a map, so every JSON object has its keys sorted; the header is
{"alg","kid"} with no typ). Tokens minted by joserfc must verify in kwi, with the Kubernetes, STS and
Vault rules for leeway and audience.
"""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import errors as jose_errors
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from interop_helpers import (
    AUD,
    CONFORMANCE,
    EC_KEY,
    EC_PUB,
    RSA_KEY,
    RSA_PUB,
    load_pem_private,
    openssl_k8s_kid,
    run_kwi,
)

ISS = "https://issuer.example.com"
SUB = "system:serviceaccount:default:app"
MINT_ARGS = ["--issuer", ISS, "--namespace", "default", "--service-account", "app", "--aud", AUD]

OTHER_RSA_PUB = CONFORMANCE / "other-rsa-public.pem"
RSA_KID = "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU"
EC_KID = "SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc"

# The signing keys of part 1: the conformance keys and fresh `kwi keys generate` keys.
MINT_SOURCES = [
    "conf:rsa-private-pkcs1.pem",
    "conf:ec-p256-private-sec1.pem",
    "conf:ec-p256-private-sec1-with-params.pem",
    "gen:RS256-2048-pkcs8",
    "gen:ES256-pkcs8",
    "gen:ES384-pkcs8",
    "gen:ES512-pkcs8",
]
# Length of the raw JWS signature: RSA-2048 modulus, or r || s for ECDSA (RFC 7518 3.4).
SIG_LEN = {"RS256": 256, "ES256": 64, "ES384": 96, "ES512": 132}


# --- helpers -----------------------------------------------------------------------------------


def b64url_decode(segment: str) -> bytes:
    assert "=" not in segment, "JWS segments are base64url without padding"
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def segments(token: str) -> tuple[bytes, bytes, bytes]:
    parts = token.split(".")
    assert len(parts) == 3, token
    return tuple(b64url_decode(p) for p in parts)


def ordered(raw: bytes):
    """The JSON with every object kept as a list of (name, value) pairs, in document order."""
    return json.loads(raw, object_pairs_hook=list)


def assert_keys_sorted(value, where="$"):
    """Every JSON object in value (parsed by ordered()) has its member names sorted, no duplicates."""
    if isinstance(value, list) and value and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        names = [name for name, _ in value]
        assert names == sorted(names), f"{where}: members not sorted: {names}"
        assert len(set(names)) == len(names), f"{where}: duplicate members: {names}"
        for name, inner in value:
            assert_keys_sorted(inner, f"{where}.{name}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            assert_keys_sorted(inner, f"{where}[{i}]")


def is_uuid4(value: str) -> bool:
    try:
        u = uuid.UUID(value)
    except ValueError:
        return False
    return u.version == 4 and str(u) == value


def mint(key, *args, check=True) -> str:
    proc = run_kwi("token", "mint", "--key", key, *args, check=check)
    token = proc.stdout.strip()
    assert proc.stdout == token + "\n", f"mint prints the token and a newline: {proc.stdout!r}"
    return token


def verify(token, *args, input=None):
    return run_kwi("token", "verify", token, *args, input=input, check=False)


def jose_key_from_pem(path):
    """A joserfc key for the public half of a private key file, loaded by `cryptography`
    (independently of kwi)."""
    public = load_pem_private(path).public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        return ECKey.import_key(public)
    return RSAKey.import_key(public)


def jose_key_from_pem_public(path, kty):
    data = path.read_bytes()
    return RSAKey.import_key(data) if kty == "RSA" else ECKey.import_key(data)


def claims_registry(iss=ISS, aud=AUD):
    return jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": iss},
        aud={"essential": True, "value": aud},
        sub={"essential": True, "value": SUB},
        exp={"essential": True},
        iat={"essential": True},
        nbf={"essential": True},
        jti={"essential": True},
    )


def kube_claims(now=None, ttl=3600, aud=(AUD,), iss=ISS):
    """Claims as kube-apiserver makes them for default/app."""
    now = int(time.time()) if now is None else now
    return {
        "aud": list(aud),
        "exp": now + ttl,
        "iat": now,
        "iss": iss,
        "jti": str(uuid.uuid4()),
        "kubernetes.io": {
            "namespace": "default",
            "serviceaccount": {"name": "app", "uid": str(uuid.uuid4())},
        },
        "nbf": now,
        "sub": SUB,
    }


def jose_mint(key, alg, kid, claims, typ=None) -> str:
    header = {"alg": alg, "kid": kid}
    return jwt.encode(header, claims, key, algorithms=[alg], default_type=typ)


# --- 1. kwi-minted tokens verify in joserfc and are shaped like kube-apiserver's --------------


@pytest.fixture(scope="module")
def minted(key_source):
    """minted(source id) -> (KeySource, token, kid), minted once per key."""
    cache = {}

    def get(ident):
        if ident not in cache:
            src = key_source(ident)
            kid = run_kwi("keys", "kid", src.private).stdout.strip()
            before = int(time.time())
            token = mint(src.private, *MINT_ARGS)
            after = int(time.time())
            cache[ident] = (src, token, kid, before, after)
        return cache[ident]

    return get


@pytest.mark.parametrize("ident", MINT_SOURCES)
def test_kwi_token_verifies_in_joserfc(minted, ident):
    src, token, kid, _, _ = minted(ident)

    # with the public key loaded by cryptography from the private key file
    tok = jwt.decode(token, jose_key_from_pem(src.private), algorithms=[src.alg])
    claims_registry().validate(tok.claims)
    assert tok.header == {"alg": src.alg, "kid": kid}

    # with the JWK kwi exports for the public half, found by kid in a key set
    jwk = json.loads(run_kwi("keys", "convert", src.private, "--to", "jwk", "--public").stdout)
    assert jwk["kid"] == kid and "d" not in jwk
    tok2 = jwt.decode(token, KeySet.import_key_set({"keys": [jwk]}), algorithms=[src.alg])
    assert tok2.claims == tok.claims

    # and with the conformance public file, when one ships with the key
    if src.public is not None:
        jwt.decode(token, jose_key_from_pem_public(src.public, src.kty), algorithms=[src.alg])


@pytest.mark.parametrize("ident", MINT_SOURCES)
def test_kwi_token_header_is_kube_apiservers(minted, ident):
    src, token, kid, _, _ = minted(ident)
    # kwi's kid is Kubernetes' (SHA-256 of the SPKI DER), computed here by openssl
    assert kid == openssl_k8s_kid(src.private, private=True)
    if ident == "conf:rsa-private-pkcs1.pem":
        assert kid == RSA_KID
    if ident == "conf:ec-p256-private-sec1.pem":
        assert kid == EC_KID
    header, _, signature = segments(token)
    # exactly {"alg","kid"} in that order, compact, no typ
    assert header == json.dumps({"alg": src.alg, "kid": kid}, separators=(",", ":")).encode()
    assert len(signature) == SIG_LEN[src.alg]


@pytest.mark.parametrize("ident", MINT_SOURCES)
def test_kwi_token_claims_are_kube_apiservers(minted, ident):
    _, token, _, before, after = minted(ident)
    _, payload, _ = segments(token)

    raw = ordered(payload)
    assert_keys_sorted(raw)
    assert [name for name, _ in raw] == ["aud", "exp", "iat", "iss", "jti", "kubernetes.io", "nbf", "sub"]
    # go-jose writes compact JSON with sorted keys: the same bytes as Python's compact sorted dump
    claims = json.loads(payload)
    assert payload == json.dumps(claims, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()

    assert claims["aud"] == [AUD]
    assert claims["iss"] == ISS
    assert claims["sub"] == SUB
    for name in ("exp", "iat", "nbf"):
        assert type(claims[name]) is int, f"{name} is a JSON integer"
    assert before <= claims["iat"] <= after
    assert claims["nbf"] == claims["iat"]
    assert claims["exp"] == claims["iat"] + 3600
    assert is_uuid4(claims["jti"]), claims["jti"]
    k8s = claims["kubernetes.io"]
    assert list(k8s) == ["namespace", "serviceaccount"]
    assert k8s["namespace"] == "default"
    assert list(k8s["serviceaccount"]) == ["name", "uid"]
    assert k8s["serviceaccount"]["name"] == "app"
    assert is_uuid4(k8s["serviceaccount"]["uid"]), k8s["serviceaccount"]["uid"]


def test_fresh_random_values_each_mint(minted):
    _, first, _, _, _ = minted("conf:ec-p256-private-sec1.pem")
    second = mint(EC_KEY, *MINT_ARGS)
    a, b = json.loads(segments(first)[1]), json.loads(segments(second)[1])
    assert a["jti"] != b["jti"]
    assert a["kubernetes.io"]["serviceaccount"]["uid"] != b["kubernetes.io"]["serviceaccount"]["uid"]


@pytest.mark.parametrize(
    "ident,wrong",
    [
        ("conf:rsa-private-pkcs1.pem", lambda: RSAKey.import_key(OTHER_RSA_PUB.read_bytes())),
        ("gen:RS256-2048-pkcs8", lambda: RSAKey.import_key(RSA_PUB.read_bytes())),
        ("conf:ec-p256-private-sec1.pem", lambda: ECKey.generate_key("P-256", private=False)),
        ("gen:ES384-pkcs8", lambda: ECKey.generate_key("P-384", private=False)),
        ("gen:ES512-pkcs8", lambda: ECKey.generate_key("P-521", private=False)),
    ],
)
def test_kwi_token_fails_in_joserfc_with_another_key(minted, ident, wrong):
    src, token, _, _, _ = minted(ident)
    with pytest.raises(jose_errors.BadSignatureError):
        jwt.decode(token, wrong(), algorithms=[src.alg])


def test_tampered_kwi_token_fails_in_joserfc(minted):
    src, token, _, _, _ = minted("conf:rsa-private-pkcs1.pem")
    header, payload, sig = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["sub"] = "system:serviceaccount:kube-system:admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(jose_errors.BadSignatureError):
        jwt.decode(f"{header}.{forged}.{sig}", RSAKey.import_key(RSA_PUB.read_bytes()), algorithms=["RS256"])


# --- 2. reproducible tokens, bound tokens, legacy tokens --------------------------------------

FIXED = ["--issued-at", "2026-01-01T00:00:00Z", "--jti", "x", "--sa-uid", "y"]
FIXED_IAT = 1767225600  # 2026-01-01T00:00:00Z


def test_reproducible_rsa_token():
    first = mint(RSA_KEY, *MINT_ARGS, *FIXED)
    second = mint(RSA_KEY, *MINT_ARGS, *FIXED)
    assert first == second
    header, payload, _ = segments(first)
    assert header == ('{"alg":"RS256","kid":"%s"}' % RSA_KID).encode()
    assert payload == (
        '{"aud":["sts.amazonaws.com"],"exp":1767229200,"iat":1767225600,'
        '"iss":"https://issuer.example.com","jti":"x",'
        '"kubernetes.io":{"namespace":"default","serviceaccount":{"name":"app","uid":"y"}},'
        '"nbf":1767225600,"sub":"system:serviceaccount:default:app"}'
    ).encode()
    # the signature is a genuine RS256 one (joserfc checks it; the token has expired by then)
    tok = jwt.decode(first, RSAKey.import_key(RSA_PUB.read_bytes()), algorithms=["RS256"])
    assert tok.claims["iat"] == FIXED_IAT
    jwt.JWTClaimsRegistry(now=FIXED_IAT + 10, iss={"essential": True, "value": ISS}).validate(tok.claims)


def test_issued_at_in_seconds_and_ttl():
    by_rfc3339 = mint(RSA_KEY, *MINT_ARGS, *FIXED, "--ttl", "10m")
    by_seconds = mint(
        RSA_KEY, *MINT_ARGS, "--issued-at", str(FIXED_IAT), "--jti", "x", "--sa-uid", "y", "--ttl", "600"
    )
    assert by_rfc3339 == by_seconds
    claims = json.loads(segments(by_seconds)[1])
    assert claims["exp"] == FIXED_IAT + 600
    assert claims["iat"] == claims["nbf"] == FIXED_IAT


def test_bound_token_has_pod_and_node():
    token = mint(
        RSA_KEY,
        *MINT_ARGS,
        *FIXED,
        "--pod-name", "web-0",
        "--pod-uid", "pod-uid-1",
        "--node-name", "node-a",
        "--node-uid", "node-uid-1",
    )  # fmt: skip
    _, payload, _ = segments(token)
    assert_keys_sorted(ordered(payload))
    claims = json.loads(payload)
    assert claims["kubernetes.io"] == {
        "namespace": "default",
        "node": {"name": "node-a", "uid": "node-uid-1"},
        "pod": {"name": "web-0", "uid": "pod-uid-1"},
        "serviceaccount": {"name": "app", "uid": "y"},
    }
    assert list(claims["kubernetes.io"]) == ["namespace", "node", "pod", "serviceaccount"]
    # and kwi's own verifier reports the binding
    proc = verify(token, "--key", RSA_PUB, "--iss", ISS, "--aud", AUD, "--at", str(FIXED_IAT + 60), "--json")
    assert proc.returncode == 0, proc.stderr
    identity = json.loads(proc.stdout)["identity"]
    assert identity["pod"] == "web-0"
    assert identity["node"] == "node-a"


def test_legacy_token():
    token = mint(RSA_KEY, "--legacy", "--namespace", "default", "--service-account", "app", "--sa-uid", "y")
    _, payload, _ = segments(token)
    assert_keys_sorted(ordered(payload))
    claims = json.loads(payload)
    assert set(claims) == {
        "iss",
        "kubernetes.io/serviceaccount/namespace",
        "kubernetes.io/serviceaccount/secret.name",
        "kubernetes.io/serviceaccount/service-account.name",
        "kubernetes.io/serviceaccount/service-account.uid",
        "sub",
    }
    assert claims["iss"] == "kubernetes/serviceaccount"
    assert claims["sub"] == SUB
    assert claims["kubernetes.io/serviceaccount/namespace"] == "default"
    assert claims["kubernetes.io/serviceaccount/service-account.name"] == "app"
    assert claims["kubernetes.io/serviceaccount/service-account.uid"] == "y"
    assert claims["kubernetes.io/serviceaccount/secret.name"]
    assert "exp" not in claims and "aud" not in claims
    # signed for real
    jwt.decode(token, RSAKey.import_key(RSA_PUB.read_bytes()), algorithms=["RS256"])

    named = mint(
        RSA_KEY, "--legacy", "--namespace", "default", "--service-account", "app", "--secret-name", "app-token-abcde"
    )
    assert json.loads(segments(named)[1])["kubernetes.io/serviceaccount/secret.name"] == "app-token-abcde"


# --- 3. joserfc-minted tokens verify in kwi ---------------------------------------------------


@pytest.fixture(scope="module")
def jose_keys():
    """alg -> (private joserfc key, public PEM file for kwi, kid)."""
    return {
        "RS256": (RSAKey.import_key(RSA_KEY.read_bytes()), RSA_PUB, RSA_KID),
        "ES256": (ECKey.import_key(EC_KEY.read_bytes()), EC_PUB, EC_KID),
    }


def kwi_kid(path) -> str:
    return run_kwi("keys", "kid", path).stdout.strip()


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
@pytest.mark.parametrize("typ", [None, "JWT"])
def test_joserfc_token_verifies_in_kwi(jose_keys, alg, typ):
    key, pub, kid = jose_keys[alg]
    assert kwi_kid(pub) == kid
    token = jose_mint(key, alg, kid, kube_claims(), typ=typ)
    proc = verify(token, "--key", pub, "--iss", ISS, "--aud", AUD)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("valid: ")
    assert proc.stdout.splitlines()[0] == f"valid: {SUB}"


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_joserfc_token_signed_by_another_key_is_rejected(jose_keys, alg):
    _, pub, kid = jose_keys[alg]
    other = RSAKey.generate_key(2048) if alg == "RS256" else ECKey.generate_key("P-256")
    # the kid names the trusted key, the signature is another key's
    token = jose_mint(other, alg, kid, kube_claims())
    proc = verify(token, "--key", pub, "--iss", ISS, "--aud", AUD)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "token rejected" in proc.stderr
    assert not proc.stdout.startswith("valid")


def test_joserfc_token_expired_two_minutes_is_rejected(jose_keys):
    key, pub, kid = jose_keys["RS256"]
    now = int(time.time())
    token = jose_mint(key, "RS256", kid, kube_claims(now=now - 3600 - 120))
    proc = verify(token, "--key", pub, "--iss", ISS, "--aud", AUD)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "expired" in proc.stderr


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_joserfc_token_expired_30s_is_within_kubernetes_leeway(jose_keys, alg):
    key, pub, kid = jose_keys[alg]
    token = jose_mint(key, alg, kid, kube_claims(now=int(time.time()) - 3600 - 30))
    proc = verify(token, "--key", pub, "--iss", ISS, "--aud", AUD)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("valid: ")
    # the default profile is kubernetes
    proc = verify(token, "--key", pub, "--iss", ISS, "--aud", AUD, "--profile", "kubernetes")
    assert proc.returncode == 0, proc.stderr

    proc = verify(token, "--key", pub, "--iss", ISS, "--aud", AUD, "--profile", "sts")
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "expired" in proc.stderr


def test_joserfc_token_wrong_audience_is_rejected(jose_keys):
    key, pub, kid = jose_keys["ES256"]
    token = jose_mint(key, "ES256", kid, kube_claims())
    proc = verify(token, "--key", pub, "--iss", ISS, "--aud", "vault")
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "token rejected" in proc.stderr
    # one matching audience of several is enough
    proc = verify(token, "--key", pub, "--iss", ISS, "--aud", "vault", "--aud", AUD)
    assert proc.returncode == 0, proc.stderr


def test_joserfc_token_wrong_audience_vault_message(jose_keys):
    key, pub, kid = jose_keys["RS256"]
    token = jose_mint(key, "RS256", kid, kube_claims())
    proc = verify(token, "--key", pub, "--iss", ISS, "--aud", AUD, "--profile", "vault")
    assert proc.returncode == 0, proc.stderr
    proc = verify(token, "--key", pub, "--iss", ISS, "--profile", "vault", "--aud", "other")
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "invalid audience (aud) claim" in proc.stderr


def test_joserfc_token_wrong_issuer_is_rejected(jose_keys):
    key, pub, kid = jose_keys["RS256"]
    token = jose_mint(key, "RS256", kid, kube_claims(iss="https://elsewhere.example.com"))
    proc = verify(token, "--key", pub, "--iss", ISS, "--aud", AUD)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "token rejected" in proc.stderr


# --- 4. --jwks, --json, unreadable input ------------------------------------------------------


@pytest.fixture(scope="module")
def jwks_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("jwks") / "keys.json"
    path.write_text(run_kwi("jwks", RSA_PUB, EC_PUB).stdout)
    return path


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_verify_with_jwks_file(jose_keys, jwks_file, alg):
    key, _, kid = jose_keys[alg]
    kids = [k["kid"] for k in json.loads(jwks_file.read_text())["keys"]]
    assert kids == [RSA_KID, EC_KID]
    token = jose_mint(key, alg, kid, kube_claims())
    proc = verify(token, "--jwks", jwks_file, "--iss", ISS, "--aud", AUD)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("valid: ")

    # a kwi-minted token too
    kwi_token = mint(RSA_KEY if alg == "RS256" else EC_KEY, *MINT_ARGS)
    proc = verify(kwi_token, "--jwks", jwks_file, "--iss", ISS, "--aud", AUD)
    assert proc.returncode == 0, proc.stderr


def test_verify_with_jwks_file_of_other_key_is_rejected(jose_keys, tmp_path):
    other = tmp_path / "other.json"
    other.write_text(run_kwi("jwks", OTHER_RSA_PUB).stdout)
    key, _, kid = jose_keys["RS256"]
    proc = verify(jose_mint(key, "RS256", kid, kube_claims()), "--jwks", other, "--iss", ISS, "--aud", AUD)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "token rejected" in proc.stderr


def test_verify_json_output(jose_keys, jwks_file):
    key, _, kid = jose_keys["ES256"]
    claims = kube_claims()
    token = jose_mint(key, "ES256", kid, claims)
    proc = verify(token, "--jwks", jwks_file, "--iss", ISS, "--aud", AUD, "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["valid"] is True
    assert doc["claims"] == claims
    assert doc["header"] == {"alg": "ES256", "kid": EC_KID}
    assert "error" not in doc or doc["error"] is None
    assert doc["identity"]["namespace"] == "default"
    assert doc["identity"]["serviceaccount"] == "app"


def test_verify_json_output_when_rejected(jose_keys):
    key, pub, kid = jose_keys["RS256"]
    token = jose_mint(key, "RS256", kid, kube_claims(now=int(time.time()) - 7200))
    proc = verify(token, "--key", pub, "--iss", ISS, "--aud", AUD, "--json")
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    doc = json.loads(proc.stdout)
    assert doc["valid"] is False
    assert "expired" in doc["error"]


@pytest.mark.parametrize("garbage", ["not.a.token", "eyJhbGciOiJSUzI1NiJ9.e30.", "a.b.c.d.e"])
def test_verify_garbage_token_is_malformed(garbage):
    proc = verify(garbage, "--key", RSA_PUB)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "malformed" in proc.stderr


def test_verify_missing_key_file_is_exit_2(jose_keys, tmp_path):
    key, _, kid = jose_keys["RS256"]
    token = jose_mint(key, "RS256", kid, kube_claims())
    proc = verify(token, "--key", tmp_path / "absent.pub", "--iss", ISS, "--aud", AUD)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "absent.pub" in proc.stderr
    proc = verify(token, "--jwks", tmp_path / "absent.json", "--iss", ISS, "--aud", AUD)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)


def test_verify_token_from_stdin_and_file(jose_keys, tmp_path):
    key, pub, kid = jose_keys["RS256"]
    token = jose_mint(key, "RS256", kid, kube_claims())
    proc = run_kwi("token", "verify", "-", "--key", pub, "--iss", ISS, "--aud", AUD, input=token + "\n", check=False)
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "token.jwt"
    path.write_text(token + "\n")
    proc = verify(path, "--key", pub, "--iss", ISS, "--aud", AUD)
    assert proc.returncode == 0, proc.stderr


# --- 5. kwi token inspect ---------------------------------------------------------------------


def test_inspect_text():
    token = mint(RSA_KEY, *MINT_ARGS, "--sa-uid", "y", "--jti", "fixed-jti")
    proc = run_kwi("token", "inspect", token)
    out = proc.stdout
    assert "NOT VERIFIED" in out.splitlines()[0]
    for text in (RSA_KID, "RS256", ISS, SUB, AUD, "fixed-jti", '"uid":"y"'):
        assert text in out, f"{text!r} missing from:\n{out}"
    assert "warning" not in out.lower()


def test_inspect_expired_warns():
    # issued two hours ago with the default 1 h lifetime: expired an hour ago
    token = mint(RSA_KEY, *MINT_ARGS, "--issued-at", str(int(time.time()) - 7200))
    proc = run_kwi("token", "inspect", token)
    warnings = [line for line in proc.stdout.splitlines() if "expired" in line.lower()]
    assert warnings, proc.stdout
    doc = json.loads(run_kwi("token", "inspect", token, "--json").stdout)
    assert any("expired" in w for w in doc["warnings"]), doc["warnings"]

    # a token expired 2 minutes ago, minted by joserfc
    recent = jose_mint(
        RSAKey.import_key(RSA_KEY.read_bytes()), "RS256", RSA_KID, kube_claims(now=int(time.time()) - 3720)
    )
    doc = json.loads(run_kwi("token", "inspect", recent, "--json").stdout)
    assert any("expired" in w for w in doc["warnings"]), doc["warnings"]


def test_inspect_legacy_warns():
    token = mint(RSA_KEY, "--legacy", "--namespace", "default", "--service-account", "app")
    proc = run_kwi("token", "inspect", token)
    assert any("legacy" in line.lower() and "warning" in line.lower() for line in proc.stdout.splitlines()), proc.stdout
    doc = json.loads(run_kwi("token", "inspect", token, "--json").stdout)
    assert any("legacy" in w for w in doc["warnings"]), doc["warnings"]


def test_inspect_json():
    token = mint(EC_KEY, *MINT_ARGS, *FIXED)
    header, payload, _ = segments(token)
    proc = run_kwi("token", "inspect", token, "--json")
    doc = json.loads(proc.stdout)
    assert set(doc) == {"header", "claims", "warnings", "verified"}
    assert doc["verified"] is False
    assert doc["header"] == json.loads(header) == {"alg": "ES256", "kid": EC_KID}
    assert doc["claims"] == json.loads(payload)
    assert isinstance(doc["warnings"], list)


def test_inspect_stdin_and_file(tmp_path):
    token = mint(RSA_KEY, *MINT_ARGS)
    expected = json.loads(run_kwi("token", "inspect", token, "--json").stdout)
    via_stdin = json.loads(run_kwi("token", "inspect", "-", "--json", input=token + "\n").stdout)
    via_default = json.loads(run_kwi("token", "inspect", "--json", input=token).stdout)
    path = tmp_path / "token"
    path.write_text(token + "\n")
    via_file = json.loads(run_kwi("token", "inspect", path, "--json").stdout)
    assert via_stdin == via_default == via_file == expected
    assert "NOT VERIFIED" in run_kwi("token", "inspect", "-", input=token).stdout


def test_inspect_does_not_verify():
    """A token signed by an unknown key still inspects (exit 0) and says it is not verified."""
    token = jose_mint(RSAKey.generate_key(2048), "RS256", "unknown-kid", kube_claims())
    proc = run_kwi("token", "inspect", token)
    assert "NOT VERIFIED" in proc.stdout
    assert "unknown-kid" in proc.stdout
