"""`kwi vault sync` keeps a JWT mount configured with jwt_validation_pubkeys in step with a
`kwi rotate` key ring, on OpenBao and on kwi serve: after every step and sync, every live token
logs in, the retired key's tokens are refused, and the mount's other settings are kept."""

import subprocess

from rotate_helpers import KWI, issuer_servers, kwi, login, mint, mount, relying_parties  # noqa: F401 (fixture)

ISSUER = "https://oidc.example.com"


def sync(server, cwd, *sources, mount_name="jwt"):
    env = server.env()
    env.pop("VAULT_CACERT", None)
    run = subprocess.run([str(KWI), "vault", "sync", "--mount", mount_name, *map(str, sources)], cwd=cwd, env=env,
                         capture_output=True, text=True)  # fmt: skip
    return run


def config(server, name="jwt") -> dict:
    status, body, _ = server.request("GET", f"auth/{name}/config")
    assert status == 200, body
    return body["data"]


def test_sync_follows_a_whole_rotation(tmp_path, relying_parties):
    kwi("rotate", "init", "--keyring", "kr", "--issuer", ISSUER, "--publish-lead", "0s", "--retire-after", "0s", cwd=tmp_path)
    for rp in relying_parties:
        # A mount set up by hand, as the Vault guide does: the cluster's key pasted in.
        pem = (tmp_path / "kr" / "verify.pub").read_text()
        mount(rp, "jwt", {"jwt_validation_pubkeys": [pem], "bound_issuer": ISSUER, "default_role": "app"})
    first = mint(tmp_path, ISSUER)
    for rp in relying_parties:
        run = sync(rp, tmp_path, "--key", "kr/verify.pub")
        assert run.returncode == 0, run.stderr
        assert "up to date" in run.stderr, run.stderr
        assert login(rp, "jwt", first)[0] == 200

    # A stage publishes a key (written); a promotion publishes the same two (nothing to write).
    for step, said in (("stage", "jwt_validation_pubkeys written"), ("promote", "up to date")):
        kwi("rotate", "next", "--keyring", "kr", cwd=tmp_path)
        for rp in relying_parties:
            run = sync(rp, tmp_path, "--key", "kr/verify.pub")
            assert run.returncode == 0, run.stderr
            assert said in run.stderr, (step, run.stderr)
            assert len(config(rp)["jwt_validation_pubkeys"]) == 2
    second = mint(tmp_path, ISSUER)
    for rp in relying_parties:
        for token in (first, second):
            status, body = login(rp, "jwt", token)
            assert status == 200, (rp.name, body)

    kwi("rotate", "next", "--keyring", "kr", cwd=tmp_path)
    refusals = []
    for rp in relying_parties:
        assert sync(rp, tmp_path, "--key", "kr/verify.pub").returncode == 0
        assert login(rp, "jwt", second)[0] == 200
        status, body = login(rp, "jwt", first)
        assert status == 400, (rp.name, body)
        refusals.append(body)
        kept = config(rp)
        assert kept["bound_issuer"] == ISSUER and kept["default_role"] == "app", (rp.name, kept)
        assert len(kept["jwt_validation_pubkeys"]) == 1
    assert refusals[0] == refusals[1], "kwi serve refuses the retired key's token as OpenBao does"


