"""A server that bounds what clients can make it hold: slow headers are cut off, oversized
bodies refused, junk answered with Vault's error body."""

import socket
import time
import urllib.request


def test_slow_headers_are_cut_off(kwi_server):
    host, port = kwi_server.addr.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(b"POST /v1/auth/jwt/login HTTP/1.1\r\nHost: x\r\n")  # and then nothing
        start = time.time()
        s.settimeout(30)
        data = s.recv(4096)
        elapsed = time.time() - start
    # The connection is answered (408) or closed once the 10 s header deadline passes.
    assert elapsed < 20, elapsed
    assert data == b"" or data.startswith(b"HTTP/1.1 408"), data[:80]


def test_oversized_body_is_refused(kwi_server):
    body = b'{"jwt":"' + b"A" * (2 * 1024 * 1024) + b'"}'
    req = urllib.request.Request(f"{kwi_server.addr}/v1/auth/jwt/login", data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status = resp.status
    except urllib.error.HTTPError as e:
        status = e.code
    except (ConnectionError, urllib.error.URLError):
        status = 413  # the server may close the connection while the client still sends
    assert status == 413


def test_bad_json_gets_vault_errors(kwi_server):
    req = urllib.request.Request(f"{kwi_server.addr}/v1/sys/auth/x", data=b"{not json", method="POST",
                                 headers={"X-Vault-Token": "root"})
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("accepted junk")
    except urllib.error.HTTPError as e:
        assert e.code == 400
        assert b"failed to parse JSON input" in e.read()
