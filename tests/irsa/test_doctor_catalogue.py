"""kwi doctor's catalogue, entry by entry: a loopback HTTPS issuer (local CA) served with exactly one
thing broken, and doctor must name that check and nothing else. What every loopback issuer is told
for the cloud relying parties (not reachable from the internet, a private CA) is set aside."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from joserfc import jws
from joserfc.jwk import RSAKey

from irsa import DISCOVERY, JWKS, PKI, IssuerServer, Reply, kwi

# Told to every loopback issuer with a private CA, for the cloud relying parties.
LOOPBACK = {"issuer.not-public", "tls.private-ca"}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("doctor-keys")
    kwi("keys", "generate", "--out", d / "sa.key", "--public-out", d / "sa.pub")
    kwi("keys", "generate", "--out", d / "other.key", "--public-out", d / "other.pub")
    kwi("keys", "generate", "--alg", "ES256", "--out", d / "ec.key", "--public-out", d / "ec.pub")
    return d


class Site:
    """A fresh issuer server and what `kwi issuer build` wrote for its URL."""

    def __init__(self, pki: PKI, keys, tmp_path, slash: str = ""):
        self.server = IssuerServer(pki)
        self.url = self.server.url + slash
        site = tmp_path / "site"
        kwi("issuer", "build", "--issuer", self.url, "--key", keys / "sa.pub", "--out", site)
        self.server.serve_site(site)
        self.discovery = json.loads(self.server.routes[DISCOVERY])
        self.jwks = json.loads(self.server.routes[JWKS])

    def set_discovery(self, doc):
        self.server.routes[DISCOVERY] = json.dumps(doc).encode()

    def set_jwks(self, doc):
        self.server.routes[JWKS] = json.dumps(doc).encode()


@pytest.fixture
def site(pki, keys, tmp_path):
    s = Site(pki, keys, tmp_path)
    yield s
    s.server.close()


def doctor(*args, expect_exit=None):
    proc = kwi("doctor", "--json", *args, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    if expect_exit is not None:
        assert proc.returncode == expect_exit, (proc.stdout, proc.stderr)
    assert proc.returncode == (0 if report["ok"] else 1)
    return report


def failed(report) -> set[str]:
    return {f["id"] for f in report["failures"]}


def mint(keys, url, *extra, key="sa.key", aud="sts.amazonaws.com", ttl="1h"):
    return kwi("token", "mint", "--key", keys / key, "--issuer", url, "--namespace", "default",
               "--service-account", "app", "--aud", aud, "--ttl", ttl, *extra).stdout.strip()


def signed(keys, claims: dict) -> str:
    """A token signed by the cluster key with the published kid, with claims kwi token mint would
    never write."""
    pem = (keys / "sa.key").read_bytes()
    key = RSAKey.import_key(pem)
    kid = kwi("keys", "kid", keys / "sa.key").stdout.strip()
    return jws.serialize_compact({"alg": "RS256", "kid": kid}, json.dumps(claims).encode(), key)


def token_file(tmp_path, token: str):
    f = tmp_path / "token"
    f.write_text(token)
    return str(f)


# --- the issuer: each case breaks one thing and names the check -------------------------------------


def _jwk(keys, name, public=True):
    args = ["keys", "convert", keys / name, "--to", "jwk"] + (["--public"] if public else [])
    return json.loads(kwi(*args).stdout)


ISSUER_CASES = {
    "issuer.query-or-fragment": lambda s, k, tmp: ["--issuer", s.url + "?tenant=1"],
    "issuer.unreachable": lambda s, k, tmp: ["--issuer", f"https://127.0.0.1:{closed_port()}"],
    "issuer.tls-untrusted": lambda s, k, tmp: ["--ca-file", s.pki_other_ca],
    "discovery.http-status": lambda s, k, tmp: s.server.routes.__setitem__(DISCOVERY, 404),
    "discovery.not-json": lambda s, k, tmp: s.server.routes.__setitem__(DISCOVERY, b"<html>hello</html>"),
    "discovery.issuer-mismatch": lambda s, k, tmp: s.set_discovery({**s.discovery, "issuer": "https://oidc.example.com"}),
    "discovery.jwks-uri-missing": lambda s, k, tmp: s.set_discovery({"issuer": s.url}),
    "discovery.jwks-uri-not-https": lambda s, k, tmp: s.set_discovery({**s.discovery, "jwks_uri": s.discovery["jwks_uri"].replace("https:", "http:")}),
    "jwks.http-status": lambda s, k, tmp: s.server.routes.__setitem__(JWKS, 500),
    "jwks.unreachable": lambda s, k, tmp: s.set_discovery({**s.discovery, "jwks_uri": f"https://127.0.0.1:{closed_port()}/keys"}),
    "jwks.not-json": lambda s, k, tmp: s.set_jwks(["not", "a", "jwks"]),
    "jwks.empty": lambda s, k, tmp: s.set_jwks({"keys": []}),
    "jwks.missing-kid": lambda s, k, tmp: s.set_jwks({"keys": [{kk: v for kk, v in s.jwks["keys"][0].items() if kk != "kid"}]}),
    "jwks.duplicate-kid": lambda s, k, tmp: s.set_jwks({"keys": s.jwks["keys"] + [{**_jwk(k, "other.key"), "kid": s.jwks["keys"][0]["kid"]}]}),
    "jwks.private-key": lambda s, k, tmp: s.set_jwks({"keys": [_jwk(k, "sa.key", public=False)]}),
    "jwks.x5c": lambda s, k, tmp: s.set_jwks({"keys": [{**s.jwks["keys"][0], "x5c": ["MIIB"]}]}),
    "jwks.too-many-keys": lambda s, k, tmp: s.set_jwks({"keys": s.jwks["keys"] + [{**s.jwks["keys"][0], "kid": f"k{i}"} for i in range(100)]}),
    "jwks.ec-key": lambda s, k, tmp: s.set_jwks({"keys": s.jwks["keys"] + [_jwk(k, "ec.key")]}),
    "jwks.unknown-kty": lambda s, k, tmp: s.set_jwks({"keys": s.jwks["keys"] + [{"kty": "XYZ", "kid": "future"}]}),
}


@pytest.mark.parametrize("check", sorted(ISSUER_CASES))
def test_issuer_breakage_is_named_and_nothing_else(check, site, pki, keys, tmp_path):
    site.pki_other_ca = str(pki.other_ca_file)
    extra = ISSUER_CASES[check](site, keys, tmp_path) or []
    args = ["--issuer", site.url, "--ca-file", str(pki.ca_file)]
    # later flags win: the case's own --issuer / --ca-file replace the defaults
    merged = dict(zip(args[::2], args[1::2]))
    merged.update(dict(zip(extra[::2], extra[1::2])))
    flat = [x for kv in merged.items() for x in kv]
    report = doctor(*flat, "--for", "all", expect_exit=1)
    assert failed(report) - LOOPBACK == {check}, report["failures"]
    finding = next(f for f in report["failures"] if f["id"] == check)
    assert finding["fix"] and finding["observation"] and finding["breaks"]


def test_trailing_slash(pki, keys, tmp_path):
    s = Site(pki, keys, tmp_path, slash="/")
    try:
        report = doctor("--issuer", s.url, "--ca-file", str(pki.ca_file), "--for", "all", expect_exit=1)
    finally:
        s.server.close()
    assert failed(report) - LOOPBACK == {"issuer.trailing-slash"}, report["failures"]
    assert set(next(f for f in report["failures"] if f["id"] == "issuer.trailing-slash")["breaks"]) == {"aws", "azure"}


def test_slow_discovery(site, pki):
    site.server.routes[DISCOVERY] = Reply(body=site.server.routes[DISCOVERY], delay=5.5)
    report = doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--for", "aws", expect_exit=1)
    assert failed(report) - LOOPBACK == {"discovery.slow"}, report["failures"]


def test_the_loopback_findings_are_for_cloud_parties_only(site, pki):
    report = doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--for", "vault", expect_exit=0)
    assert failed(report) == set()
    report = doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--for", "aws", expect_exit=1)
    assert failed(report) == LOOPBACK
    private_ca = next(f for f in report["failures"] if f["id"] == "tls.private-ca")
    assert private_ca["breaks"] == ["aws"]


def test_iam_thumbprint_is_the_sha1_of_the_top_certificate(site, pki):
    """The server sends only its leaf, so the top of the chain it presents is the leaf."""
    leaf = x509.load_pem_x509_certificate(pki.cert_file.read_bytes())
    expected = hashlib.sha1(leaf.public_bytes(serialization.Encoding.DER)).hexdigest()
    report = doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--for", "aws")
    assert report["aws"]["thumbprint"] == expected
    assert f"--thumbprint-list {expected}" in report["aws"]["command"]
    assert f"--url {site.url} --client-id-list sts.amazonaws.com" in report["aws"]["command"]


def test_unreadable_inputs_exit_2(site, pki, tmp_path):
    assert kwi("doctor", "--issuer", "not a url", check=False).returncode == 2
    assert kwi("doctor", "--issuer", site.url, "--token", tmp_path / "missing", check=False).returncode == 2
    (tmp_path / "empty.pem").write_text("")
    assert kwi("doctor", "--issuer", site.url, "--ca-file", tmp_path / "empty.pem", check=False).returncode == 2


# --- the token: a good issuer, one thing wrong with the token ---------------------------------------

NOW = lambda: int(time.time())  # noqa: E731

TOKEN_CASES = {
    # id: (parties, how the token is made, the ids expected beside it)
    "token.unreadable": (["aws", "vault"], lambda k, url: "not.a.token", set()),
    "token.kid-not-published": (["aws", "vault"], lambda k, url: mint(k, url, key="other.key"), set()),
    "token.bad-signature": (["aws", "vault"], lambda k, url: mint(k, url, "--kid=" + kwi("keys", "kid", k / "sa.key").stdout.strip(), key="other.key"), set()),
    "token.issuer": (["aws", "vault"], lambda k, url: mint(k, "https://oidc.other.example"), set()),
    "token.audience": (["aws"], lambda k, url: mint(k, url, aud="sts.amazon.com"), set()),
    "token.expired": (["aws", "vault"], lambda k, url: mint(k, url, "--issued-at", str(NOW() - 7200)), set()),
    "token.not-yet-valid": (["aws", "vault"], lambda k, url: mint(k, url, "--issued-at", str(NOW() + 900)), set()),
    "token.lifetime": (["azure"], lambda k, url: mint(k, url, aud="api://AzureADTokenExchange", ttl="48h"), set()),
    "token.claims": (["aws"], lambda k, url: signed(k, {"iss": url, "sub": "system:serviceaccount:default:app", "aud": ["sts.amazonaws.com"], "iat": NOW(), "exp": NOW() + 3600.5}), set()),
    "token.too-long": (["aws"], lambda k, url: signed(k, {"iss": url, "sub": "system:serviceaccount:default:app", "aud": ["sts.amazonaws.com"], "iat": NOW(), "exp": NOW() + 3600, "pad": "x" * 20000}), set()),
}


@pytest.mark.parametrize("check", sorted(TOKEN_CASES))
def test_token_breakage_is_named_and_nothing_else(check, site, pki, keys, tmp_path):
    parties, make, beside = TOKEN_CASES[check]
    token = token_file(tmp_path, make(keys, site.url))
    flags = [x for p in parties for x in ("--for", p)]
    report = doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--token", token, *flags, expect_exit=1)
    assert failed(report) - LOOPBACK == {check} | beside, report["failures"]
    finding = next(f for f in report["failures"] if f["id"] == check)
    assert sorted(finding["breaks"]) == sorted(parties), finding


def test_ec_token_for_entra(site, pki, keys, tmp_path):
    """An ES256 key published and a token signed with it: Entra refuses both."""
    site.set_jwks({"keys": site.jwks["keys"] + [_jwk(keys, "ec.key")]})
    token = token_file(tmp_path, mint(keys, site.url, key="ec.key", aud="api://AzureADTokenExchange"))
    report = doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--token", token, "--for", "azure", expect_exit=1)
    assert failed(report) - LOOPBACK == {"token.algorithm", "jwks.ec-key"}, report["failures"]
    alg = next(f for f in report["failures"] if f["id"] == "token.algorithm")
    assert alg["messages"]["azure"].startswith("AADSTS5002738: Invalid JWT token. 'ES256'")


def test_sts_messages_come_from_the_sts_implementation(site, pki, keys, tmp_path):
    """doctor --for aws and kwi sts share the checks: the message is STS's own text."""
    token = token_file(tmp_path, mint(keys, site.url, aud="vault"))
    report = doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--token", token, "--for", "aws", expect_exit=1)
    aud = next(f for f in report["failures"] if f["id"] == "token.audience")
    assert aud["messages"]["aws"] == "InvalidIdentityToken: Incorrect token audience"


