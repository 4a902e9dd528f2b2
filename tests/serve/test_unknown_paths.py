"""Paths no handler serves, answered as OpenBao answers them: the token is checked before the
handler is looked for, so only the root token learns that a path does not exist (404); without
it every unknown path is 403 `permission denied`, and nobody can probe which mounts exist."""

import pytest

PATHS = ["auth/nowhere/login", "auth/nowhere/config", "auth/token/nope", "sys/nope", "elsewhere", "auth/jwt-missing/role/app"]


@pytest.mark.parametrize("token", [None, "not-a-token", "root"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_paths_answer_as_openbao(servers, token, method):
    kwi, bao = servers
    for path in PATHS:
        body = {} if method == "POST" else None
        ours = kwi.request(method, path, body, token=token)[:2]
        theirs = bao.request(method, path, body, token=token)[:2]
        assert ours == theirs, (path, ours, theirs)
        assert ours[0] == (404 if token == "root" else 403), (path, ours)
