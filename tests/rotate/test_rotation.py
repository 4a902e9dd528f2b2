"""A whole key rotation with `kwi rotate`, with real relying parties watching: OpenBao's JWT
auth (and `kwi serve`) configured with the issuer's discovery URL, the issuer served by
`kwi issuer serve --site` from the key ring's site folder over HTTPS (a local CA). A token signed
at any moment logs in until its key is retired: no downtime."""

import json
import subprocess
import time
import ssl
import urllib.request

import pytest

from rotate_helpers import issuer_servers, vault_servers

KWI = vault_servers.KWI
SUBJECT = "system:serviceaccount:default:app"


def kwi(*args, cwd):
    run = subprocess.run([str(KWI), *map(str, args)], cwd=cwd, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run


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


def ring(cwd) -> dict:
    return json.loads(kwi("rotate", "status", "--keyring", "kr", "--json", cwd=cwd).stdout)["keyring"]


def kids(cwd) -> list:
    """The kids the site must serve: the signing key first, then the next and previous ones."""
    order = {"active": 0, "next": 1, "previous": 2}
    return [k["kid"] for k in sorted(ring(cwd)["keys"], key=lambda k: order[k["role"]])]


def mount(server, name: str, issuer: str, ca_pem: str):
    status, body, _ = server.request("POST", f"sys/auth/{name}", {"type": "jwt"})
    assert status in (200, 204), body
    status, body, _ = server.request("POST", f"auth/{name}/config", {"oidc_discovery_url": issuer, "oidc_discovery_ca_pem": ca_pem})
    assert status in (200, 204), body
    role = {"role_type": "jwt", "bound_audiences": ["vault"], "user_claim": "sub", "bound_subject": SUBJECT, "token_policies": ["default"], "ttl": "1h"}  # fmt: skip
    status, body, _ = server.request("POST", f"auth/{name}/role/app", role)
    assert status in (200, 204), body


def login(server, name: str, token: str):
    status, body, _ = server.request("POST", f"auth/{name}/login", {"role": "app", "jwt": token}, token=None)
    return status, body


def mint(cwd, issuer: str) -> str:
    run = kwi("token", "mint", "--key", "kr/signing.key", "--issuer", issuer, "--namespace", "default",
              "--service-account", "app", "--aud", "vault", "--ttl", "1h", cwd=cwd)  # fmt: skip
    return run.stdout.strip()


@pytest.fixture()
def relying_parties(tmp_path):
    bao = vault_servers.start_bao(tmp_path)
    kwi_serve = vault_servers.start_kwi(tmp_path)
    yield [bao, kwi_serve]
    for server in (bao, kwi_serve):
        server.process.terminate()
        server.process.wait(timeout=10)


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
            mount(rp, "jwt", issuer, ca_pem)
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
            mount(rp, "after", issuer, ca_pem)
            assert login(rp, "after", second)[0] == 200, rp.name
            status, body = login(rp, "after", first)
            assert status == 400, (rp.name, body)
            refusals.append(body)
        assert refusals[0] == refusals[1], "kwi serve refuses the retired key's token as OpenBao does"
    finally:
        server.stop()
