"""kwi serve with remote keys: a local JWKS server that rotates keys, fails, answers garbage and
hangs. Logins with cached keys keep working, rotated keys are picked up, and refetches on unknown
kids are bounded (one at a time, at most one per 5 s cooldown)."""

import json
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from conftest import ROOT, b64url, launch_kwi

NOW = int(time.time())


class JwksServer:
    def __init__(self):
        self.keys = {}  # path -> list of RSAKey
        self.raw = {}  # path -> any JSON document, served as it is
        self.mode = "ok"  # ok | 500 | garbage | hang
        self.hits = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                if outer.mode == "500":
                    self.send_response(500)
                    self.end_headers()
                    return
                if outer.mode == "hang":
                    time.sleep(30)
                    return
                if self.path == "/.well-known/openid-configuration":
                    body = json.dumps({"issuer": outer.url, "jwks_uri": outer.url + "/keys"}).encode()
                elif self.path in outer.raw:
                    body = json.dumps(outer.raw[self.path]).encode()
                elif self.path in outer.keys:
                    body = json.dumps({"keys": [k.as_dict(private=False) for k in outer.keys[self.path]]}).encode()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                if outer.mode == "garbage":
                    body = b"<html>not json"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


@pytest.fixture
def jwks():
    server = JwksServer()
    yield server
    server.mode = "ok"
    server.close()


def new_key(kid=None):
    return RSAKey.generate_key(2048, parameters={"kid": kid or str(uuid.uuid4()), "use": "sig", "alg": "RS256"}, private=True)


def token(key, sub="system:serviceaccount:default:app", kid=None):
    claims = {"iss": "https://k", "sub": sub, "aud": ["vault"], "iat": NOW, "nbf": NOW, "exp": NOW + 3600}
    return jwt.encode({"alg": "RS256", "kid": kid or key.kid}, claims, key)


def mount(server, config, name=None):
    name = name or f"remote{uuid.uuid4().hex[:8]}"
    assert server.request("POST", f"sys/auth/{name}", {"type": "jwt"})[0] == 204
    status, body, _ = server.request("POST", f"auth/{name}/config", config)
    if status != 204:
        return name, status, body
    status2, body2, _ = server.request(
        "POST", f"auth/{name}/role/r", {"role_type": "jwt", "user_claim": "sub", "bound_audiences": "vault"}
    )
    assert status2 == 204, body2
    return name, status, body


def login(server, name, jwt_token):
    # Longer than kwi's 10 s fetch timeout, so a hanging JWKS server is kwi's to give up on.
    status, body, _ = server.request("POST", f"auth/{name}/login", {"role": "r", "jwt": jwt_token}, token=None, timeout=30)
    return status, body


