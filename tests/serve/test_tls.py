"""kwi serve over TLS, and its refusal to serve plain HTTP beyond loopback."""

import subprocess

from conftest import KWI, launch_kwi


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
