"""Real clients against `kwi serve --dev`: the Vault guide's steps 3-6 run verbatim with the
`bao` CLI (the same CLI as `vault`), its curl login, and the hvac Python client."""

import json
import subprocess

import hvac
import pytest

from conftest import KWI


@pytest.fixture
def cluster(tmp_path):
    """A cluster's signing key and a token it issued for default/default, audience vault."""
    key = tmp_path / "sa.key"
    subprocess.run([KWI, "keys", "generate", "--out", key, "--public-out", tmp_path / "sa.pub"], check=True, capture_output=True)
    old = tmp_path / "old.key"
    subprocess.run([KWI, "keys", "generate", "--out", old, "--public-out", tmp_path / "old.pub"], check=True, capture_output=True)
    token = subprocess.run(
        [KWI, "token", "mint", "--key", key, "--issuer", "https://kubernetes.default.svc", "--namespace", "default",
         "--service-account", "default", "--aud", "vault"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    (tmp_path / "token").write_text(token)
    return tmp_path


def bao(server, *args, cwd):
    return subprocess.run(["bao", *args], cwd=cwd, env=server.env(), capture_output=True, text=True, timeout=30)


def test_vault_guide_steps_3_to_6_verbatim(kwi_server, cluster):
    path = "jwt-guide"
    pems = [(cluster / "sa.pub").read_text().strip(), (cluster / "old.pub").read_text().strip()]
    steps = [
        ["auth", "enable", f"-path={path}", "jwt"],
        # Step 4: two PEMs, quoted and separated by a comma, as the guide writes them.
        ["write", f"auth/{path}/config", "jwt_validation_pubkeys=" + ",".join(pems)],
        ["write", f"auth/{path}/role/my-role", "role_type=jwt", "bound_audiences=vault", "user_claim=sub",
         "bound_subject=system:serviceaccount:default:default", "policies=default", "ttl=1h"],
    ]
    for step in steps:
        result = bao(kwi_server, *step, cwd=cluster)
        assert result.returncode == 0, (step, result.stderr)
        assert "Success!" in result.stdout
    result = bao(kwi_server, "write", "-format=json", f"auth/{path}/login", "role=my-role", "jwt=@token", cwd=cluster)
    assert result.returncode == 0, result.stderr
    auth = json.loads(result.stdout)["auth"]
    assert auth["policies"] == ["default"]
    assert auth["lease_duration"] == 3600
    assert auth["metadata"] == {"role": "my-role"}

    # The guide's curl, X-Vault-Namespace included (Vault Community Edition ignores it, so does kwi).
    curl = subprocess.run(
        ["curl", "-s", "--request", "POST", "--header", "X-Vault-Request: true", "--header", "X-Vault-Namespace: admin",
         "--data", json.dumps({"jwt": (cluster / "token").read_text(), "role": "my-role"}),
         f"{kwi_server.addr}/v1/auth/{path}/login"],
        capture_output=True, text=True, timeout=30,
    )
    body = json.loads(curl.stdout)
    assert body["auth"]["client_token"], body
    assert body["auth"]["token_policies"] == ["default"]

    # A token from a key the mount does not trust: the guide's error.
    other = subprocess.run(
        [KWI, "token", "mint", "--key", cluster / "sa.key", "--issuer", "x", "--namespace", "default",
         "--service-account", "other", "--aud", "vault"], check=True, capture_output=True, text=True,
    ).stdout.strip()
    (cluster / "other").write_text(other)
    result = bao(kwi_server, "write", f"auth/{path}/login", "role=my-role", "jwt=@other", cwd=cluster)
    assert result.returncode != 0
    assert "invalid subject (sub) claim" in result.stderr


def test_hvac_client(kwi_server, cluster):
    client = hvac.Client(url=kwi_server.addr, token="root")
    assert client.is_authenticated()
    client.sys.enable_auth_method("jwt", path="jwt-hvac")
    client.auth.jwt.configure(jwt_validation_pubkeys=[(cluster / "sa.pub").read_text()], path="jwt-hvac")
    client.auth.jwt.create_role(
        name="app", role_type="jwt", user_claim="sub", allowed_redirect_uris=[], bound_audiences=["vault"],
        bound_subject="system:serviceaccount:default:default", token_policies=["default", "app"], token_ttl=600,
        path="jwt-hvac",
    )
    role = client.auth.jwt.read_role("app", path="jwt-hvac")["data"]
    assert role["bound_audiences"] == ["vault"]
    assert role["token_ttl"] == 600
    assert client.auth.jwt.list_roles(path="jwt-hvac")["data"]["keys"] == ["app"]
    login = client.auth.jwt.jwt_login(role="app", jwt=(cluster / "token").read_text(), path="jwt-hvac", use_token=False)
    assert login["auth"]["policies"] == ["app", "default"]
    assert login["auth"]["lease_duration"] == 600
    client.auth.jwt.delete_role("app", path="jwt-hvac")
    with pytest.raises(hvac.exceptions.InvalidPath):
        client.auth.jwt.read_role("app", path="jwt-hvac")
    assert "jwt-hvac/" in client.sys.list_auth_methods()["data"]
