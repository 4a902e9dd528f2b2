"""kwi token verify --issuer-url / --jwks-url against a real HTTPS issuer on 127.0.0.1.

The server is Python's http.server behind TLS, with a certificate chain made here by `cryptography`
(a self-signed CA and a leaf for IP 127.0.0.1 and DNS localhost). It serves the folder
`kwi issuer build` writes, plus a few broken variants: a discovery document naming another issuer,
a path answering 500, and (separately) a TCP server that accepts and never answers.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from tls_issuer import PKI, Handler, TLSServer
from interop_helpers import AUD, EC_KEY, EC_PUB, RSA_KEY, RSA_PUB, run_kwi

DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/openid/v1/jwks"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


class Issuer:
    def __init__(self, server: TLSServer, directory: Path):
        self.server = server
        self.port = server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.dir = directory

    @property
    def requests(self) -> list[str]:
        return self.server.requests


@pytest.fixture
def issuer(pki, tmp_path):
    server = TLSServer(pki.server_context())
    port = server.server_address[1]
    url = f"https://127.0.0.1:{port}"
    site = tmp_path / "site"
    run_kwi("issuer", "build", "--issuer", url, "--key", RSA_PUB, "--key", EC_PUB, "--out", site)
    discovery = (site / DISCOVERY.lstrip("/")).read_bytes()
    jwks = (site / JWKS.lstrip("/")).read_bytes()
    assert f'"jwks_uri":"{url}{JWKS}"'.encode() in discovery
    server.routes = {
        DISCOVERY: discovery,
        JWKS: jwks,
        # the same document under /other: it names {url} as its issuer, not {url}/other
        "/other" + DISCOVERY: discovery,
        "/fail" + DISCOVERY: 500,
        "/fail/jwks": 500,
    }
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Issuer(server, site)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never sends a byte."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept_and_sleep():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            held.append(conn)  # keep it open, read nothing, answer nothing

    thread = threading.Thread(target=accept_and_sleep, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for conn in held:
            conn.close()


# --- helpers -----------------------------------------------------------------------------------


def mint(key: Path, issuer_url: str, aud: str = AUD) -> str:
    proc = run_kwi(
        "token", "mint", "--key", key, "--issuer", issuer_url,
        "--namespace", "default", "--service-account", "app", "--aud", aud,
    )  # fmt: skip
    return proc.stdout.strip()


def verify(*args):
    """kwi token verify, returning (CompletedProcess, seconds taken)."""
    start = time.monotonic()
    proc = run_kwi("token", "verify", *args, check=False)
    return proc, time.monotonic() - start


# --- tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [RSA_KEY, EC_KEY], ids=["RS256", "ES256"])
def test_issuer_url_with_ca_file(issuer, pki, key):
    token = mint(key, issuer.url)
    proc, _ = verify(token, "--issuer-url", issuer.url, "--ca-file", pki.ca_file, "--aud", AUD)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("valid: system:serviceaccount:default:app")
    assert issuer.url in proc.stdout
    # discovery first, then the JWKS it names
    assert issuer.requests == [DISCOVERY, JWKS]


def test_issuer_url_is_the_expected_issuer(issuer, pki):
    """Without --iss, --issuer-url is the issuer the token must name."""
    token = mint(RSA_KEY, "https://issuer.example.com")
    proc, _ = verify(token, "--issuer-url", issuer.url, "--ca-file", pki.ca_file, "--aud", AUD)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "token rejected" in proc.stderr
    assert "iss" in proc.stderr


def test_issuer_url_wrong_audience(issuer, pki):
    token = mint(RSA_KEY, issuer.url)
    proc, _ = verify(token, "--issuer-url", issuer.url, "--ca-file", pki.ca_file, "--aud", "vault")
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "token rejected" in proc.stderr


def test_jwks_url_with_ca_file(issuer, pki):
    token = mint(EC_KEY, issuer.url)
    proc, _ = verify(
        token, "--jwks-url", issuer.url + JWKS, "--ca-file", pki.ca_file, "--iss", issuer.url, "--aud", AUD
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("valid: ")
    assert issuer.requests == [JWKS]


def test_jwks_url_token_of_another_key_is_rejected(issuer, pki, tmp_path):
    other_key = tmp_path / "other.key"
    run_kwi("keys", "generate", "--alg", "ES256", "--out", other_key)
    token = mint(other_key, issuer.url)
    proc, _ = verify(token, "--jwks-url", issuer.url + JWKS, "--ca-file", pki.ca_file, "--aud", AUD)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "token rejected" in proc.stderr


@pytest.mark.parametrize("how", ["issuer-url", "jwks-url"])
def test_untrusted_certificate(issuer, how):
    token = mint(RSA_KEY, issuer.url)
    target = issuer.url if how == "issuer-url" else issuer.url + JWKS
    proc, _ = verify(token, f"--{how}", target, "--aud", AUD)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert f"https://127.0.0.1:{issuer.port}" in proc.stderr
    assert "certificate" in proc.stderr
    assert issuer.requests == []  # nothing was fetched over the untrusted connection


def test_certificate_of_another_ca(issuer, pki):
    token = mint(RSA_KEY, issuer.url)
    proc, _ = verify(token, "--issuer-url", issuer.url, "--ca-file", pki.other_ca_file, "--aud", AUD)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert f"https://127.0.0.1:{issuer.port}" in proc.stderr
    assert issuer.requests == []


def test_discovery_names_another_issuer(issuer, pki):
    other = issuer.url + "/other"
    token = mint(RSA_KEY, other)
    proc, _ = verify(token, "--issuer-url", other, "--ca-file", pki.ca_file, "--aud", AUD)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "issuer" in proc.stderr
    assert f'"{issuer.url}"' in proc.stderr  # the issuer the document names
    assert "/other" + DISCOVERY in issuer.requests
    assert JWKS not in issuer.requests  # stopped before fetching the keys


@pytest.mark.parametrize("how", ["issuer-url", "jwks-url"])
def test_server_error_500(issuer, pki, how):
    token = mint(RSA_KEY, issuer.url + "/fail")
    target = issuer.url + "/fail" if how == "issuer-url" else issuer.url + "/fail/jwks"
    proc, _ = verify(token, f"--{how}", target, "--ca-file", pki.ca_file, "--aud", AUD)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "500" in proc.stderr
    assert len(issuer.requests) == 1


def test_redirect_to_plain_http_is_refused(issuer, pki):
    """HTTPS only, redirects included: a JWKS that sends kwi to a plain-HTTP copy of itself is
    not followed."""
    plain = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    plain.routes, plain.requests = {JWKS: issuer.server.routes[JWKS]}, []
    threading.Thread(target=plain.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        issuer.server.routes["/moved/jwks"] = f"http://127.0.0.1:{plain.server_address[1]}{JWKS}"
        token = mint(RSA_KEY, issuer.url)
        proc, _ = verify(token, "--jwks-url", issuer.url + "/moved/jwks", "--ca-file", pki.ca_file, "--aud", AUD)
    finally:
        plain.shutdown()
        plain.server_close()
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "/moved/jwks" in proc.stderr
    assert issuer.requests == ["/moved/jwks"]
    assert plain.requests == []


def test_server_that_never_answers_times_out(pki, silent_server):
    """The only slow test: kwi's HTTP timeout is 15 s."""
    url = f"https://127.0.0.1:{silent_server}"
    token = mint(RSA_KEY, url)
    proc, took = verify(token, "--jwks-url", url + JWKS, "--ca-file", pki.ca_file, "--aud", AUD)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert took < 20, f"kwi took {took:.1f} s to give up"
    assert url in proc.stderr
    assert "timed out" in proc.stderr


def test_ca_file_pins_the_ca(issuer, pki):
    """--ca-file replaces the platform's roots (as curl's --cacert and OpenBao's jwks_ca_pem):
    a server the platform trusts is refused when its CA is not the one given."""
    import os
    import subprocess

    from interop_helpers import KWI

    token = mint(RSA_KEY, issuer.url)
    env = dict(os.environ, SSL_CERT_FILE=str(pki.ca_file))  # the platform now trusts the server
    args = [KWI, "token", "verify", token, "--issuer-url", issuer.url, "--aud", AUD]
    trusted = subprocess.run(args, env=env, capture_output=True, text=True)
    assert trusted.returncode == 0, trusted.stderr
    pinned = subprocess.run([*args, "--ca-file", pki.other_ca_file], env=env, capture_output=True, text=True)
    assert pinned.returncode == 2, pinned.stderr
    assert "certificate" in pinned.stderr