def test_sync_from_the_issuer_url_and_what_it_refuses(tmp_path, relying_parties):
    port = issuer_servers.free_port()
    issuer = f"https://127.0.0.1:{port}"
    kwi("rotate", "init", "--keyring", "kr", "--issuer", issuer, cwd=tmp_path)
    ca = issuer_servers.make_ca(tmp_path, "issuer")
    tls_key, tls_cert = issuer_servers.make_leaf(tmp_path, ca, "issuer")
    server = issuer_servers.Server(["--site", tmp_path / "kr" / "site", "--listen", f"127.0.0.1:{port}", "--tls-cert", tls_cert,
                                    "--tls-key", tls_key, "--no-access-log"], tmp_path / "issuer.log")  # fmt: skip
    try:
        token = mint(tmp_path, issuer)
        for rp in relying_parties:
            # A mount never configured: sync writes its first configuration.
            mount(rp, "fresh", None)
            run = sync(rp, tmp_path, "--issuer-url", issuer, "--ca-file", ca[1], mount_name="fresh")
            assert run.returncode == 0, run.stderr
            assert len(config(rp, "fresh")["jwt_validation_pubkeys"]) == 1
            assert login(rp, "fresh", token)[0] == 200, rp.name
        # --dry-run says what would change and writes nothing.
        kwi("rotate", "next", "--keyring", "kr", cwd=tmp_path)
        for rp in relying_parties:
            run = sync(rp, tmp_path, "--key", "kr/verify.pub", "--dry-run", mount_name="fresh")
            assert run.returncode == 0 and "dry run" in run.stderr, run.stderr
            assert len(config(rp, "fresh")["jwt_validation_pubkeys"]) == 1

            # A mount that follows the issuer itself has nothing to sync: exit 1, saying so.
            mount(rp, "remote", {"jwks_url": f"{issuer}/openid/v1/jwks", "jwks_ca_pem": ca[1].read_text()})
            run = sync(rp, tmp_path, "--key", "kr/verify.pub", mount_name="remote")
            assert run.returncode == 1, run.stderr
            assert "jwks_url" in run.stderr and "nothing to sync" in run.stderr
            # No such mount, and a token Vault refuses: exit 2 with what Vault said.
            run = sync(rp, tmp_path, "--key", "kr/verify.pub", mount_name="nowhere")
            assert run.returncode == 2 and "is auth/nowhere a JWT auth mount" in run.stderr, run.stderr
            env = dict(rp.env(), VAULT_TOKEN="not-a-token")
            run = subprocess.run([str(KWI), "vault", "sync", "--key", "kr/verify.pub"], cwd=tmp_path, env=env, capture_output=True, text=True)
            assert run.returncode == 2 and "403" in run.stderr, run.stderr
    finally:
        server.stop()


def test_sync_never_writes_an_empty_key_list(tmp_path):
    # A source without keys stops the sync before Vault is asked anything (nothing listens here).
    (tmp_path / "empty.json").write_text('{"keys": []}')
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "VAULT_ADDR": "http://127.0.0.1:9", "VAULT_TOKEN": "t"}
    run = subprocess.run([str(KWI), "vault", "sync", "--key", "empty.json"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    assert "empty.json" in run.stderr and "is empty" in run.stderr, run.stderr
    # No token anywhere: said, with where one is looked for.
    env.pop("VAULT_TOKEN")
    run = subprocess.run([str(KWI), "vault", "sync", "--key", "empty.json"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 2 and "VAULT_TOKEN" in run.stderr and ".vault-token" in run.stderr, run.stderr


def test_watch_keeps_syncing_until_stopped(tmp_path, relying_parties):
    import time

    kwi("rotate", "init", "--keyring", "kr", "--issuer", ISSUER, "--publish-lead", "0s", "--retire-after", "0s", cwd=tmp_path)
    bao = relying_parties[0]
    mount(bao, "jwt", None)
    watcher = subprocess.Popen([str(KWI), "vault", "sync", "--key", "kr/verify.pub", "--watch", "--interval", "1s"], cwd=tmp_path,
                               env=bao.env(), stdout=subprocess.DEVNULL, stderr=open(tmp_path / "watch.log", "w"))  # fmt: skip

    def wait_keys(count):
        deadline = time.monotonic() + 20
        while True:
            status, body, _ = bao.request("GET", "auth/jwt/config")
            if status == 200 and len(body["data"]["jwt_validation_pubkeys"]) == count:
                return
            assert watcher.poll() is None, (tmp_path / "watch.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "watch.log").read_text()
            time.sleep(0.2)

    try:
        wait_keys(1)
        kwi("rotate", "next", "--keyring", "kr", cwd=tmp_path)  # stage: two keys published
        wait_keys(2)
        # A source that cannot be read for a moment is reported, not fatal: the watch goes on.
        (tmp_path / "kr" / "verify.pub").write_text("not a key")
        deadline = time.monotonic() + 20
        while "kr/verify.pub" not in (tmp_path / "watch.log").read_text():
            assert time.monotonic() < deadline, (tmp_path / "watch.log").read_text()
            time.sleep(0.2)
        assert watcher.poll() is None
        assert len(bao.request("GET", "auth/jwt/config")[1]["data"]["jwt_validation_pubkeys"]) == 2, "nothing written"
        kwi("rotate", "next", "--keyring", "kr", cwd=tmp_path)  # promote (verify.pub written again)
        kwi("rotate", "next", "--keyring", "kr", cwd=tmp_path)  # retire: one key again
        wait_keys(1)
        assert login(bao, "jwt", mint(tmp_path, ISSUER))[0] == 200
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)
    assert "every 1s" in (tmp_path / "watch.log").read_text()
