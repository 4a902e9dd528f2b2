"""`kwi issuer publish` with an AWS profile that assumes a role (`role_arn` + `source_profile`),
as the AWS CLI follows it: sts:AssumeRole signed with the source profile's keys, then the uploads
signed with the temporary credentials. A recording front on loopback plays STS (it answers
AssumeRole itself, or refuses it) and passes every S3 request on to moto, keeping what signed it."""

import http.server
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from publish_helpers import kwi
from test_s3 import REGION, bucket, bucket_name, for_bucket  # noqa: F401 (fixture)

ROLE = "arn:aws:iam::111122223333:role/oidc-publisher"
TEMPORARY = ("ASIAKWITEST", "temporary-secret", "temporary-token")


class Front(http.server.ThreadingHTTPServer):
    def __init__(self, moto_url: str, refuse: bool):
        self.moto_url, self.refuse = moto_url, refuse
        self.sts_calls, self.s3_auth = [], []
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def relay(self):
        server: Front = self.server
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        auth = self.headers.get("authorization", "")
        if "/sts/aws4_request" in auth:
            server.sts_calls.append((auth, dict(urllib.parse.parse_qsl(body.decode()))))
            if server.refuse:
                xml = b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole</Message></Error></ErrorResponse>"
                return self.answer(403, xml)
            key, secret, token = TEMPORARY
            xml = (f"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
                   f"<SessionToken>{token}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>")  # fmt: skip
            return self.answer(200, xml.encode())
        server.s3_auth.append((auth, self.headers.get("x-amz-security-token")))
        # moto (which checks no signature) is given moto's test keys: it knows no session of ours.
        return self.answer(*self.forward(body))

    def forward(self, body):
        request = urllib.request.Request(self.server.moto_url + self.path, data=body if body else None, method=self.command)
        for name, value in self.headers.items():
            if name.lower() == "authorization":
                value = value.replace(f"Credential={TEMPORARY[0]}/", "Credential=testing/")
            if name.lower() not in ("host", "content-length", "connection", "x-amz-security-token", "expect", "transfer-encoding"):
                request.add_header(name, value)
        if body and "content-type" not in {k.lower() for k in self.headers}:
            # urllib would call the body a form, and moto would then read it as one.
            request.add_header("Content-Type", "application/octet-stream")
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def answer(self, status, body, headers=None):
        self.send_response(status)
        for name, value in (headers.items() if headers else []):
            if name.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = relay


@pytest.fixture()
def front(moto_url, request):
    server = Front(moto_url, refuse=getattr(request, "param", False))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def profile_env(tmp_path, s3_env, front):
    aws = tmp_path / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text("[base]\naws_access_key_id = AKIASOURCE\naws_secret_access_key = source-secret\n")
    (aws / "config").write_text(f"[profile publisher]\nrole_arn = {ROLE}\nsource_profile = base\nrole_session_name = ci-publish\n"
                                f"external_id = ext-1\nregion = {REGION}\n")  # fmt: skip
    env = {k: v for k, v in s3_env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    url = f"http://127.0.0.1:{front.server_address[1]}"
    return dict(env, HOME=str(tmp_path), AWS_PROFILE="publisher", AWS_ENDPOINT_URL_STS=url), url


def test_the_role_is_assumed_and_its_credentials_sign_the_uploads(tmp_path, s3_env, s3, bucket, front):  # noqa: F811
    env, url = profile_env(tmp_path, s3_env, front)
    site = for_bucket(tmp_path, "site", bucket)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    kwi("issuer", "publish", "--site", site, "--to", f"s3://{bucket}", "--endpoint", url, "--no-verify", env=env, check=0)
    # STS was called once, signed with the source profile's keys, with the profile's settings.
    assert len(front.sts_calls) == 1
    auth, form = front.sts_calls[0]
    assert "Credential=AKIASOURCE/" in auth and f"/{REGION}/sts/aws4_request" in auth
    assert form == {"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": ROLE, "RoleSessionName": "ci-publish", "ExternalId": "ext-1"}
    # Every S3 request was signed with the temporary credentials STS issued, with a session token.
    assert front.s3_auth
    for auth, token in front.s3_auth:
        assert f"Credential={TEMPORARY[0]}/" in auth, auth
        assert token == TEMPORARY[2]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert ".well-known/openid-configuration" in keys


@pytest.mark.parametrize("front", [True], indirect=True)
def test_a_refused_assume_role_is_named_with_stss_words(tmp_path, s3_env, bucket, front):  # noqa: F811
    env, url = profile_env(tmp_path, s3_env, front)
    site = for_bucket(tmp_path, "site", bucket)
    proc = kwi("issuer", "publish", "--site", site, "--to", f"s3://{bucket}", "--endpoint", url, "--no-verify", env=env, check=1)
    assert f"AWS_PROFILE=publisher: sts:AssumeRole on {ROLE} failed: HTTP 403 AccessDenied" in proc.stderr, proc.stderr
    assert not front.s3_auth, "nothing was uploaded"


def test_profiles_kwi_does_not_follow_say_so(tmp_path, s3_env, bucket, front):  # noqa: F811
    env, url = profile_env(tmp_path, s3_env, front)
    site = for_bucket(tmp_path, "site", bucket)
    config = tmp_path / ".aws" / "config"
    for extra, said in [("mfa_serial = arn:aws:iam::111122223333:mfa/me\n", "mfa_serial"),
                        ("credential_source = Ec2InstanceMetadata\n", "credential_source")]:  # fmt: skip
        config.write_text(f"[profile publisher]\nrole_arn = {ROLE}\nsource_profile = base\n{extra}")
        proc = kwi("issuer", "publish", "--site", site, "--to", f"s3://{bucket}", "--endpoint", url, env=env, check=2)
        assert said in proc.stderr and "aws configure export-credentials" in proc.stderr, proc.stderr
    config.write_text(f"[profile publisher]\nrole_arn = {ROLE}\nsource_profile = middle\n[profile middle]\nrole_arn = {ROLE}\nsource_profile = base\n")
    proc = kwi("issuer", "publish", "--site", site, "--to", f"s3://{bucket}", "--endpoint", url, env=env, check=2)
    assert "a chain kwi does not follow" in proc.stderr, proc.stderr
    assert not front.sts_calls
