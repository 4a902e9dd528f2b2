"""Regression tests for what the attack sweep of `kwi serve` found (issue "kwi serve under
attack"): each failed on the code before its fix."""

import base64
import json
import os
import stat
import subprocess
import urllib.request

import pytest

from conftest import KWI, ROOT, free_port, launch_kwi, start_kwi

# The order of P-256.
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def kwi_serve_fails(tmp_path, *args, env=None):
    """Runs `kwi serve ARGS` expecting it to refuse to start: (exit code, standard error)."""
    result = launch_kwi([*args, "--listen", f"127.0.0.1:{free_port()}", "--data-dir", tmp_path / "data"], tmp_path / "kwi.log", env=env)
    assert isinstance(result, tuple), "kwi serve started"
    return result


@pytest.mark.parametrize("token", ["", " root", "root ", "ro\tot"])
def test_a_dev_root_token_that_would_open_the_server_is_refused(tmp_path, token):
    code, log = kwi_serve_fails(tmp_path, "--dev", "--dev-root-token-id", token)
    assert code == 2
    assert "--dev-root-token-id" in log


def test_an_untrimmed_root_token_is_refused(tmp_path):
    code, log = kwi_serve_fails(tmp_path, "--root-token", "secret\n")
    assert code == 2
    assert "--root-token" in log and "white space" in log


def test_a_wrong_vault_token_is_not_rescued_by_a_right_bearer_token(kwi_server):
    status, _, _ = kwi_server.request("POST", "sys/auth/bearer-probe", {"type": "jwt"}, token="wrong", headers={"Authorization": f"Bearer {ROOT}"})
    assert status == 403
    # The bearer token alone still works, as in Vault.
    status, _, _ = kwi_server.request("POST", "sys/auth/bearer-probe", {"type": "jwt"}, token=None, headers={"Authorization": f"Bearer {ROOT}"})
    assert status == 204


def login_token(server, tmp_path) -> str:
    """A client token from a real login on mount `hard`."""
    key = tmp_path / "sa.key"
    subprocess.run([KWI, "keys", "generate", "--out", key, "--public-out", tmp_path / "sa.pub"], check=True, capture_output=True)
    jwt = subprocess.run([KWI, "token", "mint", "--key", key, "--issuer", "https://k8s.example", "--sub", "system:serviceaccount:default:app", "--aud", "vault"], check=True, capture_output=True, text=True).stdout.strip()
    assert server.request("POST", "sys/auth/hard", {"type": "jwt"})[0] == 204
    assert server.request("POST", "auth/hard/config", {"jwt_validation_pubkeys": [(tmp_path / "sa.pub").read_text()]})[0] == 204
    assert server.request("POST", "auth/hard/role/app", {"role_type": "jwt", "user_claim": "sub", "bound_audiences": ["vault"], "token_ttl": 600})[0] == 204
    status, body, _ = server.request("POST", "auth/hard/login", {"role": "app", "jwt": jwt}, token=None)
    assert status == 200, body
    return body["auth"]["client_token"]


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_client_token_has_one_signature_encoding(tmp_path):
    server = start_kwi(tmp_path)
    try:
        token = login_token(server, tmp_path)
        head, claims, sig = token.split(".")
        raw = unb64(sig)
        r, s = raw[:32], int.from_bytes(raw[32:], "big")
        assert s <= P256_N // 2, "kwi issues low-S signatures"
        twin = f"{head}.{claims}.{b64(r + (P256_N - s).to_bytes(32, 'big'))}"
        # The twin is a valid ECDSA signature of the same bytes (verify raises if not)...
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        key_pem = (tmp_path / "kwi-data" / "keyring" / "client-signing.pem").read_bytes()
        public = load_pem_private_key(key_pem, None).public_key()
        public.verify(encode_dss_signature(int.from_bytes(r, "big"), P256_N - s), f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        # ...but kwi accepts only the encoding it issued.
        assert server.request("GET", "auth/token/lookup-self", token=token)[0] == 200
        assert server.request("GET", "auth/token/lookup-self", token=twin)[0] == 403
    finally:
        server.process.terminate()
        server.process.wait(timeout=15)


def test_the_data_directory_is_private_whatever_the_umask(tmp_path):
    data = tmp_path / "kwi-data"
    script = f"umask 000 && exec {KWI} serve --dev --listen 127.0.0.1:{free_port()} --data-dir {data}"
    process = subprocess.Popen(["sh", "-c", script], stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while "listening on" not in line:
            line = process.stderr.readline()
            assert line, "kwi serve stopped"
    finally:
        process.terminate()
        process.wait(timeout=15)
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)  # noqa: E731
    assert mode(data) == 0o700
    assert mode(data / "keyring") == 0o700
    assert mode(data / "kwi.redb") == 0o600
    assert mode(data / "keyring" / "client-signing.pem") == 0o600


def test_a_readable_signing_key_is_warned_about(tmp_path):
    server = start_kwi(tmp_path)
    server.process.terminate()
    server.process.wait(timeout=15)
    os.chmod(tmp_path / "kwi-data" / "keyring" / "client-signing.pem", 0o644)
    again = launch_kwi(["--dev", "--listen", "127.0.0.1:0", "--data-dir", tmp_path / "kwi-data"], tmp_path / "again.log")
    try:
        assert "client-signing.pem: kwi's signing key is readable by other users" in (tmp_path / "again.log").read_text()
    finally:
        again.process.terminate()
        again.process.wait(timeout=15)


def test_an_empty_store_file_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "kwi.redb").write_bytes(b"")
    code, log = kwi_serve_fails(tmp_path, "--dev")
    assert code == 2
    assert "kwi.redb: the store is an empty file" in log


