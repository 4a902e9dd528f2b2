"""Paths no handler serves, answered as OpenBao answers them: the token is checked before the
handler is looked for, so only the root token learns that a path does not exist (404: "no
handler for route", or "unsupported path" inside a mount); without it every unknown path is 403
`permission denied`, and nobody can probe which mounts exist."""

import pytest

MOUNT = "probe/jwt"
PATHS = [
    "auth/nowhere/login", "auth/nowhere/config", "sys/nope", "elsewhere", "auth/probe",
    "auth/token/nope", f"auth/{MOUNT}", f"auth/{MOUNT}/nope", f"auth/{MOUNT}/a/b", f"auth/{MOUNT}/role/bad!name",
]  # fmt: skip


@pytest.fixture(scope="module")
def mounted(servers):
    for server in servers:
        status, body, _ = server.request("POST", f"sys/auth/{MOUNT}", {"type": "jwt"})
        assert status == 204, body
    return servers


@pytest.mark.parametrize("token", [None, "not-a-token", "root"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_paths_answer_as_openbao(mounted, token, method):
    kwi, bao = mounted
    for path in PATHS:
        body = {} if method == "POST" else None
        ours = kwi.request(method, path, body, token=token)[:2]
        theirs = bao.request(method, path, body, token=token)[:2]
        assert ours == theirs, (path, ours, theirs)
        assert ours[0] == (404 if token == "root" else 403), (path, ours)