def test_a_good_token_is_clean_for_vault_and_aws(site, pki, keys, tmp_path):
    token = token_file(tmp_path, mint(keys, site.url))
    assert failed(doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--token", token, "--for", "vault", expect_exit=0)) == set()
    assert failed(doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--token", token, "--for", "aws")) == LOOPBACK


def test_human_output_groups_checks(site, pki, keys, tmp_path):
    token = token_file(tmp_path, mint(keys, site.url, aud="sts.amazon.com"))
    proc = kwi("doctor", "--issuer", site.url, "--ca-file", pki.ca_file, "--token", token, "--for", "aws",
               "--role-arn", "arn:aws:iam::111122223333:role/app", check=False)
    assert proc.returncode == 1
    out = proc.stdout
    assert "✓ " in out and "✗ token.audience" in out
    assert "aws says: InvalidIdentityToken: Incorrect token audience" in out
    assert "aws iam create-open-id-connect-provider" in out
    assert '"127.0.0.1:' in out and ':sub": "system:serviceaccount:default:app"' in out


# --- the catalogue and the README ----------------------------------------------------------------

TESTED_ELSEWHERE = {
    "tls.expired": "test_certificate_problems_are_named",
    "tls.wrong-host": "test_certificate_problems_are_named",
    "issuer.trailing-slash": "test_trailing_slash",
    "discovery.slow": "test_slow_discovery",
    "issuer.not-public": "test_the_loopback_findings_are_for_cloud_parties_only",
    "tls.private-ca": "test_the_loopback_findings_are_for_cloud_parties_only",
    "token.algorithm": "test_ec_token_for_entra",
    "issuer.not-https": "test_an_http_issuer_is_walked_and_refused_by_the_cloud_parties",
    "dns.no-such-host": "test_a_host_that_does_not_resolve",
    "dns.private-address": "test_a_name_that_resolves_to_loopback_only",
    "discovery.content-type": "test_warnings_are_named_and_nothing_else",
    "jwks.content-type": "test_warnings_are_named_and_nothing_else",
    "jwks.no-cache": "test_warnings_are_named_and_nothing_else",
    "jwks.long-max-age": "test_warnings_are_named_and_nothing_else",
    "fetch.redirect": "test_warnings_are_named_and_nothing_else",
    "fetch.too-many-redirects": "test_a_redirect_loop",
    "entra.credential-issuer": "test_entra_credential_issuer",
    "entra.subject": "test_entra_subject_is_case_sensitive",
    "gcp.provider-name": "test_google_provider_name",
    "gcp.subject-too-long": "test_google_subject_limit",
    "gcp.token-claims": "test_google_token_rules",
}


def test_every_catalogue_entry_has_its_test():
    table = kwi("doctor", "--catalogue").stdout
    ids = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")}
    assert len(ids) >= 25
    assert ids == set(ISSUER_CASES) | set(TOKEN_CASES) | set(TESTED_ELSEWHERE)


def test_the_readme_table_is_the_catalogue():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = readme.index("<!-- doctor-catalogue -->\n") + len("<!-- doctor-catalogue -->\n")
    end = readme.index("<!-- /doctor-catalogue -->")
    assert readme[start:end] == kwi("doctor", "--catalogue").stdout


# --- certificates that are trusted by their CA but wrong in themselves -------------------------------


def _served_with_leaf(tmp_path, keys, *, days_valid: tuple[int, int], names: list):
    """A CA of its own, a leaf with this validity (days from now) and these subjectAltNames, and
    an issuer site served with it. Returns (server, url, ca_file)."""
    import datetime
    import ssl

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from tls_issuer import make_ca

    from irsa import TLSServer

    ca_key, ca_cert = make_ca("doctor test CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leaf")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=days_valid[0]))
        .not_valid_after(now + datetime.timedelta(days=days_valid[1]))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (tmp_path / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    server = TLSServer(ctx)
    import threading

    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_address[1]}"
    kwi("issuer", "build", "--issuer", url, "--key", keys / "sa.pub", "--out", tmp_path / "site")
    for path in (DISCOVERY, JWKS):
        server.routes[path] = (tmp_path / "site" / path.lstrip("/")).read_bytes()
    return server, url, tmp_path / "ca.pem"


