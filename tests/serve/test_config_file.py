"""kwi serve --config: mounts, configs and roles declared in a TOML file, checked like API writes,
read-only through the API; a bad file stops the start with a message naming the problem."""

import json
import os
import subprocess

from conftest import KWI, launch_kwi


def start(tmp_path, config_text):
    (tmp_path / "kwi.toml").write_text(config_text)
    args = ["--config", tmp_path / "kwi.toml", "--listen", "127.0.0.1:0", "--data-dir", tmp_path / "data"]
    return launch_kwi(args, tmp_path / "serve.log", env=dict(os.environ, KWI_ROOT_TOKEN="s3cret"))


def keypair(tmp_path):
    subprocess.run([KWI, "keys", "generate", "--out", tmp_path / "sa.key", "--public-out", tmp_path / "sa.pub"], check=True, capture_output=True)
    token = subprocess.run(
        [KWI, "token", "mint", "--key", tmp_path / "sa.key", "--issuer", "https://k", "--namespace", "default",
         "--service-account", "app", "--aud", "vault"], check=True, capture_output=True, text=True,
    ).stdout.strip()
    return (tmp_path / "sa.pub").read_text(), token


def test_declared_mounts_serve_logins_and_are_read_only(tmp_path):
    pem, token = keypair(tmp_path)
    server = start(tmp_path, f"""
[[mount]]
path = "k8s/prod"
[mount.config]
jwt_validation_pubkeys = [{json.dumps(pem)}]
[mount.roles.App]
role_type = "jwt"
bound_audiences = ["vault"]
bound_subject = "system:serviceaccount:default:app"
user_claim = "sub"
token_policies = ["app"]
token_ttl = "10m"
""")
    try:
        status, body, _ = server.request("POST", "auth/k8s/prod/login", {"role": "app", "jwt": token}, token=None)
        assert status == 200, body
        assert body["auth"]["policies"] == ["app", "default"]
        assert body["auth"]["lease_duration"] == 600
        status, body, _ = server.request("POST", "auth/k8s/prod/role/app", {"role_type": "jwt", "user_claim": "sub", "bound_audiences": "x"}, token="s3cret")
        assert status == 400 and "read-only" in body["errors"][0] and "kwi.toml" in body["errors"][0]
        status, body, _ = server.request("DELETE", "sys/auth/k8s/prod", token="s3cret")
        assert status == 400
        # Mounts that are not declared stay writable.
        assert server.request("POST", "sys/auth/other", {"type": "jwt"}, token="s3cret")[0] == 204
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)


def test_a_bad_file_stops_the_start(tmp_path):
    pem, _ = keypair(tmp_path)
    code, log = start(tmp_path, f"""
[[mount]]
path = "jwt"
[mount.config]
jwt_validation_pubkeys = [{json.dumps(pem)}]
[mount.roles.nouser]
role_type = "jwt"
bound_audiences = ["vault"]
""")
    assert code == 2
    assert "kwi.toml" in log and 'role "nouser"' in log and "a user claim must be defined on the role" in log
    code, log = start(tmp_path, "[[mount]]\npath = 'jwt'\nconfig = 3\n")
    assert code == 2 and "kwi.toml" in log


def test_a_refused_file_leaves_the_data_directory_as_it_was(tmp_path):
    """A file whose remote keys cannot be fetched stops the start before the store is touched:
    the mount written through the API before keeps its config and roles."""
    pem, token = keypair(tmp_path)
    data = tmp_path / "data"
    args = ["--listen", "127.0.0.1:0", "--data-dir", data]
    env = dict(os.environ, KWI_ROOT_TOKEN="s3cret")
    server = launch_kwi(args, tmp_path / "first.log", env=env)
    try:
        assert server.request("POST", "sys/auth/jwt", {"type": "jwt"}, token="s3cret")[0] == 204
        assert server.request("POST", "auth/jwt/config", {"jwt_validation_pubkeys": [pem]}, token="s3cret")[0] == 204
        role = {"role_type": "jwt", "bound_audiences": "vault", "user_claim": "sub"}
        assert server.request("POST", "auth/jwt/role/keep", role, token="s3cret")[0] == 204
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)
    code, log = start(tmp_path, """
[[mount]]
path = "jwt"
[mount.config]
jwks_url = "http://127.0.0.1:1/keys"
[mount.roles.new]
role_type = "jwt"
bound_audiences = ["vault"]
user_claim = "sub"
""")
    assert code == 2 and "kwi.toml" in log and "jwks" in log, log
    server = launch_kwi(args, tmp_path / "third.log", env=env)
    try:
        status, body, _ = server.request("LIST", "auth/jwt/role", token="s3cret")
        assert body["data"]["keys"] == ["keep"], body
        status, body, _ = server.request("POST", "auth/jwt/login", {"role": "keep", "jwt": token}, token=None)
        assert status == 200, body
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)