def test_a_corrupted_store_never_crashes_kwi(tmp_path):
    """One page of the store overwritten with garbage, page after page: kwi either refuses to
    start, naming the file (exit 2; redb panicked inside before, exit 101), or starts and answers
    every request (an error is fine), never dropping a connection."""
    server = start_kwi(tmp_path)
    assert server.request("POST", "sys/auth/jwt", {"type": "jwt"})[0] == 204
    for i in range(40):
        assert server.request("POST", f"auth/jwt/role/r{i}", {"role_type": "jwt", "user_claim": "sub", "bound_audiences": "v"})[0] == 204
    server.process.terminate()
    server.process.wait(timeout=15)
    db = tmp_path / "kwi-data" / "kwi.redb"
    pristine = db.read_bytes()
    outcomes = set()
    for page in range(1, len(pristine) // 4096):
        data = bytearray(pristine)
        data[page * 4096:(page + 1) * 4096] = bytes((page * 37 + i) % 256 for i in range(4096))
        db.write_bytes(bytes(data))
        again = launch_kwi(["--dev", "--dev-root-token-id", ROOT, "--listen", "127.0.0.1:0", "--data-dir", tmp_path / "kwi-data"], tmp_path / f"again{page}.log")
        if isinstance(again, tuple):
            code, log = again
            assert code == 2 and "kwi.redb" in log and "damaged" in log, log[-2000:]
            outcomes.add("refused")
            continue
        try:
            for method, path in [("LIST", "auth/jwt/role"), ("GET", "auth/jwt/role/r1"), ("GET", "sys/auth")]:
                status, answer, _ = again.request(method, path)  # raises if the connection dropped
                assert status in (200, 404, 500), (page, method, path, status, answer)
            assert again.request("GET", "sys/health", token=None)[0] == 200
            outcomes.add("served")
        finally:
            again.process.terminate()
            again.process.wait(timeout=15)
    assert "refused" in outcomes, "no corruption was noticed: the test corrupts nothing that matters"


@pytest.mark.parametrize("name", ["nul\x00x", "cr\rx", "lf\nx", "rtl\u202ex", "esc\x1b[2J", "a" * 5000])
def test_mount_paths_refuse_control_characters_and_huge_names(kwi_server, name):
    from urllib.parse import quote

    status, body, _ = kwi_server.request("POST", f"sys/auth/{quote(name, safe='')}", {"type": "jwt"})
    assert status == 400, body
    listed = kwi_server.request("GET", "sys/auth")[1]["data"]
    assert not any(name in m for m in listed)


def test_metrics_never_print_a_raw_control_character(kwi_server):
    with urllib.request.urlopen(f"{kwi_server.addr}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    assert "\r" not in text and "\x00" not in text


def test_token_verify_reads_a_large_key_set_in_linear_time(tmp_path):
    """80,000 keys (a 14 MB JWKS): verified against the last one. Pairwise duplicate checks
    made this 44 s for 100,000 keys; it is a correctness check here (speed is for benchmarks)."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    def coord(n):
        return b64(n.to_bytes(32, "big"))

    keys = []
    shared = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    for i in range(80_000):  # one key under many kids, as a large multi-cluster set has
        keys.append({"kty": "EC", "crv": "P-256", "kid": f"k{i}", "x": coord(shared.x), "y": coord(shared.y)})
    signer = ec.generate_private_key(ec.SECP256R1())
    numbers = signer.public_key().public_numbers()
    keys.append({"kty": "EC", "crv": "P-256", "kid": "last", "x": coord(numbers.x), "y": coord(numbers.y)})
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": keys}))
    (tmp_path / "signer.pem").write_bytes(signer.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    token = subprocess.run([KWI, "token", "mint", "--key", tmp_path / "signer.pem", "--kid", "last", "--issuer", "https://k8s.example", "--sub", "system:serviceaccount:a:b", "--aud", "x"], check=True, capture_output=True, text=True).stdout.strip()
    result = subprocess.run([KWI, "token", "verify", token, "--key", tmp_path / "jwks.json", "--aud", "x"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