@pytest.mark.parametrize(
    "check,days,names",
    [
        ("tls.expired", (-10, -1), "ip"),
        ("tls.wrong-host", (-1, 1), "dns"),
    ],
)
def test_certificate_problems_are_named(check, days, names, keys, tmp_path):
    import ipaddress

    san = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))] if names == "ip" else [x509.DNSName("oidc.example.com")]
    server, url, ca = _served_with_leaf(tmp_path, keys, days_valid=days, names=san)
    try:
        report = doctor("--issuer", url, "--ca-file", str(ca), "--for", "all", expect_exit=1)
    finally:
        server.shutdown()
        server.server_close()
    assert failed(report) - LOOPBACK == {check}, report["failures"]


# --- DNS, plain HTTP, headers and redirects ----------------------------------------------------------


def warned(report) -> set[str]:
    return {w["id"] for w in report["warnings"]}


class PlainServer(ThreadingHTTPServer):
    """The issuer's routes over plain HTTP on 127.0.0.1 (tls_issuer's handler, without TLS)."""

    daemon_threads = True

    def __init__(self):
        from tls_issuer import Handler

        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict = {}
        self.requests: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()


def test_an_http_issuer_is_walked_and_refused_by_the_cloud_parties(keys, tmp_path):
    """kwi issuer build refuses http issuers, so the documents are written here as kube-apiserver
    would serve them for --service-account-issuer http://…; Vault fetches http and accepts."""
    server = PlainServer()
    try:
        server.routes[DISCOVERY] = json.dumps({"issuer": server.url, "jwks_uri": server.url + JWKS}).encode()
        server.routes[JWKS] = kwi("jwks", keys / "sa.pub").stdout.encode()
        report = doctor("--issuer", server.url, "--for", "all", expect_exit=1)
        assert failed(report) - LOOPBACK == {"issuer.not-https"}, report["failures"]
        finding = next(f for f in report["failures"] if f["id"] == "issuer.not-https")
        assert sorted(finding["breaks"]) == ["aws", "azure", "gcp"]
        assert JWKS in server.requests, "the JWKS was fetched over http"
        assert report["jwks_uri"] == server.url + JWKS
        token = token_file(tmp_path, mint(keys, server.url, aud="vault"))
        report = doctor("--issuer", server.url, "--token", token, "--for", "vault", expect_exit=0)
        assert failed(report) == set() and warned(report) == set()
        assert any(p["check"].startswith("Vault accepts it") for p in report["passed"])
    finally:
        server.close()