def test_unknown_fields_and_bad_mount_paths_are_refused(tmp_path):
    pem, _ = keypair(tmp_path)
    config = f"[mount.config]\njwt_validation_pubkeys = [{json.dumps(pem)}]\n"
    role = '[mount.roles.app]\nrole_type = "jwt"\nbound_audiences = ["vault"]\nuser_claim = "sub"\n'
    cases = [
        # a misspelt constraint must not vanish silently
        (f'[[mount]]\npath = "jwt"\n{config}{role}bound_subjekt = "system:serviceaccount:default:app"\n',
         ['role "app"', 'unknown field "bound_subjekt"']),
        (f'[[mount]]\npath = "jwt"\n{config}bound_isuer = "https://k"\n{role}', ['config', 'unknown field "bound_isuer"']),
        (f'[[mount]]\npath = "token"\n{config}', ["path is already in use at token/"]),
        (f'[[mount]]\npath = "jwt"\n{config}[[mount]]\npath = "jwt/sub"\n{config}', ["path is already in use at jwt"]),
        (f'[[mount]]\npath = "a/../b"\n{config}', ['".."']),
    ]
    for text, words in cases:
        code, log = start(tmp_path, text)
        assert code == 2, (text, log)
        assert "kwi.toml" in log and all(w in log for w in words), (words, log)


def test_a_mount_taken_out_of_the_file_is_removed(tmp_path):
    """The file is authoritative for what it declared: a cluster taken out of it is revoked at
    the next start; mounts made through the API stay."""
    pem, token = keypair(tmp_path)
    declared = f"""
[[mount]]
path = "k8s/prod"
[mount.config]
jwt_validation_pubkeys = [{json.dumps(pem)}]
[mount.roles.app]
role_type = "jwt"
bound_audiences = ["vault"]
user_claim = "sub"
"""
    server = start(tmp_path, declared)
    try:
        assert server.request("POST", "auth/k8s/prod/login", {"role": "app", "jwt": token}, token=None)[0] == 200
        assert server.request("POST", "sys/auth/api-made", {"type": "jwt"}, token="s3cret")[0] == 204
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)
    server = start(tmp_path, "# every cluster removed\n")
    try:
        assert 'mount "k8s/prod" is no longer declared' in (tmp_path / "serve.log").read_text()
        mounts = server.request("GET", "sys/auth", token="s3cret")[1]["data"]
        assert "k8s/prod/" not in mounts and "api-made/" in mounts, mounts
        # The mount is gone: a login there is refused as OpenBao refuses one on a path that is no
        # mount (403 without the root token; 404 "no handler for route" with it).
        assert server.request("POST", "auth/k8s/prod/login", {"role": "app", "jwt": token}, token=None)[0] == 403
        assert server.request("POST", "auth/k8s/prod/login", {"role": "app", "jwt": token}, token="s3cret")[0] == 404
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)


def test_a_role_over_the_maximum_ttl_is_started_with_a_warning(tmp_path):
    """Through the API such a write answers 200 with OpenBao's warning; from the file the
    warning is printed at start, naming the file, mount and role."""
    pem, token = keypair(tmp_path)
    server = start(tmp_path, f"""
[[mount]]
path = "jwt"
[mount.config]
jwt_validation_pubkeys = [{json.dumps(pem)}]
[mount.roles.long]
role_type = "jwt"
bound_audiences = ["vault"]
user_claim = "sub"
token_max_ttl = "800h"
""")
    try:
        log = (tmp_path / "serve.log").read_text()
        assert 'kwi.toml: warning: mount "jwt": role "long": token max ttl is greater than the system' in log, log
        status, body, _ = server.request("POST", "auth/jwt/login", {"role": "long", "jwt": token}, token=None)
        assert status == 200 and body["auth"]["lease_duration"] == 768 * 3600, body
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)