def test_rotation_failures_and_bounded_refetches(kwi_server, jwks):
    a = new_key("key-a")
    jwks.keys["/keys"] = [a]
    name, status, body = mount(kwi_server, {"jwks_url": jwks.url + "/keys"})
    assert status == 204, body
    assert login(kwi_server, name, token(a))[0] == 200

    # Rotation: the cluster publishes a new key; a token naming it triggers one refetch.
    time.sleep(5.1)
    b = new_key("key-b")
    jwks.keys["/keys"] = [a, b]
    assert login(kwi_server, name, token(b))[0] == 200

    # The JWKS server fails: cached keys keep working, unknown kids fail with OpenBao's message.
    for mode in ["500", "garbage"]:
        jwks.mode = mode
        time.sleep(5.1)
        assert login(kwi_server, name, token(a))[0] == 200
        status, body = login(kwi_server, name, token(new_key()))
        assert status == 400
        assert body["errors"] == ["error validating token: error verifying token signature: failed to verify id token signature"]
        assert login(kwi_server, name, token(b))[0] == 200
    # The failures show in sys/health and /metrics; the last good keys stay in use.
    health = kwi_server.request("GET", "sys/health", token=None)[1]["kwi_remote_keys"][name]
    assert health["last_error"] and health["keys"] == 2 and health["fetches_failed"] == 2
    with urllib.request.urlopen(f"{kwi_server.addr}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    assert f'kwi_jwks_stale{{mount="{name}"}} 1' in text
    assert f'kwi_jwks_fetches_total{{mount="{name}",result="failed"}} 2' in text
    jwks.mode = "ok"

    # A flood of forged kids: at most one refetch per cooldown, whatever the number of logins.
    time.sleep(5.1)
    before = jwks.hits.get("/keys", 0)
    forger = new_key()
    for _ in range(200):
        assert login(kwi_server, name, token(forger, kid=str(uuid.uuid4())))[0] == 400
    assert jwks.hits.get("/keys", 0) - before <= 2


def test_a_hanging_jwks_server_does_not_hang_logins_with_known_keys(kwi_server, jwks):
    a = new_key()
    jwks.keys["/keys"] = [a]
    name, status, body = mount(kwi_server, {"jwks_url": jwks.url + "/keys"})
    assert status == 204, body
    jwks.mode = "hang"
    time.sleep(5.1)
    started = time.time()
    status, body = login(kwi_server, name, token(new_key()))  # unknown kid: a fetch that times out
    assert status == 400
    assert time.time() - started < 25  # the fetch gives up after 10 s
    started = time.time()
    assert login(kwi_server, name, token(a))[0] == 200
    assert time.time() - started < 5


def test_config_write_fetches_and_fails_like_openbao(kwi_server, jwks):
    jwks.mode = "500"
    _, status, body = mount(kwi_server, {"jwks_url": jwks.url + "/keys"})
    assert status == 400
    assert body["errors"][0].startswith("error checking jwks URL: ")
    jwks.mode = "ok"
    _, status, body = mount(kwi_server, {"oidc_discovery_url": jwks.url + "/other"})
    assert status == 400
    assert body["errors"][0].startswith("error checking oidc discovery URL: ")


def test_oidc_discovery(kwi_server, jwks):
    a = new_key()
    jwks.keys["/keys"] = [a]
    name, status, body = mount(kwi_server, {"oidc_discovery_url": jwks.url})
    assert status == 204, body
    assert login(kwi_server, name, token(a))[0] == 200
    status, body, _ = kwi_server.request("GET", f"auth/{name}/config", token=ROOT)
    assert body["data"]["oidc_discovery_url"] == jwks.url


def test_fifty_clusters_in_jwks_pairs(kwi_server, jwks):
    keys = []
    for i in range(50):
        key = new_key(f"cluster-{i}")
        jwks.keys[f"/clusters/{i}/keys"] = [key]
        keys.append(key)
    pairs = [{"jwks_url": f"{jwks.url}/clusters/{i}/keys", "jwks_ca_pem": ""} for i in range(50)]
    name, status, body = mount(kwi_server, {"jwks_pairs": pairs})
    assert status == 204, body
    for i in [0, 17, 37, 49]:
        assert login(kwi_server, name, token(keys[i]))[0] == 200
    # One fetch per cluster at config time, none at login time.
    assert all(jwks.hits[f"/clusters/{i}/keys"] == 1 for i in range(50))


def test_remote_key_logins_match_openbao(servers, jwks):
    """The same jwks_url mount on kwi and OpenBao: the same answers for good, forged, unknown-kid,
    expired and malformed tokens."""
    a, stranger = new_key(), new_key()
    jwks.keys["/keys"] = [a]
    names = []
    for server in servers:
        name, status, body = mount(server, {"jwks_url": jwks.url + "/keys"}, name=f"diffremote{uuid.uuid4().hex[:6]}")
        assert status == 204, (server.name, body)
        names.append(name)
    good = token(a)
    h, c, s = good.split(".")
    expired = jwt.encode(
        {"alg": "RS256", "kid": a.kid},
        {"iss": "https://k", "sub": "x", "aud": ["vault"], "iat": NOW - 7200, "nbf": NOW - 7200, "exp": NOW - 3600},
        a,
    )
    cases = {
        "valid": good,
        "signed by a stranger under a known kid": token(stranger, kid=a.kid),
        "unknown kid": token(stranger),
        "no kid": jwt.encode({"alg": "RS256"}, {"iss": "https://k", "sub": "x", "aud": ["vault"], "exp": NOW + 600}, a),
        "expired": expired,
        "two segments": f"{h}.{c}",
        "bad base64 in the claims": f"{h}.{c[:5]}*{c[6:]}.{s}",
        "flipped signature": f"{h}.{c}.{s[:-2]}{'A' if s[-2] != 'A' else 'B'}{s[-1]}",
        "padded and spaced": f"{h}.{c} .{s}==",
        "spaced": f" {h}.\n{c}.{s}\t",
        "empty signature": f"{h}.{c}.",
        "header a JSON array": f"{b64url([1])}.{c}.{s}",
        "header repeats alg": b64url(b'{"alg":"RS256","alg":"none"}') + f".{c}.{s}",
        "alg none": f"{b64url({'alg': 'none'})}.{c}.",
        "five segments": f"{good}.{s}.{s}",
    }
    for case, jwt_token in cases.items():
        answers = []
        for server, name in zip(servers, names):
            status, body = login(server, name, jwt_token)
            answers.append((status, (body or {}).get("errors")))
        assert answers[0] == answers[1], f"{case}:\nkwi:     {answers[0]}\nopenbao: {answers[1]}"


def test_remote_key_algorithm_list_matches_openbao(servers, jwks):
    a = new_key()
    jwks.keys["/keys"] = [a]
    answers = []
    for server in servers:
        name, status, body = mount(server, {"jwks_url": jwks.url + "/keys", "jwt_supported_algs": ["ES256", "PS256"]})
        assert status == 204, (server.name, body)
        status, body = login(server, name, token(a))
        answers.append((status, (body or {}).get("errors")))
    assert answers[0] == answers[1], f"\nkwi:     {answers[0]}\nopenbao: {answers[1]}"
    assert "token signed with unexpected algorithm" in answers[0][1][0]


def test_keys_not_loaded_are_fetched_once_per_cooldown(tmp_path, jwks):
    """After a restart, a mount's remote keys are loaded by the first login: concurrent logins
    share that one fetch, and a failed fetch is not retried before the cooldown, however many
    logins (no token needed) ask."""
    from concurrent.futures import ThreadPoolExecutor


    args = ["--dev", "--dev-root-token-id", ROOT, "--listen", "127.0.0.1:0", "--data-dir", tmp_path / "data"]
    key = new_key()
    jwks.keys["/keys"] = [key]
    server = launch_kwi(args, tmp_path / "kwi.log")
    name, status, body = mount(server, {"jwks_url": jwks.url + "/keys"})
    assert status == 204, body
    server.process.terminate()
    server.process.wait(timeout=15)

    jwks.mode = "garbage"
    server = launch_kwi(args, tmp_path / "kwi2.log")
    try:
        before = jwks.hits.get("/keys", 0)
        answers = [login(server, name, token(key))[0] for _ in range(5)]
        with ThreadPoolExecutor(20) as pool:
            answers += list(pool.map(lambda _: login(server, name, token(key))[0], range(20)))
        assert set(answers) == {400}, answers
        assert jwks.hits.get("/keys", 0) - before == 1, jwks.hits
        # After the cooldown the next login tries again, and a good answer is kept.
        jwks.mode = "ok"
        time.sleep(5.5)
        assert login(server, name, token(key))[0] == 200
        assert login(server, name, token(key))[0] == 200
        assert jwks.hits.get("/keys", 0) - before == 2, jwks.hits
    finally:
        server.process.terminate()
        server.process.wait(timeout=15)


def test_kid_less_keys_rotate_as_on_openbao(servers, jwks):
    """A JWKS without kids rotates to a new key: a token of the new key fails on the cached
    keys, and both servers fetch the keys again (kwi once the 5 s cooldown since the last
    fetch has passed) and let it in."""
    def kidless(key):
        return RSAKey.import_key({k: v for k, v in key.as_dict(private=True).items() if k != "kid"})

    a, b = kidless(new_key()), kidless(new_key())
    jwks.keys["/kidless"] = [a]
    names = []
    for server in servers:
        name, status, body = mount(server, {"jwks_url": jwks.url + "/kidless"}, name=f"kidless{uuid.uuid4().hex[:6]}")
        assert status == 204, (server.name, body)
        names.append(name)
    claims = {"iss": "https://k", "sub": "system:serviceaccount:default:app", "aud": ["vault"], "iat": NOW, "nbf": NOW, "exp": NOW + 3600}
    jwks.keys["/kidless"] = [b]
    time.sleep(5.5)
    signed_by_b = jwt.encode({"alg": "RS256"}, claims, b)
    answers = [login(server, name, signed_by_b)[0] for server, name in zip(servers, names)]
    assert answers == [200, 200], answers


def _odd_documents():
    rsa = new_key("r")
    ec = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)
    rsa_pub, ec_pub = rsa.as_dict(private=False), ec.as_dict(private=False)
    claims = {"iss": "https://k", "sub": "s", "aud": ["vault"], "iat": NOW, "nbf": NOW, "exp": NOW + 600}
    by_ec = jwt.encode({"alg": "ES256", "kid": "k1"}, claims, ec)
    no_kid_by_rsa = jwt.encode({"alg": "RS256"}, claims, rsa)
    return {
        # OpenBao (go-jose) reads an empty kid as no kid: two of them are no clash.
        "two keys with an empty kid": ({"keys": [{**ec_pub, "kid": ""}, {**rsa_pub, "kid": "", "alg": "RS256"}]}, no_kid_by_rsa),
        # A JWK's alg is not looked at; the token's algorithm must still fit the key.
        "an EC key labelled RS512": ({"keys": [{**ec_pub, "alg": "RS512"}]}, by_ec),
        "an RSA key labelled ES256": ({"keys": [{**rsa_pub, "alg": "ES256"}]}, no_kid_by_rsa),
        "an empty object": ({}, by_ec),
        "keys null": ({"keys": None}, by_ec),
        "an unknown key type beside a good key": ({"keys": [rsa_pub, {"kty": "XYZ", "kid": "u"}]}, no_kid_by_rsa),
    }


