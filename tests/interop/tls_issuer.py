"""A loopback HTTPS server for issuer documents, with a certificate chain made here by
`cryptography` (a self-signed CA and a leaf for IP 127.0.0.1 and DNS localhost).

Routes map a path to: bytes (200, application/json), an int (that status), a str (a 302 to it),
or a `Reply` (any status, headers, body, and a delay before answering).
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import ssl
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclasses.dataclass
class Reply:
    """A route's full answer."""

    body: bytes = b""
    status: int = 200
    headers: dict = dataclasses.field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0


# --- certificates ------------------------------------------------------------------------------


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn: str):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_leaf(ca_key, ca_cert):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("kwi test issuer"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _pem_cert(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class PKI:
    def __init__(self, directory: Path):
        ca_key, ca_cert = make_ca("kwi test CA")
        leaf_key, leaf_cert = make_leaf(ca_key, ca_cert)
        self.ca_file = directory / "ca.pem"
        self.ca_file.write_bytes(_pem_cert(ca_cert))
        self.cert_file = directory / "server.pem"
        self.cert_file.write_bytes(_pem_cert(leaf_cert))
        self.key_file = directory / "server.key"
        self.key_file.write_bytes(
            leaf_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        # an unrelated CA, for "trusting the wrong CA"
        _, other_ca = make_ca("another CA")
        self.other_ca_file = directory / "other-ca.pem"
        self.other_ca_file.write_bytes(_pem_cert(other_ca))

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


# --- the HTTPS issuer --------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    server: "TLSServer"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.server.requests.append(self.path)
        route = self.server.routes.get(self.path)
        if route is None:
            self._reply(404, b"not found\n", "text/plain")
        elif isinstance(route, int):
            self._reply(route, b"internal error\n", "text/plain")
        elif isinstance(route, str):  # a redirect
            self.send_response(302)
            self.send_header("Location", route)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif isinstance(route, Reply):
            if route.delay:
                time.sleep(route.delay)
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)
        else:
            self._reply(200, route, "application/json")

    def _reply(self, status: int, body: bytes, ctype: str):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep pytest's output clean
        pass


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ctx: ssl.SSLContext):
        super().__init__(("127.0.0.1", 0), Handler)
        self.ctx = ctx
        self.routes: dict[str, bytes | int | str | Reply] = {}
        self.requests: list[str] = []

    def finish_request(self, request, client_address):
        # The TLS handshake runs in the connection's own thread, so that a client that gives up
        # during the handshake (an untrusted certificate) never blocks the accept loop.
        request.settimeout(10)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except OSError:
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            tls.close()