def test_a_host_that_does_not_resolve(pki):
    """.invalid never resolves (RFC 6761): the walk stops at DNS, for every party."""
    report = doctor("--issuer", "https://kwi-doctor-test.invalid", "--ca-file", str(pki.ca_file),
                    "--for", "all", expect_exit=1)
    assert failed(report) == {"dns.no-such-host"}, report["failures"]
    assert sorted(report["failures"][0]["breaks"]) == ["aws", "azure", "gcp", "vault"]
    assert "kwi-doctor-test.invalid" in report["failures"][0]["observation"]


def test_the_jwks_host_is_resolved_too(site, pki):
    """A jwks_uri on another host: that host is resolved as the issuer's is."""
    site.set_discovery({**site.discovery, "jwks_uri": "https://kwi-doctor-jwks.invalid/openid/v1/jwks"})
    report = doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--for", "all", expect_exit=1)
    assert failed(report) - LOOPBACK == {"dns.no-such-host"}, report["failures"]
    site.set_discovery({**site.discovery, "jwks_uri": f"https://localhost:{site.server.port}{JWKS}"})
    report = doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--for", "all", expect_exit=1)
    assert failed(report) - LOOPBACK == {"dns.private-address"}, report["failures"]
    assert "localhost" in next(f for f in report["failures"] if f["id"] == "dns.private-address")["observation"]
    assert failed(doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--for", "vault", expect_exit=0)) == set()


def test_a_name_that_resolves_to_loopback_only(pki, keys, tmp_path):
    """localhost is a name (the test certificate holds it) that resolves to loopback only: the
    cloud parties cannot reach it, Vault beside it can."""
    server = IssuerServer(pki)
    try:
        url = f"https://localhost:{server.port}"
        kwi("issuer", "build", "--issuer", url, "--key", keys / "sa.pub", "--out", tmp_path / "site")
        server.serve_site(tmp_path / "site")
        report = doctor("--issuer", url, "--ca-file", str(pki.ca_file), "--for", "all", expect_exit=1)
        assert failed(report) - LOOPBACK == {"dns.private-address"}, report["failures"]
        assert "issuer.not-public" not in failed(report), "localhost is judged by what it resolves to"
        finding = next(f for f in report["failures"] if f["id"] == "dns.private-address")
        assert sorted(finding["breaks"]) == ["aws", "azure", "gcp"]
        assert "127.0.0.1" in finding["observation"]
        assert failed(doctor("--issuer", url, "--ca-file", str(pki.ca_file), "--for", "vault", expect_exit=0)) == set()
    finally:
        server.close()


def _reply(site, path, **headers):
    body = site.server.routes[path]
    site.server.routes[path] = Reply(body=body, headers={"Content-Type": "application/json", **headers})


WARNING_CASES = {
    "discovery.content-type": lambda s: _reply(s, DISCOVERY, **{"Content-Type": "text/html"}),
    "jwks.content-type": lambda s: _reply(s, JWKS, **{"Content-Type": "text/plain; charset=utf-8"}),
    "jwks.no-cache": lambda s: _reply(s, JWKS, **{"Cache-Control": "no-store"}),
    "jwks.no-cache (pragma)": lambda s: _reply(s, JWKS, Pragma="no-cache"),
    "jwks.no-cache (max-age=0)": lambda s: _reply(s, JWKS, **{"Cache-Control": "public, max-age=0"}),
    "jwks.long-max-age": lambda s: _reply(s, JWKS, **{"Cache-Control": "public, max-age=604800"}),
    "fetch.redirect": lambda s: (
        s.server.routes.__setitem__("/moved" + DISCOVERY, s.server.routes[DISCOVERY]),
        s.server.routes.__setitem__(DISCOVERY, s.url + "/moved" + DISCOVERY),
    ),
}


@pytest.mark.parametrize("case", sorted(WARNING_CASES))
def test_warnings_are_named_and_nothing_else(case, site, pki):
    """A warning is reported (with what was seen) but breaks nobody: exit 0 for Vault, and for
    every party nothing beyond the loopback findings."""
    check = case.split(" ")[0]
    WARNING_CASES[case](site)
    report = doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--for", "all", expect_exit=1)
    assert failed(report) - LOOPBACK == set(), report["failures"]
    assert warned(report) == {check}, report["warnings"]
    warning = report["warnings"][0]
    assert warning["observation"] and warning["fix"] and warning["concerns"]
    vault = doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--for", "vault")
    if check == "jwks.no-cache" or check == "jwks.long-max-age":
        assert warned(vault) == set(), "the caching warnings concern the cloud parties"
    else:
        assert warned(vault) == {check}
    assert vault["ok"] and failed(vault) == set()
    if check == "fetch.redirect":
        assert f"302 {site.url}/moved{DISCOVERY}" in warning["observation"]


def test_both_redirect_chains_are_reported(site, pki):
    for path in (DISCOVERY, JWKS):
        site.server.routes["/moved" + path] = site.server.routes[path]
        site.server.routes[path] = site.url + "/moved" + path
    report = doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--for", "vault", expect_exit=0)
    assert warned(report) == {"fetch.redirect"}
    seen = report["warnings"][0]["observation"]
    assert f"302 {site.url}/moved{DISCOVERY}" in seen and f"302 {site.url}/moved{JWKS}" in seen, seen


def test_kube_apiserver_caching_is_no_warning(site, pki):
    _reply(site, JWKS, **{"Cache-Control": "public, max-age=3600"})
    report = doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--for", "all", expect_exit=1)
    assert warned(report) == set() and failed(report) == LOOPBACK


def test_a_redirect_loop(site, pki):
    site.server.routes[DISCOVERY] = site.url + "/a"
    site.server.routes["/a"] = site.url + "/b"
    site.server.routes["/b"] = site.url + "/a"
    report = doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--for", "vault", expect_exit=1)
    assert failed(report) == {"fetch.too-many-redirects"}, report["failures"]
    assert report["failures"][0]["observation"].count("→ 302") == 11


def test_human_output_lists_warnings_apart(site, pki):
    _reply(site, JWKS, **{"Content-Type": "text/plain"})
    proc = kwi("doctor", "--issuer", site.url, "--ca-file", pki.ca_file, "--for", "vault", check=False)
    assert proc.returncode == 0, proc.stderr
    assert "! jwks.content-type" in proc.stdout and "✗" not in proc.stdout
    assert "no problem found, 1 warning(s)" in proc.stdout


# --- Entra's federated identity credential -----------------------------------------------------------

ENTRA_AUD = "api://AzureADTokenExchange"
SUB = "system:serviceaccount:default:app"


def fic(tmp_path, issuer, subject=SUB, audiences=(ENTRA_AUD,), name="k8s", listed=False):
    """A credential as `az identity federated-credential show` prints it (or `list`)."""
    one = {"audiences": list(audiences), "id": "/subscriptions/0/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app/federatedIdentityCredentials/" + name,
           "issuer": issuer, "name": name, "resourceGroup": "rg", "subject": subject,
           "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"}
    f = tmp_path / f"fic-{name}.json"
    f.write_text(json.dumps([one] if listed else one))
    return str(f)


def entra(site, pki, *args, expect_exit=None):
    return doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--for", "azure", *args, expect_exit=expect_exit)


def test_entra_credential_issuer(site, pki, tmp_path):
    """The credential was made with a trailing slash: refused before any token is looked at."""
    report = entra(site, pki, "--azure-credential", fic(tmp_path, site.url + "/"), expect_exit=1)
    assert failed(report) - LOOPBACK == {"entra.credential-issuer"}, report["failures"]
    finding = next(f for f in report["failures"] if f["id"] == "entra.credential-issuer")
    assert finding["breaks"] == ["azure"] and site.url + "/" in finding["observation"]


def test_entra_subject_is_case_sensitive(site, pki, keys, tmp_path):
    token = token_file(tmp_path, mint(keys, site.url, aud=ENTRA_AUD))
    credential = fic(tmp_path, site.url, subject="system:serviceaccount:Default:app")
    report = entra(site, pki, "--token", token, "--azure-credential", credential, expect_exit=1)
    assert failed(report) - LOOPBACK == {"entra.subject"}, report["failures"]
    finding = next(f for f in report["failures"] if f["id"] == "entra.subject")
    assert "case only" in finding["observation"]
    assert finding["messages"]["azure"] == (
        "AADSTS70021: No matching federated identity record found for presented assertion. "
        f"Assertion Issuer: '{site.url}'. Assertion Subject: '{SUB}'. Assertion Audience: '{ENTRA_AUD}'.")
    # the same with --azure-subject, and another service account altogether
    report = entra(site, pki, "--token", token, "--azure-subject", "system:serviceaccount:default:other", expect_exit=1)
    assert failed(report) - LOOPBACK == {"entra.subject"}, report["failures"]


def test_entra_matches_the_credential_audience(site, pki, keys, tmp_path):
    credential = fic(tmp_path, site.url, audiences=["api://custom-exchange"])
    usual = token_file(tmp_path, mint(keys, site.url, aud=ENTRA_AUD))
    report = entra(site, pki, "--token", usual, "--azure-credential", credential, expect_exit=1)
    assert failed(report) - LOOPBACK == {"token.audience"}, report["failures"]
    aud = next(f for f in report["failures"] if f["id"] == "token.audience")
    assert aud["messages"]["azure"].startswith(
        f"AADSTS700212: No matching federated identity record found for presented assertion audience '{ENTRA_AUD}'")
    custom = token_file(tmp_path, mint(keys, site.url, aud="api://custom-exchange"))
    report = entra(site, pki, "--token", custom, "--azure-credential", credential, expect_exit=1)
    assert failed(report) == {"issuer.not-public"}, "the credential's audience, not the usual one"


def test_entra_accepts_a_matching_credential_from_a_list(site, pki, keys, tmp_path):
    token = token_file(tmp_path, mint(keys, site.url, aud=ENTRA_AUD))
    creds = json.loads(Path(fic(tmp_path, site.url, subject="system:serviceaccount:other:x", name="a", listed=True)).read_text())
    creds += json.loads(Path(fic(tmp_path, site.url, name="b", listed=True)).read_text())
    (tmp_path / "list.json").write_text(json.dumps(creds))
    report = entra(site, pki, "--token", token, "--azure-credential", str(tmp_path / "list.json"), expect_exit=1)
    assert failed(report) == {"issuer.not-public"}, report["failures"]
    assert any(p["check"] == "Entra ID accepts it" for p in report["passed"])


def test_entra_credential_file_unreadable_exits_2(site, pki, tmp_path):
    (tmp_path / "bad.json").write_text('{"issuer": "https://x"}')
    proc = kwi("doctor", "--issuer", site.url, "--for", "azure", "--azure-credential", tmp_path / "bad.json", check=False)
    assert proc.returncode == 2 and 'no "audiences" list' in proc.stderr, proc.stderr
    proc = kwi("doctor", "--issuer", site.url, "--azure-credential", tmp_path / "bad.json", "--azure-subject", "x", check=False)
    assert proc.returncode == 2


# --- Google's pool provider ---------------------------------------------------------------------------

PROVIDER = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/k8s-pool/providers/cluster-1"


def google(site, pki, *args, expect_exit=None):
    return doctor("--issuer", site.url, "--ca-file", str(pki.ca_file), "--for", "gcp", *args, expect_exit=expect_exit)


@pytest.mark.parametrize("name", [
    PROVIDER.replace("123456789012", "my-project"),
    "https:" + PROVIDER,
    PROVIDER.rsplit("/providers/", 1)[0],
])
def test_google_provider_name(name, site, pki):
    report = google(site, pki, "--gcp-provider", name, expect_exit=1)
    assert failed(report) - LOOPBACK == {"gcp.provider-name"}, report["failures"]
    finding = next(f for f in report["failures"] if f["id"] == "gcp.provider-name")
    assert finding["messages"]["gcp"].startswith('invalid_request: Invalid value for "audience".')


def test_google_audience_is_the_provider_or_an_allowed_one(site, pki, keys, tmp_path):
    webhook_default = token_file(tmp_path, mint(keys, site.url, aud="sts.googleapis.com"))
    report = google(site, pki, "--token", webhook_default, "--gcp-provider", PROVIDER, expect_exit=1)
    assert failed(report) - LOOPBACK == {"token.audience"}, report["failures"]
    aud = next(f for f in report["failures"] if f["id"] == "token.audience")
    assert aud["messages"]["gcp"] == (
        "invalid_grant: The audience in ID Token [sts.googleapis.com] does not match the expected audience.")
    # the provider's allowed audiences replace its name
    report = google(site, pki, "--token", webhook_default, "--gcp-provider", PROVIDER,
                    "--gcp-allowed-audience", "sts.googleapis.com")
    assert failed(report) - LOOPBACK == set(), report["failures"]
    # the name itself, with or without https:
    for aud in (PROVIDER, "https:" + PROVIDER):
        token = token_file(tmp_path, mint(keys, site.url, aud=aud))
        report = google(site, pki, "--token", token, "--gcp-provider", PROVIDER)
        assert failed(report) - LOOPBACK == set(), (aud, report["failures"])
        assert any(p["check"] == "Google STS accepts it" for p in report["passed"])


def test_google_subject_limit(site, pki, keys, tmp_path):
    """system:serviceaccount:<63-character namespace>:<70-character name> is 156 bytes."""
    long = kwi("token", "mint", "--key", keys / "sa.key", "--issuer", site.url, "--namespace", "n" * 63,
               "--service-account", "s" * 70, "--aud", PROVIDER, "--ttl", "1h").stdout.strip()
    report = google(site, pki, "--token", token_file(tmp_path, long), "--gcp-provider", PROVIDER, expect_exit=1)
    assert failed(report) - LOOPBACK == {"gcp.subject-too-long"}, report["failures"]
    assert any("156 bytes" in f["observation"] for f in report["failures"])


def test_google_allowed_audiences_are_bounded(site):
    many = [x for i in range(11) for x in ("--gcp-allowed-audience", f"a{i}")]
    proc = kwi("doctor", "--issuer", site.url, "--for", "gcp", *many, check=False)
    assert proc.returncode == 2 and "at most 10" in proc.stderr


def test_google_token_rules(site, pki, keys, tmp_path):
    """What Google's STS API reference requires of the token: RS256 or ES256 with a kid, iss, iat
    in the past, exp less than 48 h after iat, sub, aud."""
    args = ("--gcp-provider", PROVIDER)

    def check(token, expected):
        report = google(site, pki, "--token", token_file(tmp_path, token), *args)
        assert failed(report) - LOOPBACK == expected, report["failures"]
        return report

    check(mint(keys, site.url, aud=PROVIDER, ttl="47h"), set())
    check(mint(keys, site.url, aud=PROVIDER, ttl="48h"), {"token.lifetime"})
    check(mint(keys, site.url, "--issued-at", str(NOW() + 120), aud=PROVIDER), {"token.not-yet-valid"})
    check(signed(keys, {"iss": site.url, "sub": SUB, "aud": PROVIDER, "exp": NOW() + 3600}), {"gcp.token-claims"})
    report = check(signed(keys, {"iss": site.url, "aud": PROVIDER, "iat": NOW(), "exp": NOW() + 3600}), {"gcp.token-claims"})
    assert "sub" in next(f for f in report["failures"] if f["id"] == "gcp.token-claims")["observation"]
    # ES384: published, verified, but not an algorithm Google's STS takes
    kwi("keys", "generate", "--alg", "ES384", "--out", tmp_path / "es384.key")
    site.set_jwks({"keys": site.jwks["keys"] + [_jwk(tmp_path, "es384.key")]})
    report = check(mint(tmp_path, site.url, key="es384.key", aud=PROVIDER), {"token.algorithm"})
    assert "ES384" in next(f for f in report["failures"] if f["id"] == "token.algorithm")["observation"]
