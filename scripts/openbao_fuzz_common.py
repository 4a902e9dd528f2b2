"""What the OpenBao differential fuzzers (openbao-diff-fuzz.py, openbao-update-fuzz.py) share:
a Vault API client that keeps its connection, and the normalization that groups messages."""

import http.client
import json
import re
import time

ROOT = "root"


class Server:
    """A Vault-compatible server at `http://HOST:PORT`, spoken to with the root token."""

    def __init__(self, name, addr):
        self.name = name
        host, port = addr.removeprefix("http://").rstrip("/").split(":")
        self.host, self.port = host, int(port)
        self.conn = None

    def request(self, method, path, body=None, token=ROOT):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-Vault-Token"] = token
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=15)
                self.conn.request(method, f"/v1/{path}", body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                try:
                    parsed = json.loads(raw) if raw else None
                except ValueError:
                    parsed = {"_raw": raw.decode(errors="replace")}
                return resp.status, parsed
            except (http.client.HTTPException, OSError):
                self.conn = None
                if attempt == 2:
                    raise
                time.sleep(0.2)


def normalize(msg, limit=300):
    """A message with its quoted parts and numbers blanked out, for grouping."""
    s = json.dumps(msg, ensure_ascii=False)
    s = re.sub(r'\\"[^"\\]*\\"', '"Q"', s)
    s = re.sub(r"'[^']*'", "'Q'", s)
    s = re.sub(r"\d+", "N", s)
    return s[:limit]
