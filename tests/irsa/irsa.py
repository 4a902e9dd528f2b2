"""The IRSA chain on loopback, piece by piece: a cluster's keys (`kwi keys generate`), its issuer
site (`kwi issuer build`) served over HTTPS with a local CA (tests/interop/tls_issuer.py), tokens as
kube-apiserver issues them (`kwi token mint`), `kwi sts serve` with a role, and the AWS clients
(boto3, the AWS CLI) run in the environment the pod identity webhook gives a pod."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "interop"))

from tls_issuer import PKI, Reply, TLSServer  # noqa: E402

KWI = Path(os.environ.get("KWI_BIN", REPO / "target" / "debug" / "kwi"))
DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/openid/v1/jwks"
ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
AUD = "sts.amazonaws.com"
NAMESPACE, SERVICE_ACCOUNT = "default", "app"
SUB = f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}"

__all__ = ["PKI", "Reply", "TLSServer"]


def kwi(*args, check=True, input=None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(KWI), *map(str, args)], capture_output=True, text=True, timeout=120, input=input)
    if check and proc.returncode != 0:
        raise AssertionError(f"kwi {' '.join(map(str, args))}: exit {proc.returncode}\n{proc.stderr}")
    return proc


class IssuerServer:
    """A TLSServer on 127.0.0.1 serving routes; its URL is https://127.0.0.1:PORT."""

    def __init__(self, pki: PKI):
        self.server = TLSServer(pki.server_context())
        self.port = self.server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def routes(self) -> dict:
        return self.server.routes

    def serve_site(self, site: Path) -> None:
        """Serves what `kwi issuer build` wrote."""
        self.server.routes.clear()
        for path in (DISCOVERY, JWKS):
            self.server.routes[path] = (site / path.lstrip("/")).read_bytes()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def trust_policy(prefix: str, sub: str = SUB, aud: str = AUD) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{prefix}"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {f"{prefix}:sub": sub, f"{prefix}:aud": aud}},
                }
            ],
        }
    )


def sts_config(
    provider_url: str, ca_file: Path | None, policy: str | None = None, max_session: int = 3600, thumbprints=()
) -> str:
    prefix = provider_url.removeprefix("https://")
    policy = policy or trust_policy(prefix)
    ca_line = f'ca_file = "{ca_file}"' if ca_file else ""
    return f"""account = "{ACCOUNT}"
[[provider]]
url = "{provider_url}"
client_ids = ["{AUD}"]
thumbprints = {json.dumps(list(thumbprints))}
{ca_line}
[[role]]
arn = "{ROLE}"
max_session_duration = {max_session}
trust_policy = '''{policy}'''
"""


class StsServer:
    """`kwi sts serve` on a free loopback port."""

    def __init__(self, config: Path, tls: tuple | None = None):
        tls_args = ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])] if tls else []
        self.process = subprocess.Popen(
            [str(KWI), "sts", "serve", "--config", str(config), "--listen", "127.0.0.1:0", *tls_args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stderr.readline() if self.process.stderr else ""
        if "listening on " not in line:
            self.process.kill()
            rest = self.process.stderr.read() if self.process.stderr else ""
            raise AssertionError(f"kwi sts serve did not start: {line}{rest}")
        self.url = line.split("listening on ", 1)[1].strip()

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def pod_env(sts_url: str, token_file: Path, role: str = ROLE) -> dict:
    """The environment the pod identity webhook injects, and nothing of the host's AWS setup."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ROLE_ARN=role,
        AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file),
        AWS_ENDPOINT_URL_STS=sts_url,
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_STS_REGIONAL_ENDPOINTS="regional",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        # The AWS CLI caches assumed-role credentials under ~/.aws/cli/cache: a home of its own
        # keeps credentials of an earlier kwi sts out of this run.
        HOME=str(token_file.parent),
    )
    return env


BOTO3_CREDENTIALS = """
import json, sys
import boto3, botocore.exceptions
try:
    creds = boto3.Session().get_credentials()
    frozen = creds.get_frozen_credentials()
    print(json.dumps({"ok": True, "access_key": frozen.access_key, "method": creds.method,
                      "expiry": str(getattr(creds, "_expiry_time", ""))}))
except botocore.exceptions.ClientError as e:
    print(json.dumps({"ok": False, "code": e.response["Error"]["Code"],
                      "message": e.response["Error"]["Message"],
                      "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}))
"""


def boto3_credentials(env: dict) -> dict:
    """What boto3's default credential chain gets in this environment."""
    proc = subprocess.run(
        [sys.executable, "-c", BOTO3_CREDENTIALS], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
