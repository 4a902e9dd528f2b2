"""/metrics (Prometheus text) and sys/health report logins and the state of remote keys, and
made-up role names never become labels."""

import urllib.request

from conftest import ROOT, launch_kwi
from test_differential import BASE_ROLE, sa_claims, setup_both, sign


def metrics(server) -> str:
    with urllib.request.urlopen(f"{server.addr}/metrics", timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain")
        return resp.read().decode()


def test_logins_are_counted_by_outcome(servers, kwi_server, keys):
    mount = setup_both(servers, keys, role=BASE_ROLE)
    good = sign(keys, sa_claims())
    for _ in range(3):
        assert kwi_server.request("POST", f"auth/{mount}/login", {"role": "r", "jwt": good}, token=None)[0] == 200
    assert kwi_server.request("POST", f"auth/{mount}/login", {"role": "r", "jwt": good[:-5] + "AAAAA"}, token=None)[0] == 400
    for i in range(20):
        kwi_server.request("POST", f"auth/{mount}/login", {"role": f"made-up-{i}", "jwt": good}, token=None)
    text = metrics(kwi_server)
    assert f'kwi_logins_total{{mount="{mount}",role="r",outcome="success"}} 3' in text
    assert f'kwi_logins_total{{mount="{mount}",role="r",outcome="rejected"}} 1' in text
    assert f'kwi_logins_total{{mount="{mount}",role="",outcome="rejected"}} 20' in text
    assert "made-up" not in text
    assert "kwi_login_duration_seconds_count" in text


def test_health_reports_remote_keys(kwi_server):
    status, body, _ = kwi_server.request("GET", "sys/health", token=None)
    assert status == 200
    assert body["initialized"] is True and body["sealed"] is False
    assert isinstance(body["kwi_remote_keys"], dict)


def test_login_logs_are_json_lines_without_tokens(servers, kwi_server, keys, tmp_path_factory):
    import json as _json
    from pathlib import Path

    mount = setup_both(servers, keys, role=BASE_ROLE)
    good = sign(keys, sa_claims())
    assert kwi_server.request("POST", f"auth/{mount}/login", {"role": "r", "jwt": good}, token=None)[0] == 200
    import time as _time

    log = Path(kwi_server.process.args[kwi_server.process.args.index("--data-dir") + 1]).parent / "kwi.log"
    deadline = _time.time() + 5  # lines are written by a background thread, in batches
    mine = []
    while not mine and _time.time() < deadline:
        lines = [_json.loads(l) for l in log.read_text().splitlines() if l.startswith("{")]
        mine = [l for l in lines if l.get("mount") == mount]
        _time.sleep(0.02)
    assert mine and mine[-1]["event"] == "login" and mine[-1]["outcome"] == "success" and mine[-1]["role"] == "r"
    assert good.split(".")[2] not in log.read_text()
    assert good.split(".")[1] not in log.read_text()


def test_client_tokens_verify_against_kwis_own_issuer_documents(servers, kwi_server, keys):
    import json as _json

    from joserfc import jwt as _jwt
    from joserfc.jwk import KeySet

    mount = setup_both(servers, keys, role=BASE_ROLE)
    status, body, _ = kwi_server.request("POST", f"auth/{mount}/login", {"role": "r", "jwt": sign(keys, sa_claims())}, token=None)
    assert status == 200
    client_token = body["auth"]["client_token"]
    with urllib.request.urlopen(f"{kwi_server.addr}/.well-known/openid-configuration", timeout=10) as resp:
        discovery = _json.loads(resp.read())
    assert discovery["issuer"] == "kwi"
    assert discovery["jwks_uri"] == f"{kwi_server.addr}/openid/v1/jwks"
    with urllib.request.urlopen(discovery["jwks_uri"], timeout=10) as resp:
        jwks = KeySet.import_key_set(_json.loads(resp.read()))
    token = _jwt.decode(client_token, jwks, algorithms=discovery["id_token_signing_alg_values_supported"])
    assert token.claims["iss"] == "kwi"
    assert token.claims["policies"] == ["default"]
    assert token.claims["meta"] == {"role": "r"}


def test_with_a_public_url_kwi_is_an_oidc_issuer(tmp_path, keys):
    """--public-url: client tokens carry it as iss, and discovery names it as the issuer with
    the JWKS beneath it, as a generic OIDC verifier expects."""
    import json as _json

    from joserfc import jwt as _jwt
    from joserfc.jwk import KeySet


    public = "https://kwi.example.com"
    server = launch_kwi(["--dev", "--dev-root-token-id", ROOT, "--listen", "127.0.0.1:0", "--data-dir", tmp_path / "d",
                         "--public-url", public + "/"], tmp_path / "kwi.log")  # fmt: skip
    try:
        mount = "jwt"
        assert server.request("POST", f"sys/auth/{mount}", {"type": "jwt"})[0] == 204
        assert server.request("POST", f"auth/{mount}/config", {"jwt_validation_pubkeys": [keys["rsa"]["pub"]]})[0] == 204
        assert server.request("POST", f"auth/{mount}/role/r", BASE_ROLE)[0] == 204
        status, body, _ = server.request("POST", f"auth/{mount}/login", {"role": "r", "jwt": sign(keys, sa_claims())}, token=None)
        assert status == 200, body
        client_token = body["auth"]["client_token"]
        with urllib.request.urlopen(f"{server.addr}/.well-known/openid-configuration", timeout=10) as resp:
            discovery = _json.loads(resp.read())
        assert discovery["issuer"] == public
        assert discovery["jwks_uri"] == f"{public}/openid/v1/jwks"
        with urllib.request.urlopen(f"{server.addr}/openid/v1/jwks", timeout=10) as resp:
            jwks = KeySet.import_key_set(_json.loads(resp.read()))
        token = _jwt.decode(client_token, jwks)
        assert token.claims["iss"] == discovery["issuer"]
        status, looked_up, _ = server.request("GET", "auth/token/lookup-self", token=client_token)
        assert status == 200 and looked_up["data"]["policies"] == ["default"]
    finally:
        server.process.terminate()
        server.process.wait(timeout=15)
    code, log = launch_kwi(["--dev", "--listen", "127.0.0.1:0", "--data-dir", tmp_path / "d2",
                            "--public-url", "http://kwi.example.com"], tmp_path / "kwi2.log")  # fmt: skip
    assert code == 2 and "--public-url" in log and "https" in log, log
