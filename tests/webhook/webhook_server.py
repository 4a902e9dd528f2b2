"""Starts `kwi webhook serve` against the loopback API server of fake_apiserver.py, with a
certificate for 127.0.0.1 written the way a Secret volume changes (atomic renames)."""

import datetime
import ipaddress
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fake_apiserver import Cluster, start

REPO = Path(__file__).resolve().parents[2]
KWI = Path(os.environ.get("KWI_BIN", REPO / "target" / "debug" / "kwi"))

ROLE = "arn:aws:iam::111122223333:role/s3-reader"


def write_cert(directory: Path, name: str):
    """A CA and a serving certificate for 127.0.0.1, written atomically as tls.crt/tls.key."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    for file, data in [("tls.key", key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
                       ("tls.crt", cert.public_bytes(serialization.Encoding.PEM))]:
        tmp = directory / (file + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, directory / file)
    ca_file = directory / f"{name}-ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return ca_file, cert.fingerprint(hashes.SHA256())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


class Webhook:
    def __init__(self, tmp: Path, extra=(), cluster=None, wait_ready=True):
        self.cluster = cluster or Cluster()
        self.cluster.put_service_account("apps", "s3-reader", {"eks.amazonaws.com/role-arn": ROLE, "unrelated/x": "y"})
        self.api = start(self.cluster)
        kubeconfig = tmp / "kubeconfig"
        kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": f"http://127.0.0.1:{self.api.server_address[1]}"}}],
            "users": [{"name": "u", "user": {}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "u"}}]}))
        self.tmp = tmp
        self.ca, self.fingerprint = write_cert(tmp, "first")
        self.port = free_port()
        self.log = tmp / "kwi.log"
        self.url = f"https://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [KWI, "webhook", "serve", "--tls-cert", tmp / "tls.crt", "--tls-key", tmp / "tls.key",
             "--listen", f"127.0.0.1:{self.port}", "--kubeconfig", kubeconfig, *extra],
            stdout=subprocess.DEVNULL, stderr=self.log.open("w"))
        wait_for("kwi webhook serve answers", lambda: self.get("/healthz").status_code == 200)
        if wait_ready:
            wait_for("kwi webhook serve is ready", lambda: self.get("/readyz").status_code == 200)

    def get(self, path, ca=None):
        return requests.get(self.url + path, verify=str(ca or self.ca), timeout=10)

    def review(self, pod, namespace="apps", api_version="admission.k8s.io/v1", ca=None):
        body = {"apiVersion": api_version, "kind": "AdmissionReview",
                "request": {"uid": "uid-1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                            "resource": {"group": "", "version": "v1", "resource": "pods"},
                            "namespace": namespace, "operation": "CREATE", "object": pod}}
        r = requests.post(self.url + "/mutate", json=body, verify=str(ca or self.ca), timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.api.shutdown()
