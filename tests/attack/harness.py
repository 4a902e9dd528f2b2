"""The attack sweep: hostile HTTP against any kwi server, each attack bounded in time.

A server under test is described by a `Target` (where it listens, its process, the paths that
take a body, a health path, the memory it may use). Every attack in `ATTACKS` takes a target,
does its worst, and checks what it can see (status codes, closed connections); after each one,
`check_alive` checks that the server still answers its health path, has not panicked (its log),
and that its peak resident memory stays within the target's stated bound.

New servers (the issuer server, the webhook, the STS emulator) get a `test_<server>.py` beside
this file with a fixture that starts them and returns a `Target`; the attacks are the same.
"""

from __future__ import annotations

import re
import signal
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

# Every socket operation of an attack gives up after this long.
TIMEOUT = 15


@dataclass
class Target:
    """A running server to attack."""

    name: str
    host: str
    port: int
    process: subprocess.Popen
    log: Path
    # A GET path that answers 200 while the server is healthy.
    health: str
    # Paths that take a request body (POST), and a small valid-looking body for them.
    body_paths: list[str]
    # Peak resident memory (VmHWM) allowed over the whole sweep, in MiB.
    memory_bound_mib: int
    # Set for HTTPS targets: the client context trusting the server's CA.
    tls: ssl.SSLContext | None = None
    # Header name and value of an administrator credential, for the auth-header attacks;
    # None for servers without authentication.
    admin: tuple[str, str] | None = None
    # An administrative request that must be refused without the credential: (method, path, body).
    admin_probe: tuple[str, str, bytes] | None = None
    # Starts a fresh, separate instance (for the SIGTERM attack, which stops it).
    fresh: Callable[[], "Target"] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid


# --- plumbing ---------------------------------------------------------------------------------


def listening_address(process: subprocess.Popen, log: Path) -> tuple[str, str]:
    """The host and port a kwi server says it listens on (it may pick a free port)."""
    deadline = time.time() + 20
    while time.time() < deadline:
        match = re.search(r"listening on http://(\S+)", log.read_text())
        if match:
            host, port = match.group(1).rsplit(":", 1)
            return host, port
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        time.sleep(0.05)
    raise AssertionError(log.read_text())



def fresh_instances(start: Callable[[Path], "Target"], tmp: Path) -> Callable[[], "Target"]:
    """A `Target.fresh` for a server started by `start(folder)`: each call starts another
    instance in a folder of its own beside `tmp`."""
    counter = [0]

    def fresh() -> Target:
        counter[0] += 1
        return start(tmp.parent / f"{tmp.name}-fresh{counter[0]}")

    return fresh


def connect(t: Target, timeout: float = TIMEOUT) -> socket.socket:
    """A connection to the target (TLS when it is HTTPS), Nagle off so small writes go out."""
    s = socket.create_connection((t.host, t.port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if t.tls is not None:
        s = t.tls.wrap_socket(s, server_hostname=t.host)
    return s


def read_response(s: socket.socket, limit: int = 1 << 20) -> bytes:
    """Reads until the server closes or a whole response (headers + Content-Length) arrived."""
    data = b""
    while len(data) < limit:
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionError, ssl.SSLError):
            break
        if not chunk:
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip() or 0)
            if len(body) >= length and b"transfer-encoding: chunked" not in head.lower():
                break
            if b"transfer-encoding: chunked" in head.lower() and body.endswith(b"0\r\n\r\n"):
                break
    return data


def read_until_closed(s: socket.socket, seconds: float) -> bytes:
    """Everything the server sends until it closes the connection or `seconds` pass."""
    data = b""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionError, ssl.SSLError):
            break
        if not chunk:
            break
        data += chunk
    return data


