"""`kwi sts serve` with the real AWS clients: boto3's default credential chain and the AWS CLI, in
the environment a mutated pod gets (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, and
AWS_ENDPOINT_URL_STS pointing at kwi), with tokens from `kwi token mint`; then one broken thing at a
time, each refused with STS's code."""

from __future__ import annotations

import base64
import json
import subprocess
import time

import pytest

from irsa import (
    AUD,
    NAMESPACE,
    ROLE,
    SERVICE_ACCOUNT,
    SUB,
    boto3_credentials,
    kwi,
    pod_env,
)


def mint(key, issuer_url, *extra, aud=AUD, ttl="1h"):
    args = ["token", "mint", "--key", key, "--issuer", issuer_url, "--aud", aud, "--ttl", ttl]
    if not any(a in ("--sub",) for a in extra):
        args += ["--namespace", NAMESPACE, "--service-account", SERVICE_ACCOUNT]
    return kwi(*args, *extra).stdout.strip()


def fresh_sts(issuer, pki, tmp_path):
    from irsa import StsServer, sts_config

    config = tmp_path / "fresh-sts.toml"
    config.write_text(sts_config(issuer.url, pki.ca_file))
    return StsServer(config)


def assume(sts_url: str, token: str) -> tuple[int, str]:
    """One AssumeRoleWithWebIdentity over plain HTTP (the clients are tested above)."""
    import urllib.error
    import urllib.parse
    import urllib.request

    body = urllib.parse.urlencode({"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                                   "RoleArn": ROLE, "RoleSessionName": "cache", "WebIdentityToken": token}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(sts_url, data=body), timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def write_token(tmp_path, token: str):
    f = tmp_path / "token"
    f.write_text(token)
    return f


def test_boto3_gets_credentials_as_a_pod_does(sts, issuer, cluster_keys, tmp_path):
    token = write_token(tmp_path, mint(cluster_keys[0], issuer.url))
    got = boto3_credentials(pod_env(sts.url, token))
    assert got["ok"], got
    assert got["method"] == "assume-role-with-web-identity"
    assert got["access_key"].startswith("ASIA")


def test_aws_cli_assume_role_with_web_identity(sts, issuer, cluster_keys, tmp_path):
    token = write_token(tmp_path, mint(cluster_keys[0], issuer.url))
    env = pod_env(sts.url, token)
    proc = subprocess.run(
        ["aws", "sts", "assume-role-with-web-identity", "--role-arn", ROLE,
         "--role-session-name", "cli", "--web-identity-token", f"file://{token}",
         "--duration-seconds", "900", "--output", "json"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["SubjectFromWebIdentityToken"] == SUB
    assert out["Audience"] == AUD
    assert out["Provider"] == issuer.url
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111122223333:assumed-role/app/cli"
    expiration = out["Credentials"]["Expiration"]
    expires = time.mktime(time.strptime(expiration[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    assert 800 < expires - time.time() <= 900, expiration


def cli_error(env, token_file, *extra):
    proc = subprocess.run(
        ["aws", "sts", "assume-role-with-web-identity", "--role-arn", ROLE,
         "--role-session-name", "cli", "--web-identity-token", f"file://{token_file}", *extra],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0, proc.stdout
    return proc.stderr


def _forged(token: str, **changes) -> str:
    """The token with claims changed and its signature kept (so no longer valid)."""
    header, claims, sig = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    data.update(changes)
    body = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{sig}"


@pytest.fixture(scope="module")
def other_key(tmp_path_factory):
    d = tmp_path_factory.mktemp("other")
    kwi("keys", "generate", "--out", d / "k", "--public-out", d / "k.pub")
    return d / "k"


# (name, how the token is made, STS's code, a piece of its message)
CASES = [
    ("wrong audience", lambda k, o, url: mint(k, url, aud="sts.amazon.com"), "InvalidIdentityToken", "Incorrect token audience"),
    ("issuer with a trailing slash", lambda k, o, url: mint(k, url + "/"), "InvalidIdentityToken", "No OpenIDConnect provider found in your account for"),
    ("issuer of another cluster", lambda k, o, url: mint(k, "https://oidc.other.example"), "InvalidIdentityToken", "No OpenIDConnect provider found"),
    ("expired token", lambda k, o, url: mint(k, url, "--issued-at", str(int(time.time()) - 7200)), "ExpiredTokenException", "Token expired: current date/time"),
    ("issued ten minutes ahead", lambda k, o, url: mint(k, url, "--issued-at", str(int(time.time()) + 600)), "InvalidIdentityToken", "in the future"),
    ("key not published", lambda k, o, url: mint(o, url), "InvalidIdentityToken", "Couldn't retrieve verification key"),
    ("signed by another key under the published kid", lambda k, o, url: mint(o, url, "--kid=" + kwi("keys", "kid", k).stdout.strip()), "InvalidIdentityToken", "signature"),
    ("claims changed after signing", lambda k, o, url: _forged(mint(k, url), sub="system:serviceaccount:kube-system:admin"), "InvalidIdentityToken", "signature"),
    ("another service account", lambda k, o, url: mint(k, url, "--sub", "system:serviceaccount:default:other"), "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
    ("another namespace", lambda k, o, url: mint(k, url, "--sub", "system:serviceaccount:prod:app"), "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
    ("not a JWT", lambda k, o, url: "this-is-not-a-token", "InvalidIdentityToken", "not a valid JWT"),
    ("too long", lambda k, o, url: "a" * 20001, "ValidationError", "less than or equal to 20000"),
    ("no kid and no key", lambda k, o, url: mint(o, url, "--kid", "none"), "InvalidIdentityToken", "signature"),
]


@pytest.mark.parametrize("name,make,code,message", CASES, ids=[c[0] for c in CASES])
def test_boto3_refusals_carry_stss_code(name, make, code, message, sts, issuer, cluster_keys, other_key, tmp_path):
    token = write_token(tmp_path, make(cluster_keys[0], other_key, issuer.url))
    got = boto3_credentials(pod_env(sts.url, token))
    assert not got["ok"], got
    assert got["code"] == code, got
    assert message in got["message"], got
    assert got["status"] == (403 if code == "AccessDenied" else 400)


def test_boto3_unknown_role_is_access_denied(sts, issuer, cluster_keys, tmp_path):
    token = write_token(tmp_path, mint(cluster_keys[0], issuer.url))
    got = boto3_credentials(pod_env(sts.url, token, role="arn:aws:iam::111122223333:role/nope"))
    assert (got["ok"], got.get("code")) == (False, "AccessDenied"), got


def test_aws_cli_refusals(sts, issuer, cluster_keys, tmp_path):
    token = write_token(tmp_path, mint(cluster_keys[0], issuer.url))
    env = pod_env(sts.url, token)
    err = cli_error(env, token, "--duration-seconds", "7200")
    assert "(ValidationError)" in err and "MaxSessionDuration" in err, err
    bad = write_token(tmp_path, mint(cluster_keys[0], issuer.url, aud="vault"))
    err = cli_error(env, bad)
    assert "(InvalidIdentityToken)" in err and "Incorrect token audience" in err, err


def test_aws_cli_get_caller_identity_in_the_pod_environment(sts, issuer, cluster_keys, tmp_path):
    """The usual IRSA check: the CLI's default chain assumes the role through kwi (web identity
    from the environment), then calls GetCallerIdentity with the credentials it got."""
    token = write_token(tmp_path, mint(cluster_keys[0], issuer.url))
    proc = subprocess.run(
        ["aws", "sts", "get-caller-identity", "--output", "json"],
        env=pod_env(sts.url, token), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["Account"] == "111122223333"
    assert out["Arn"].startswith("arn:aws:sts::111122223333:assumed-role/app/"), out
    assert out["UserId"].startswith("AROA"), out


def test_get_caller_identity_with_credentials_kwi_did_not_issue(sts, tmp_path):
    env = pod_env(sts.url, tmp_path / "none")
    for name in ("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        env.pop(name)
    env.update(AWS_ACCESS_KEY_ID="ASIAUNKNOWN00000000", AWS_SECRET_ACCESS_KEY="x" * 40)
    proc = subprocess.run(["aws", "sts", "get-caller-identity"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "(InvalidClientTokenId)" in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    "path,route,code,message",
    [
        ("jwks", 503, "IDPCommunicationError", "Couldn't reach your identity provider"),
        ("jwks", 404, "InvalidIdentityToken", "Couldn't retrieve verification key"),
        ("discovery", b'{"issuer":"https://elsewhere","jwks_uri":"https://elsewhere/jwks"}', "InvalidIdentityToken", "Please check .well-known/openid-configuration of provider"),
    ],
    ids=["jwks answers 503", "jwks answers 404", "discovery names another issuer"],
)
def test_a_broken_issuer_is_refused_as_sts_refuses_it(path, route, code, message, issuer, pki, cluster_keys, tmp_path):
    """A fresh STS (one that kept no keys of this issuer yet) meets the broken issuer."""
    from irsa import DISCOVERY, JWKS

    target = JWKS if path == "jwks" else DISCOVERY
    kept = issuer.routes[target]
    issuer.routes[target] = route
    sts = fresh_sts(issuer, pki, tmp_path)
    try:
        token = write_token(tmp_path, mint(cluster_keys[0], issuer.url))
        got = boto3_credentials(pod_env(sts.url, token))
    finally:
        issuer.routes[target] = kept
        sts.close()
    assert (got["ok"], got.get("code")) == (False, code), got
    assert message in got["message"], got


def test_served_over_tls_boto3_trusting_its_ca(issuer, pki, cluster_keys, tmp_path):
    from irsa import StsServer, sts_config

    config = tmp_path / "sts.toml"
    config.write_text(sts_config(issuer.url, pki.ca_file))
    server = StsServer(config, tls=(pki.cert_file, pki.key_file))
    try:
        assert server.url.startswith("https://127.0.0.1:")
        token = write_token(tmp_path, mint(cluster_keys[0], issuer.url))
        env = pod_env(server.url, token)
        env["AWS_CA_BUNDLE"] = str(pki.ca_file)
        got = boto3_credentials(env)
        assert got["ok"], got
    finally:
        server.close()


def test_a_body_over_the_limit_is_refused_without_reading_it(sts):
    """A Content-Length over 1 MiB is answered 413 before any of the body is sent."""
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(sts.url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    conn.putrequest("POST", "/")
    conn.putheader("Content-Type", "application/x-www-form-urlencoded")
    conn.putheader("Content-Length", str(2 * 1024 * 1024))
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413
    assert b"<Code>ValidationError</Code>" in response.read()
    conn.close()


@pytest.mark.parametrize("pinned", [True, False], ids=["the thumbprint doctor prints", "another thumbprint"])
def test_a_private_ca_pinned_by_thumbprint_as_iam_does(pinned, issuer, pki, cluster_keys, tmp_path):
    """No ca_file: the issuer's certificate is trusted only through the provider's thumbprint,
    the one `kwi doctor --for aws` prints for the host."""
    from irsa import StsServer, sts_config

    report = json.loads(kwi("doctor", "--json", "--issuer", issuer.url, "--ca-file", pki.ca_file,
                            "--for", "aws", check=False).stdout)
    thumbprint = report["aws"]["thumbprint"] if pinned else "0" * 40
    config = tmp_path / "sts.toml"
    config.write_text(sts_config(issuer.url, None, thumbprints=[thumbprint]))
    server = StsServer(config)
    try:
        token = write_token(tmp_path, mint(cluster_keys[0], issuer.url))
        got = boto3_credentials(pod_env(server.url, token))
    finally:
        server.close()
    if pinned:
        assert got["ok"], got
    else:
        assert (got["ok"], got["code"]) == (False, "InvalidIdentityToken"), got
        assert got["message"] == "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"


# --- the keys kept between requests -------------------------------------------------------------------


def jwks_fetches(issuer) -> int:
    from irsa import JWKS

    return issuer.server.requests.count(JWKS)


def test_keys_are_kept_between_requests(issuer, pki, cluster_keys, tmp_path):
    """As STS does, the JWKS is fetched once and kept: a JWKS that then answers 503 is not seen
    while the keys are fresh and the token's kid is known."""
    from irsa import JWKS

    sts = fresh_sts(issuer, pki, tmp_path)
    kept = issuer.routes[JWKS]
    try:
        token = mint(cluster_keys[0], issuer.url)
        before = jwks_fetches(issuer)
        for _ in range(3):
            status, body = assume(sts.url, token)
            assert status == 200, body
        assert jwks_fetches(issuer) == before + 1
        issuer.routes[JWKS] = 503
        status, body = assume(sts.url, token)
        assert status == 200, body
    finally:
        issuer.routes[JWKS] = kept
        sts.close()


def test_an_unknown_kid_fetches_the_keys_again_at_most_once_per_cooldown(issuer, pki, cluster_keys, other_key, tmp_path):
    """A key published after the first fetch is seen on its first token; a flood of tokens with
    kids the issuer does not publish makes at most one more fetch."""
    from irsa import JWKS

    sts = fresh_sts(issuer, pki, tmp_path)
    kept = issuer.routes[JWKS]
    try:
        status, body = assume(sts.url, mint(cluster_keys[0], issuer.url))
        assert status == 200, body
        before = jwks_fetches(issuer)
        # publish the other key too (a rotation's first step), and present a token it signed
        both = json.loads(kept)
        both["keys"] += json.loads(kwi("jwks", other_key).stdout)["keys"]
        issuer.routes[JWKS] = json.dumps(both).encode()
        status, body = assume(sts.url, mint(other_key, issuer.url))
        assert status == 200, body
        assert jwks_fetches(issuer) == before + 1
        # forged kids: at most one fetch for all of them within the cooldown
        for i in range(20):
            status, body = assume(sts.url, mint(other_key, issuer.url, f"--kid=forged-{i}"))
            assert status == 400 and "Couldn't retrieve verification key" in body, body
        assert jwks_fetches(issuer) <= before + 2
    finally:
        issuer.routes[JWKS] = kept
        sts.close()


def test_a_jwks_that_forbids_caching_is_fetched_for_every_request(issuer, pki, cluster_keys, tmp_path):
    from irsa import JWKS, Reply

    sts = fresh_sts(issuer, pki, tmp_path)
    kept = issuer.routes[JWKS]
    issuer.routes[JWKS] = Reply(body=kept, headers={"Content-Type": "application/json", "Cache-Control": "no-store"})
    try:
        token = mint(cluster_keys[0], issuer.url)
        before = jwks_fetches(issuer)
        for _ in range(3):
            status, body = assume(sts.url, token)
            assert status == 200, body
        assert jwks_fetches(issuer) == before + 3
    finally:
        issuer.routes[JWKS] = kept
        sts.close()
