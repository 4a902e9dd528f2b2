"""A whole key rotation with `kwi rotate`, with real relying parties watching: OpenBao's JWT
auth (and `kwi serve`) configured with the issuer's discovery URL, the issuer served by
`kwi issuer serve --site` from the key ring's site folder over HTTPS (a local CA). A token signed
at any moment logs in until its key is retired: no downtime."""

import json
import ssl
import time
import urllib.request

from rotate_helpers import issuer_servers, kids, kwi, login, mint, mount, relying_parties  # noqa: F401 (fixture)


def served_kids(issuer: str, ca) -> list:
    context = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(f"{issuer}/openid/v1/jwks", context=context, timeout=5) as resp:
        return [k["kid"] for k in json.load(resp)["keys"]]


def wait_served(issuer: str, ca, kids: list):
    """Waits until kwi issuer serve has picked up the rewritten site."""
    deadline = time.monotonic() + 20
    while served_kids(issuer, ca) != kids:
        assert time.monotonic() < deadline, f"the issuer still serves {served_kids(issuer, ca)}, not {kids}"
        time.sleep(0.1)


def test_a_rotation_never_refuses_a_live_token(tmp_path, relying_parties):
    port = issuer_servers.free_port()
    issuer = f"https://127.0.0.1:{port}"
    kwi("rotate", "init", "--keyring", "kr", "--issuer", issuer, "--publish-lead", "0s", "--retire-after", "0s", cwd=tmp_path)
    ca = issuer_servers.make_ca(tmp_path, "issuer")
    tls_key, tls_cert = issuer_servers.make_leaf(tmp_path, ca, "issuer")
    server = issuer_servers.Server(["--site", tmp_path / "kr" / "site", "--listen", f"127.0.0.1:{port}", "--tls-cert", tls_cert,
                                    "--tls-key", tls_key, "--no-access-log"], tmp_path / "issuer.log")  # fmt: skip
    try:
        ca_pem = ca[1].read_text()
        for rp in relying_parties:
            mount(rp, "jwt", {"oidc_discovery_url": issuer, "oidc_discovery_ca_pem": ca_pem})
        first = mint(tmp_path, issuer)
        for rp in relying_parties:
            assert login(rp, "jwt", first)[0] == 200, (rp.name, login(rp, "jwt", first))

        # Stage: the new key is published; the old one still signs.
        kwi("rotate", "next", "--keyring", "kr", cwd=tmp_path)
        wait_served(issuer, ca[1], kids(tmp_path))
        assert len(kids(tmp_path)) == 2
        for rp in relying_parties:
            assert login(rp, "jwt", first)[0] == 200, rp.name

        # Promote: tokens of both keys log in.
        kwi("rotate", "next", "--keyring", "kr", cwd=tmp_path)
        wait_served(issuer, ca[1], kids(tmp_path))
        second = mint(tmp_path, issuer)
        # kwi serve refetches keys for an unknown kid at most once per 5 s (forged tokens must not
        # make it hammer the issuer); its last fetch was moments ago in this compressed timeline,
        # while a real rotation waits --publish-lead (a day by default) between the steps.
        time.sleep(5.5)
        for rp in relying_parties:
            for token in (first, second):
                status, body = login(rp, "jwt", token)
                assert status == 200, (rp.name, body)

        # Retire: the old key is no longer published. A relying party that reads the issuer
        # afresh (a new mount) refuses the old key's token and accepts the new one's.
        kwi("rotate", "next", "--keyring", "kr", cwd=tmp_path)
        wait_served(issuer, ca[1], kids(tmp_path))
        assert len(kids(tmp_path)) == 1
        refusals = []
        for rp in relying_parties:
            mount(rp, "after", {"oidc_discovery_url": issuer, "oidc_discovery_ca_pem": ca_pem})
            assert login(rp, "after", second)[0] == 200, rp.name
            status, body = login(rp, "after", first)
            assert status == 400, (rp.name, body)
            refusals.append(body)
        assert refusals[0] == refusals[1], "kwi serve refuses the retired key's token as OpenBao does"
    finally:
        server.stop()


def test_check_issuer_refuses_to_promote_a_key_the_issuer_does_not_serve(tmp_path):
    import shutil
    import subprocess

    from rotate_helpers import KWI

    port = issuer_servers.free_port()
    issuer = f"https://127.0.0.1:{port}"
    kwi("rotate", "init", "--keyring", "kr", "--issuer", issuer, "--publish-lead", "0s", cwd=tmp_path)
    # The issuer serves a copy of the site that is published by hand (and here, late).
    shutil.copytree(tmp_path / "kr" / "site", tmp_path / "served")
    ca = issuer_servers.make_ca(tmp_path, "issuer")
    tls_key, tls_cert = issuer_servers.make_leaf(tmp_path, ca, "issuer")
    server = issuer_servers.Server(["--site", tmp_path / "served", "--listen", f"127.0.0.1:{port}", "--tls-cert", tls_cert,
                                    "--tls-key", tls_key, "--no-access-log"], tmp_path / "issuer.log")  # fmt: skip
    try:
        kwi("rotate", "next", "--keyring", "kr", cwd=tmp_path)
        staged = kids(tmp_path)[1]
        check = ["rotate", "next", "--keyring", "kr", "--check-issuer", "--issuer-ca-file", ca[1]]
        run = subprocess.run([str(KWI), *map(str, check)], cwd=tmp_path, capture_output=True, text=True)
        assert run.returncode == 1, run.stderr
        assert f"does not serve key {staged} yet" in run.stderr, run.stderr
        assert kids(tmp_path)[1] == staged, "nothing was promoted"
        shutil.copytree(tmp_path / "kr" / "site", tmp_path / "served", dirs_exist_ok=True)
        wait_served(issuer, ca[1], kids(tmp_path))
        run = kwi(*check, cwd=tmp_path)
        assert f"serves key {staged}" in run.stderr
        assert kids(tmp_path)[0] == staged, "the staged key signs"
    finally:
        server.stop()
