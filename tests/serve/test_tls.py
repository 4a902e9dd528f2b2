"""kwi serve over TLS, and its refusal to serve plain HTTP beyond loopback."""

import os
import shutil
import subprocess
import time

from conftest import KWI, launch_kwi


def openssl(*args):
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def ca_and_leaf(folder, name):
    """A CA and a certificate it signed for 127.0.0.1: (ca.crt, leaf.key, leaf.crt)."""
    ca_key, ca_crt = folder / f"{name}-ca.key", folder / f"{name}-ca.crt"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key, "-out", ca_crt,
            "-subj", f"/CN={name} CA", "-days", "1", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")  # fmt: skip
    key, csr, crt, ext = (folder / f"{name}.{x}" for x in ("key", "csr", "crt", "ext"))
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=kwi")
    openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", crt, "-days", "1", "-extfile", ext)
    return ca_crt, key, crt


def test_https_with_a_certificate(tmp_path):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", tmp_path / "tls.key", "-out", tmp_path / "tls.crt", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-days", "1"],
        check=True, capture_output=True,
    )
    server = launch_kwi(
        ["--dev", "--dev-root-token-id", "root", "--listen", "127.0.0.1:0", "--data-dir", tmp_path / "data",
         "--tls-cert", tmp_path / "tls.crt", "--tls-key", tmp_path / "tls.key"],
        tmp_path / "serve.log",
    )  # fmt: skip
    assert not isinstance(server, tuple), server
    addr, process = server.addr, server.process
    assert addr.startswith("https://")
    try:
        ok = subprocess.run(["curl", "-s", "--cacert", tmp_path / "tls.crt", f"{addr}/v1/sys/health"], capture_output=True, text=True, timeout=20)
        assert '"sealed":false' in ok.stdout, ok.stderr
        untrusted = subprocess.run(["curl", "-s", f"{addr}/v1/sys/health"], capture_output=True, text=True, timeout=20)
        assert untrusted.returncode != 0
        # Plain HTTP to the TLS port: OpenBao's (Go's) answer, not a TLS alert.
        plain = subprocess.run(["curl", "-s", "-i", "--http1.1", addr.replace("https://", "http://") + "/v1/sys/health"],
                               capture_output=True, text=True, timeout=20)  # fmt: skip
        assert '"sealed"' not in plain.stdout
        assert plain.stdout.startswith("HTTP/1.0 400 Bad Request"), plain.stdout
        assert "Client sent an HTTP request to an HTTPS server." in plain.stdout
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_plain_http_stays_on_loopback(tmp_path):
    result = subprocess.run([KWI, "serve", "--dev", "--listen", "0.0.0.0:0", "--data-dir", tmp_path / "d"], capture_output=True, text=True, timeout=20)
    assert result.returncode == 2
    assert "loopback" in result.stderr and "--tls-cert" in result.stderr


def test_a_certificate_renewed_on_disk_is_served_without_a_restart(tmp_path):
    ca1, key1, crt1 = ca_and_leaf(tmp_path, "one")
    ca2, key2, crt2 = ca_and_leaf(tmp_path, "two")
    shutil.copy(key1, tmp_path / "tls.key")
    shutil.copy(crt1, tmp_path / "tls.crt")
    server = launch_kwi(
        ["--dev", "--dev-root-token-id", "root", "--listen", "127.0.0.1:0", "--data-dir", tmp_path / "data",
         "--tls-cert", tmp_path / "tls.crt", "--tls-key", tmp_path / "tls.key"],
        tmp_path / "serve.log",
    )  # fmt: skip
    assert not isinstance(server, tuple), server

    def health(ca):
        run = subprocess.run(["curl", "-s", "--cacert", ca, f"{server.addr}/v1/sys/health"], capture_output=True, text=True, timeout=20)
        return '"sealed":false' in run.stdout

    try:
        assert health(ca1) and not health(ca2)
        # cert-manager renews: both files replaced, each by a rename.
        shutil.copy(key2, tmp_path / "tls.key.new")
        shutil.copy(crt2, tmp_path / "tls.crt.new")
        os.replace(tmp_path / "tls.key.new", tmp_path / "tls.key")
        os.replace(tmp_path / "tls.crt.new", tmp_path / "tls.crt")
        deadline = time.monotonic() + 30
        while not health(ca2):
            assert time.monotonic() < deadline, "the renewed certificate was not served"
            time.sleep(0.2)
        assert server.process.poll() is None
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)