ODD_DOCUMENTS = list(_odd_documents())


@pytest.mark.parametrize("case", ODD_DOCUMENTS)
def test_odd_key_sets_are_read_as_openbao_reads_them(servers, jwks, case):
    """Found by `scripts/openbao-diff-fuzz.py --remote`: the config write (status; kwi adds the
    reason after OpenBao's "error checking jwks URL") and then a login, on both servers."""
    document, jwt_token = _odd_documents()[case]
    jwks.raw["/odd"] = document
    answers = []
    for server in servers:
        name, status, body = mount(server, {"jwks_url": jwks.url + "/odd"})
        errors = [e.split(":")[0] for e in (body or {}).get("errors", [])]
        login_answer = None
        if status == 204:
            lstatus, lbody = login(server, name, jwt_token)
            login_answer = (lstatus, (lbody or {}).get("errors"))
        answers.append((status, errors, login_answer))
    assert answers[0] == answers[1], f"{case}:\nkwi:     {answers[0]}\nopenbao: {answers[1]}"


def test_the_keys_are_fetched_before_the_algorithms_are_checked(servers, jwks):
    """OpenBao fetches a jwks_url before it checks jwt_supported_algs: with both wrong, both
    servers name the URL."""
    answers = []
    for server in servers:
        _, status, body = mount(server, {"jwks_url": jwks.url + "/missing", "jwt_supported_algs": ["HS256"]})
        answers.append((status, [e.split(":")[0] for e in (body or {}).get("errors", [])]))
    assert answers[0] == answers[1] == (400, ["error checking jwks URL"]), answers
