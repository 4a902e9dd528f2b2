"""A server that bounds what clients can make it hold: slow headers are cut off, oversized
bodies refused, junk answered with Vault's error body."""

import socket
import time
import urllib.request

from conftest import ROOT, launch_kwi


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


def test_a_client_that_stops_reading_is_dropped(kwi_server):
    """Pipelined requests whose answers are never read: once the server's writes stall for the
    write deadline (10 s), it ends the connection instead of holding it open."""
    host, port = kwi_server.addr.removeprefix("http://").split(":")
    request = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        s.connect((host, int(port)))
        s.settimeout(1)
        batch, sent, started = request * 1000, 0, time.time()
        try:
            while time.time() - started < 60:  # until the server stops taking requests
                s.sendall(batch)
                sent += 1000
        except (TimeoutError, socket.timeout):
            pass
        assert time.time() - started < 60, "the server never stopped taking requests"
        time.sleep(13)
        # Now read everything: a dropped connection ends (EOF or reset) before every request
        # was answered; a connection still served would answer them all and then wait.
        s.settimeout(5)
        received = b""
        try:
            while chunk := s.recv(1 << 16):
                received += chunk
        except (ConnectionResetError, TimeoutError, socket.timeout) as e:
            assert not isinstance(e, (TimeoutError, socket.timeout)), "connection still open"
    answered = received.count(b"HTTP/1.1 200")
    assert answered < sent, (answered, sent)


def _raw(kwi_server, data: bytes) -> bytes:
    host, port = kwi_server.addr.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := s.recv(4096):
            received += chunk
    return received


def test_a_broken_body_is_a_bad_request_not_a_large_one(kwi_server):
    head = b"POST /v1/auth/jwt/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    truncated = _raw(kwi_server, head + b"Content-Length: 100\r\n\r\n{\"a\"")
    bad_chunk = _raw(kwi_server, head + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
    for answer in (truncated, bad_chunk):
        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]


def test_names_that_are_not_there_cost_no_memory_and_little_log(tmp_path):
    """Any client can send any number of unknown mount and role names (and long ones): the
    server keeps none of them, and its log line of a refused login stays short."""
    import http.client
    import json


    server = launch_kwi(["--dev", "--dev-root-token-id", ROOT, "--listen", "127.0.0.1:0",
                         "--data-dir", tmp_path / "data"], tmp_path / "kwi.log")
    try:
        assert server.request("POST", "sys/auth/jwt", {"type": "jwt"})[0] == 204
        host, port = server.addr.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)

        def post(path, body):
            connection.request("POST", path, body=json.dumps(body))
            response = connection.getresponse()
            response.read()
            return response.status

        def rss_kib():
            status = open(f"/proc/{server.process.pid}/status").read()
            return int(status.split("VmRSS:")[1].split()[0])

        for i in range(20):
            post(f"/v1/auth/warm{i}/login", {})
            post("/v1/auth/jwt/login", {"role": f"warm{i}", "jwt": "a.b.c"})
        before = rss_kib()
        for i in range(300):
            assert post(f"/v1/auth/{i:06d}{'m' * 60000}/login", {}) == 403  # no such mount, no token: as OpenBao
            assert post("/v1/auth/jwt/login", {"role": f"{i:06d}{'r' * 60000}", "jwt": "a.b.c"}) == 400
        grown = rss_kib() - before
        # 36 MB of names were sent; kept, they would show here.
        assert grown < 8 * 1024, f"{grown} KiB more"
        time.sleep(0.5)  # the log is written every 100 ms
        lines = (tmp_path / "kwi.log").read_text().splitlines()
        logins = [line for line in lines if '"event":"login"' in line]
        assert len(logins) >= 300
        assert max(len(line) for line in logins) < 1000
    finally:
        server.process.terminate()
        server.process.wait(timeout=15)