def status_of(response: bytes) -> int | None:
    """The status code of a raw response, or None for no response (connection closed)."""
    if not response.startswith(b"HTTP/1."):
        return None
    try:
        return int(response.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def exchange(t: Target, raw: bytes, timeout: float = TIMEOUT) -> bytes:
    """Sends raw bytes on a new connection and reads the answer."""
    with connect(t, timeout) as s:
        try:
            s.sendall(raw)
        except (ConnectionError, ssl.SSLError):
            pass
        return read_response(s)


def get(t: Target, path: str, headers: dict | None = None) -> tuple[int | None, bytes]:
    lines = [f"GET {path} HTTP/1.1", f"Host: {t.host}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    raw = exchange(t, ("\r\n".join(lines) + "\r\n\r\n").encode())
    return status_of(raw), raw


def memory_kib(t: Target, field_name: str = "VmHWM") -> int:
    for line in Path(f"/proc/{t.pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{t.name}: no {field_name} in /proc/{t.pid}/status")


def check_alive(t: Target) -> None:
    """The server still runs, answers its health path, never panicked, and stayed within its
    memory bound."""
    assert t.process.poll() is None, f"{t.name} exited with {t.process.returncode}: {t.log.read_text()[-2000:]}"
    status, raw = get(t, t.health)
    assert status == 200, f"{t.name}: health answered {raw[:200]!r}"
    log = t.log.read_text(errors="replace")
    assert "panicked" not in log, f"{t.name} panicked: {log[-3000:]}"
    peak = memory_kib(t) / 1024
    assert peak <= t.memory_bound_mib, f"{t.name}: peak memory {peak:.0f} MiB over its bound of {t.memory_bound_mib} MiB"


def post_head(t: Target, path: str, length: int | None, extra: str = "") -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {t.host}", "Content-Type: application/json"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def in_threads(count: int, work: Callable[[int], None]) -> None:
    errors = []

    def run(i):
        try:
            work(i)
        except Exception as e:  # noqa: BLE001 - reported below, with the thread's number
            errors.append(f"{i}: {e!r}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors, errors[:5]


# --- the attacks ------------------------------------------------------------------------------


def slow_headers(t: Target) -> None:
    """Slowloris: 64 connections each sending a header line now and then; the server keeps
    answering others, and cuts the slow ones off at its header deadline (not waited for)."""
    socks = []
    try:
        for _ in range(64):
            s = connect(t)
            s.sendall(f"GET {t.health} HTTP/1.1\r\nHost: {t.host}\r\n".encode())
            socks.append(s)
        for round_ in range(3):
            for s in socks:
                try:
                    s.sendall(f"X-Slow-{round_}: a\r\n".encode())
                except OSError:
                    pass
            status, _ = get(t, t.health)
            assert status == 200, "health not answered while slow clients hold connections"
            time.sleep(0.5)
    finally:
        for s in socks:
            s.close()


def trickled_body(t: Target) -> None:
    """A 1,000,000-byte body written one byte per send (the write pattern that once took
    kwi serve to 1.6 GB): answered, and memory stays within the bound."""
    for path in t.body_paths[:1]:
        with connect(t, timeout=60) as s:
            s.sendall(post_head(t, path, 1_000_000))
            one = b" "
            for _ in range(1_000_000):
                s.send(one)
            status = status_of(read_response(s))
            assert status is not None and 400 <= status < 500 or status == 200, status


def parallel_trickles(t: Target) -> None:
    """Eight connections trickling 120,000-byte bodies in 1- to 3-byte writes at once."""
    path = t.body_paths[0]

    def one(i):
        with connect(t, timeout=60) as s:
            s.sendall(post_head(t, path, 120_000))
            sent = 0
            while sent < 120_000:
                n = min(1 + i % 3, 120_000 - sent)
                s.send(b" " * n)
                sent += n
            status = status_of(read_response(s))
            assert status is not None and status < 500, status

    in_threads(8, one)


def oversized_bodies(t: Target) -> None:
    """A 100 MB Content-Length is refused without being read; a chunked body past the limit
    is cut off; neither costs memory."""
    for path in t.body_paths:
        raw = exchange(t, post_head(t, path, 100_000_000) + b"{" * 1000)
        assert status_of(raw) in (413, None, 400), raw[:200]
    with connect(t, timeout=60) as s:
        s.sendall(post_head(t, t.body_paths[0], None, "Transfer-Encoding: chunked\r\n"))
        chunk = b"10000\r\n" + b"a" * 0x10000 + b"\r\n"
        try:
            for _ in range(64 * 4):  # 16 MiB in 64 KiB chunks, far past any body limit
                s.sendall(chunk)
        except (ConnectionError, ssl.SSLError, socket.timeout):
            pass  # cut off while sending: what a bounded server does
        status = status_of(read_response(s))
        assert status in (413, 400, None), status


def deep_json(t: Target) -> None:
    """Bodies nested 100,000 deep (arrays, objects) and a long flat array: refused or
    answered, never a crash (recursion) or a 5xx."""
    bodies = [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"[" + b"1," * 200_000 + b"1]"]
    for path in t.body_paths:
        for body in bodies:
            raw = exchange(t, post_head(t, path, len(body)) + body)
            status = status_of(raw)
            assert status is not None and status < 500, (path, raw[:200])


def invalid_utf8(t: Target) -> None:
    """Invalid UTF-8 in the body, the path and a header value: 4xx, never 5xx."""
    for path in t.body_paths:
        body = b'{"role":"\xff\xfe","jwt":"\xc3\x28"}'
        status = status_of(exchange(t, post_head(t, path, len(body)) + body))
        assert status is not None and status < 500, status
    status = status_of(exchange(t, b"GET /v1/\xff\xfe/\xc0\xaf HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
    assert status is None or status < 500, status
    status = status_of(exchange(t, f"GET {t.health} HTTP/1.1\r\nHost: x\r\nX-Bad: \xff\xfe\r\nConnection: close\r\n\r\n".encode("latin-1")))
    assert status is None or status < 500, status


def header_flood(t: Target) -> None:
    """10,000 headers, and one 1 MiB header: refused (431/400) or the connection closed."""
    many = "".join(f"X-H{i}: v\r\n" for i in range(10_000))
    raw = exchange(t, f"GET {t.health} HTTP/1.1\r\nHost: x\r\n{many}\r\n".encode())
    assert status_of(raw) in (431, 400, None), raw[:200]
    raw = exchange(t, f"GET {t.health} HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * (1 << 20)}\r\n\r\n".encode())
    assert status_of(raw) in (431, 400, None), raw[:200]


def pipelining(t: Target) -> None:
    """100 requests pipelined on one connection: 100 answers, in order."""
    one = f"GET {t.health} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    with connect(t) as s:
        s.sendall(one * 99 + f"GET {t.health} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = read_until_closed(s, TIMEOUT)
    assert data.count(b"HTTP/1.1 200") == 100, data.count(b"HTTP/1.1 200")


SMUGGLED = "/smuggled-by-kwi-attack"


def smuggling(t: Target) -> None:
    """Request smuggling: both Content-Length and Transfer-Encoding, obfuscated
    Transfer-Encoding, two different Content-Lengths. The smuggled request (to a path that
    would answer 404) must never be answered as a request of its own."""
    path = t.body_paths[0]
    smuggled = f"GET {SMUGGLED} HTTP/1.1\r\nHost: x\r\n\r\n"
    variants = [
        # CL.TE: the front says 6 bytes, chunked says the body ended at 0.
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len('0' + chr(13) + chr(10) + chr(13) + chr(10) + smuggled)}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}",
        # TE.CL
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5c\r\n{smuggled}\r\n0\r\n\r\n",
        # Obfuscated Transfer-Encoding values.
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n{smuggled}",
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n{smuggled}",
        f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n{smuggled}",
        # Two Content-Lengths that disagree.
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{{}}{smuggled}",
    ]
    for raw in variants:
        with connect(t, timeout=5) as s:
            s.sendall(raw.encode())
            data = read_until_closed(s, 5)
        # At most one answer, for the first request; never a second one (the smuggled 404).
        assert data.count(b"HTTP/1.1 ") <= 1, (raw[:60], data[:400])


def traversal(t: Target) -> None:
    """Traversal and encoded paths: never a file's content, never a 5xx."""
    paths = [
        "/../../../../etc/passwd", "/v1/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
        "/v1/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/v1/sys/auth/%00", "/v1/%ff%fe", "//etc/passwd",
        "/v1/auth/" + "a/" * 2000, "/" + "x" * 60_000, "/v1/sys/health%2f..%2f..%2fetc",
    ]
    for path in paths:
        status, raw = get(t, path)
        assert status is None or status < 500, (path[:80], raw[:200])
        assert b"root:x:0:0" not in raw, path


def auth_headers(t: Target) -> None:
    """Authentication header variants never grant what only the credential grants: a wrong
    primary header with a right secondary one, an empty one, duplicates, case games, a huge
    value."""
    if t.admin is None or t.admin_probe is None:
        return  # a server without authentication has nothing to bypass
    name, value = t.admin
    method, path, body = t.admin_probe
    variants = [
        {},
        {name: ""},
        {name: "wrong", "Authorization": f"Bearer {value}"},
        {name: "x" + value},
        {"Authorization": f"bearer{value}"},
        {"Authorization": f"Basic {value}"},
        {name: "a" * 100_000},
    ]
    for headers in variants:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {t.host}", "Connection: close", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        raw = exchange(t, ("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status = status_of(raw)
        assert status is None or status in (400, 401, 403, 431), (list(headers), raw[:200])
    # Two X-Vault-Token headers, the first wrong: refused.
    raw = exchange(t, f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {len(body)}\r\n{name}: wrong\r\n{name}: {value}\r\n\r\n".encode() + body)
    status = status_of(raw)
    assert status is None or status in (400, 401, 403), raw[:200]


def connection_flood(t: Target) -> None:
    """1,000 idle connections at once, then a health request: still answered."""
    socks = []
    try:
        for _ in range(1000):
            try:
                socks.append(connect(t, timeout=5))
            except OSError:
                break
        assert len(socks) >= 500, f"only {len(socks)} connections accepted"
        status, _ = get(t, t.health)
        assert status == 200
    finally:
        for s in socks:
            s.close()


def sigterm_in_flight(t: Target) -> None:
    """SIGTERM while requests are in flight (on a fresh instance): requests already sent are
    answered, and the server exits 0 within its grace period."""
    if t.fresh is None:
        raise AssertionError(f"{t.name}: the target gives no way to start a fresh instance")
    victim = t.fresh()
    answers = []

    def client(i):
        status, _ = get(victim, victim.health)
        answers.append(status)

    # A request half sent: the server must not hang on it past its grace period.
    stuck = connect(victim)
    stuck.sendall(post_head(victim, victim.body_paths[0], 1000) + b"{")
    threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
    for th in threads:
        th.start()
    time.sleep(0.05)
    victim.process.send_signal(signal.SIGTERM)
    for th in threads:
        th.join(timeout=30)
    try:
        code = victim.process.wait(timeout=40)
    finally:
        stuck.close()
    assert code == 0, victim.log.read_text()[-2000:]
    assert all(a in (200, None) for a in answers), answers
    assert answers.count(200) >= 1, answers
    assert "panicked" not in victim.log.read_text(errors="replace")


ATTACKS = [
    slow_headers,
    trickled_body,
    parallel_trickles,
    oversized_bodies,
    deep_json,
    invalid_utf8,
    header_flood,
    pipelining,
    smuggling,
    traversal,
    auth_headers,
    connection_flood,
    sigterm_in_flight,
]
