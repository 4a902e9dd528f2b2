"""Every acknowledged write survives `kill -9`: roles written in a loop, the server killed in the
middle, restarted on the same data directory; every write that got its 204 is there."""

import signal
import threading
import time

from conftest import ROOT, start_kwi


def test_acknowledged_writes_survive_kill_9(tmp_path):
    server = start_kwi(tmp_path)
    assert server.request("POST", "sys/auth/jwt", {"type": "jwt"})[0] == 204
    acknowledged = []
    stop = threading.Event()

    def writer():
        for i in range(100_000):
            if stop.is_set():
                return
            try:
                status, _, _ = server.request(
                    "POST", f"auth/jwt/role/r{i}",
                    {"role_type": "jwt", "user_claim": "sub", "bound_audiences": "vault", "policies": f"p{i}"},
                )
            except OSError:
                return
            if status == 204:
                acknowledged.append(f"r{i}")

    thread = threading.Thread(target=writer)
    thread.start()
    deadline = time.time() + 20
    while len(acknowledged) < 50 and time.time() < deadline:
        time.sleep(0.01)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)
    stop.set()
    thread.join(timeout=20)
    assert len(acknowledged) >= 50

    again = start_kwi(tmp_path)
    try:
        status, body, _ = again.request("LIST", "auth/jwt/role", token=ROOT)
        assert status == 200
        missing = set(acknowledged) - set(body["data"]["keys"])
        assert not missing, f"lost acknowledged writes: {sorted(missing)[:5]}"
        status, body, _ = again.request("GET", f"auth/jwt/role/{acknowledged[-1]}")
        assert status == 200 and body["data"]["token_policies"] == [f"p{acknowledged[-1][1:]}"]
    finally:
        again.process.terminate()
        again.process.wait(timeout=10)
