"""Lease renewal as real clients do it (hvac and node-vault), against kwi serve and, for
comparison, OpenBao. kwi's client tokens are signed and cannot outlive the life they were issued
with: renewal answers what is left, with Vault's max-TTL warning, as OpenBao answers a token at its
maximum TTL, so lifetime watchers log in again in time. Revocation is refused, truthfully."""

import json
import os
import re
import subprocess
import time
from pathlib import Path

import hvac
import pytest

from conftest import KWI, ROOT

NODE = Path(__file__).parent / "node"
WARNING = re.compile(r'^TTL of "(\w+)" exceeded the effective max_ttl of "(\w+)"; TTL value is capped accordingly$')


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("renewal")
    key = tmp / "sa.key"
    subprocess.run([KWI, "keys", "generate", "--out", key, "--public-out", tmp / "sa.pub"], check=True, capture_output=True)
    return tmp


def login(server, cluster, mount: str) -> str:
    """A mount whose role issues 60-second tokens that cannot be renewed past 60 seconds (the
    life a kwi token is issued with), and a login on it: the client token."""
    client = hvac.Client(url=server.addr, token=ROOT)
    if f"{mount}/" not in client.sys.list_auth_methods()["data"]:
        client.sys.enable_auth_method("jwt", path=mount)
        client.auth.jwt.configure(jwt_validation_pubkeys=[(cluster / "sa.pub").read_text()], path=mount)
        client.auth.jwt.create_role(
            name="app", role_type="jwt", user_claim="sub", allowed_redirect_uris=[], bound_audiences=["vault"],
            token_ttl=60, token_max_ttl=60, path=mount,
        )
    jwt = subprocess.run(
        [KWI, "token", "mint", "--key", cluster / "sa.key", "--issuer", "https://k8s.example",
         "--sub", "system:serviceaccount:default:app", "--aud", "vault"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    answer = client.auth.jwt.jwt_login(role="app", jwt=jwt, path=mount, use_token=False)
    assert answer["auth"]["renewable"] is True
    return answer["auth"]["client_token"]


def seconds(go: str) -> int:
    total = 0
    for n, unit in re.findall(r"(\d+)([hms])", go):
        total += int(n) * {"h": 3600, "m": 60, "s": 1}[unit]
    return total


@pytest.mark.parametrize("which", ["kwi", "openbao"])
def test_hvac_renew_self_answers_the_time_left_with_vaults_warning(servers, cluster, which):
    server = dict(zip(["kwi", "openbao"], servers))[which]
    token = login(server, cluster, "renew-hvac")
    time.sleep(1.2)
    client = hvac.Client(url=server.addr, token=token)
    answer = client.auth.token.renew_self(increment=3600)
    auth = answer["auth"]
    assert auth["client_token"] == token
    assert auth["renewable"] is True
    assert 50 <= auth["lease_duration"] < 60, auth["lease_duration"]
    (warning,) = answer["warnings"]
    asked, left = WARNING.match(warning).groups()
    assert asked == "1h"
    assert seconds(left) == auth["lease_duration"]
    assert auth["policies"] == ["default"] and auth["token_policies"] == ["default"]
    assert auth["metadata"] == {"role": "app"}
    # Renewed without an increment: the token's own TTL is what is asked for.
    again = client.auth.token.renew_self()
    assert again["auth"]["lease_duration"] <= auth["lease_duration"]
    assert WARNING.match(again["warnings"][0]).group(1) == "1m"
    # The token still works as before.
    assert client.auth.token.lookup_self()["data"]["ttl"] <= 60


def test_root_renews_another_token_and_a_bad_one_is_not_found(servers, cluster):
    kwi, bao = servers
    for server in (kwi, bao):
        token = login(server, cluster, "renew-root")
        root = hvac.Client(url=server.addr, token=ROOT)
        assert root.auth.token.renew(token)["auth"]["client_token"] == token
        for status, body in [server.request("POST", "auth/token/renew", {"token": "x" + token})[:2],
                             server.request("POST", "auth/token/renew", {})[:2]]:
            assert status == 400, (server.name, body)
        assert server.request("POST", "auth/token/renew", {})[1]["errors"] == ["missing token ID"]
        assert server.request("POST", "auth/token/renew", {"token": "x" + token})[1]["errors"] == ["token not found"]
        # Only root may renew a token other than its own (a login's default policy does not allow it).
        assert server.request("POST", "auth/token/renew", {"token": token}, token=token)[0] == 403
        assert server.request("POST", "auth/token/renew-self", {}, token=ROOT)[1]["errors"] == ["lease is not renewable"]


def test_revoke_self_tells_the_truth(servers, cluster):
    kwi, bao = servers
    # OpenBao revokes: the token is dead afterwards.
    token = login(bao, cluster, "revoke")
    hvac.Client(url=bao.addr, token=token).auth.token.revoke_self()
    assert bao.request("GET", "auth/token/lookup-self", token=token)[0] == 403
    # kwi cannot recall a signed token; it says so instead of pretending, and the token stays valid.
    token = login(kwi, cluster, "revoke")
    with pytest.raises(hvac.exceptions.InvalidRequest, match="kwi cannot revoke this token"):
        hvac.Client(url=kwi.addr, token=token).auth.token.revoke_self()
    assert kwi.request("GET", "auth/token/lookup-self", token=token)[0] == 200


def node_vault(server, token: str) -> dict:
    result = subprocess.run(
        ["node", NODE / "renew.js"], capture_output=True, text=True, timeout=60,
        env=dict(os.environ, VAULT_ADDR=server.addr, CLIENT_TOKEN=token, ROOT_TOKEN=ROOT),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_node_vault_renews_and_looks_up_as_on_openbao(servers, cluster):
    kwi, bao = servers
    seen = {}
    for server in (kwi, bao):
        token = login(server, cluster, "renew-node")
        time.sleep(1.2)
        seen[server.name] = node_vault(server, token)
    for name, out in seen.items():
        assert out["lookup"]["ok"], (name, out["lookup"])
        renewed = out["renewSelf"]
        assert renewed["ok"], (name, renewed)
        assert 50 <= renewed["answer"]["auth"]["lease_duration"] < 60
        assert WARNING.match(renewed["answer"]["warnings"][0]).group(1) == "1h"
        assert out["renewByRoot"]["ok"], (name, out["renewByRoot"])
    # Same answer shape from both.
    assert set(seen["kwi"]["renewSelf"]["answer"]["auth"]) == set(seen["openbao"]["renewSelf"]["answer"]["auth"])
    # OpenBao revoked the token; kwi refused with a 400 that says why, and the token still works.
    assert seen["openbao"]["revokeSelf"]["ok"] and not seen["openbao"]["lookupAfterRevoke"]["ok"]
    assert seen["kwi"]["revokeSelf"] == {"ok": False, "status": 400, "message": seen["kwi"]["revokeSelf"]["message"]}
    assert "kwi cannot revoke this token" in seen["kwi"]["revokeSelf"]["message"]
    assert seen["kwi"]["lookupAfterRevoke"]["ok"]
