"""`kwi issuer serve` fetched by curl, Python requests and `kwi token verify --issuer-url`, over HTTP
on loopback and HTTPS with a local CA; ETag/304, HEAD, CORS, 404/405; reload under load with no
failed request, a corrupt key file during reload, SIGHUP, certificate rotation on disk."""

import json
import os
import shutil
import signal
import subprocess
import threading
import time

import requests

from conftest import KWI, free_port, make_ca, make_leaf


def kwi(*args, check=0):
    proc = subprocess.run([str(KWI), *map(str, args)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == check, proc.stderr
    return proc


def keypair(tmp_path, name, alg="ES256"):
    kwi("keys", "generate", "--alg", alg, "--out", tmp_path / f"{name}.key", "--public-out", tmp_path / f"{name}.pub")
    return tmp_path / f"{name}.key", tmp_path / f"{name}.pub"


def metric(url, name):
    for line in requests.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def wait_until(condition, what, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_documents_and_headers(tmp_path, launch):
    _, pub = keypair(tmp_path, "sa")
    kwi("issuer", "build", "--issuer", "https://oidc.example.com/clusters/prod/", "--key", pub, "--out", tmp_path / "site")
    server = launch("--site", tmp_path / "site", "--listen", "127.0.0.1:0", "--max-age", "600")
    base = f"{server.url}/clusters/prod"
    discovery = requests.get(f"{base}/.well-known/openid-configuration", timeout=10)
    assert discovery.status_code == 200
    assert discovery.content == (tmp_path / "site/.well-known/openid-configuration").read_bytes()
    assert discovery.headers["Content-Type"] == "application/json"
    assert discovery.headers["Cache-Control"] == "public, max-age=600"
    assert discovery.headers["Access-Control-Allow-Origin"] == "*"
    assert discovery.headers["Vary"] == "Accept-Encoding"
    # The issuer with its trailing slash, byte for byte.
    assert discovery.json()["issuer"] == "https://oidc.example.com/clusters/prod/"
    jwks = requests.get(f"{base}/openid/v1/jwks", timeout=10)
    assert jwks.headers["Content-Type"] == "application/jwk-set+json"
    assert jwks.content == (tmp_path / "site/openid/v1/jwks").read_bytes()

    etag = discovery.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = requests.get(f"{base}/.well-known/openid-configuration", headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    other = requests.get(f"{base}/.well-known/openid-configuration", headers={"If-None-Match": '"other"'}, timeout=10)
    assert other.status_code == 200

    head = subprocess.run(["curl", "-sS", "-I", f"{base}/openid/v1/jwks"], capture_output=True, text=True, timeout=10).stdout
    assert head.startswith("HTTP/1.1 200") and f"content-length: {len(jwks.content)}" in head.lower()
    for path in ["/.well-known/openid-configuration", "/clusters/prod", "/clusters/prod/openid/v1/jwks/", "/clusters/prod/../prod/openid/v1/jwks"]:
        # --path-as-is: the dot segment reaches the server as sent.
        code = subprocess.run(["curl", "-s", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", f"{server.url}{path}"],
                              capture_output=True, text=True, timeout=10).stdout  # fmt: skip
        assert code == "404", path
    post = requests.post(f"{base}/openid/v1/jwks", data=b"x", timeout=10)
    assert post.status_code == 405 and post.headers["Allow"] == "GET, HEAD"
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
    assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 200
    text = requests.get(f"{server.url}/metrics", timeout=10).text
    assert 'kwi_issuer_requests_total{path="discovery",status="304"} 1' in text
    assert 'kwi_issuer_requests_total{path="jwks",status="405"} 1' in text

    server.stop()
    assert server.process.returncode == 0
    lines = [json.loads(l) for l in server.log.read_text().splitlines() if l.startswith("{")]
    requests_logged = [(l["method"], l["path"], l["status"]) for l in lines if l["msg"] == "request"]
    assert ("POST", "/clusters/prod/openid/v1/jwks", "405") in requests_logged
    assert ("GET", "/clusters/prod/.well-known/openid-configuration", "304") in requests_logged
    assert "kwi: stopped" in server.log.read_text()


def test_https_verified_by_kwi_token_verify(tmp_path, launch):
    ca = make_ca(tmp_path, "one")
    tls_key, tls_cert = make_leaf(tmp_path, ca, "tls")
    key, pub = keypair(tmp_path, "sa", "RS256")
    port = free_port()
    issuer = f"https://127.0.0.1:{port}/c1"
    server = launch("--issuer", issuer, "--key", pub, "--listen", f"127.0.0.1:{port}", "--tls-cert", tls_cert, "--tls-key", tls_key)
    assert server.url.startswith("https://")
    token = kwi("token", "mint", "--key", key, "--issuer", issuer, "--namespace", "ns", "--service-account", "app", "--aud", "sts.amazonaws.com").stdout.strip()
    ok = kwi("token", "verify", token, "--issuer-url", issuer, "--ca-file", ca[1], "--aud", "sts.amazonaws.com", "--profile", "sts")
    assert "system:serviceaccount:ns:app" in ok.stdout
    curl = subprocess.run(["curl", "-sS", "--cacert", ca[1], f"{issuer}/openid/v1/jwks"], capture_output=True, text=True, timeout=10)
    assert json.loads(curl.stdout)["keys"][0]["kid"] == kwi("keys", "kid", pub).stdout.strip()
    assert requests.get(f"{issuer}/.well-known/openid-configuration", verify=str(ca[1]), timeout=10).json()["issuer"] == issuer
    # Untrusted without the CA.
    assert subprocess.run(["curl", "-sS", f"{issuer}/openid/v1/jwks"], capture_output=True, timeout=10).returncode != 0


def test_reload_under_load_and_a_corrupt_key(tmp_path, launch):
    _, pub1 = keypair(tmp_path, "one")
    _, pub2 = keypair(tmp_path, "two")
    live = tmp_path / "live.pub"
    shutil.copy(pub1, live)
    server = launch("--issuer", "https://oidc.example.com", "--key", live, "--listen", "127.0.0.1:0", "--no-access-log")
    url = f"{server.url}/openid/v1/jwks"
    first = requests.get(url, timeout=10).content
    failures, bodies, stop = [], set(), threading.Event()

    def load():
        with requests.Session() as session:
            while not stop.is_set():
                try:
                    r = session.get(url, timeout=10)
                    if r.status_code != 200:
                        failures.append(r.status_code)
                    bodies.add(r.content)
                except requests.RequestException as e:
                    failures.append(repr(e))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        # A new key, swapped in as a Secret update does it (write beside, rename over).
        shutil.copy(pub2, tmp_path / "live.tmp")
        os.replace(tmp_path / "live.tmp", live)
        wait_until(lambda: requests.get(url, timeout=10).content != first, "the new JWKS")
        second = requests.get(url, timeout=10).content
        assert json.loads(second)["keys"][0]["kid"] == kwi("keys", "kid", pub2).stdout.strip()
        assert metric(server.url, "kwi_issuer_documents_generation") >= 2

        # A corrupt key file: the reload is refused, the last good documents stay.
        live.write_text("-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n")
        wait_until(lambda: metric(server.url, "kwi_issuer_reload_failures_total") >= 1, "the refused reload")
        assert requests.get(url, timeout=10).content == second
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == []
    assert bodies <= {first, second}
    # Log lines are written in batches, within a tenth of a second.
    wait_until(lambda: "reload failed: the last good documents are still served" in server.log.read_text(), "the log line")


def test_sighup_reloads(tmp_path, launch):
    _, pub = keypair(tmp_path, "sa")
    kwi("issuer", "build", "--issuer", "https://oidc.example.com", "--key", pub, "--out", tmp_path / "site")
    server = launch("--site", tmp_path / "site", "--listen", "127.0.0.1:0")
    assert metric(server.url, "kwi_issuer_documents_generation") == 1
    server.process.send_signal(signal.SIGHUP)
    wait_until(lambda: metric(server.url, "kwi_issuer_documents_generation") >= 2, "the SIGHUP reload")


def test_certificate_rotation_on_disk(tmp_path, launch):
    ca1, ca2 = make_ca(tmp_path, "one"), make_ca(tmp_path, "two")
    key1, cert1 = make_leaf(tmp_path, ca1, "leaf1")
    key2, cert2 = make_leaf(tmp_path, ca2, "leaf2")
    shutil.copy(key1, tmp_path / "tls.key")
    shutil.copy(cert1, tmp_path / "tls.crt")
    _, pub = keypair(tmp_path, "sa")
    server = launch("--issuer", "https://oidc.example.com", "--key", pub, "--listen", "127.0.0.1:0",
                    "--tls-cert", tmp_path / "tls.crt", "--tls-key", tmp_path / "tls.key")  # fmt: skip
    healthz = f"{server.url}/healthz"
    assert requests.get(healthz, verify=str(ca1[1]), timeout=10).status_code == 200
    # cert-manager renews: both files replaced.
    shutil.copy(key2, tmp_path / "tls.key.new")
    shutil.copy(cert2, tmp_path / "tls.crt.new")
    os.replace(tmp_path / "tls.key.new", tmp_path / "tls.key")
    os.replace(tmp_path / "tls.crt.new", tmp_path / "tls.crt")

    def served_by_ca2():
        try:
            return requests.get(healthz, verify=str(ca2[1]), timeout=5).status_code == 200
        except requests.exceptions.SSLError:
            return False

    wait_until(served_by_ca2, "the renewed certificate")


def test_plain_http_stays_on_loopback(tmp_path):
    _, pub = keypair(tmp_path, "sa")
    proc = kwi("issuer", "serve", "--issuer", "https://oidc.example.com", "--key", pub, "--listen", "0.0.0.0:0", check=2)
    assert "loopback" in proc.stderr and "--tls-cert" in proc.stderr


def test_public_url_moves_the_paths(tmp_path, launch):
    # A proxy maps https://oidc.example.com/clusters/prod onto this server's /: --public-url.
    _, pub = keypair(tmp_path, "sa")
    port = free_port()
    server = launch("--issuer", "https://oidc.example.com/clusters/prod", "--key", pub, "--listen", f"127.0.0.1:{port}",
                    "--public-url", f"http://127.0.0.1:{port}/")  # fmt: skip
    doc = requests.get(f"{server.url}/.well-known/openid-configuration", timeout=10)
    assert doc.status_code == 200 and doc.json()["issuer"] == "https://oidc.example.com/clusters/prod"
    assert requests.get(f"{server.url}/openid/v1/jwks", timeout=10).status_code == 200
    assert requests.get(f"{server.url}/clusters/prod/openid/v1/jwks", timeout=10).status_code == 404
