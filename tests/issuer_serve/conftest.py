"""Fixtures of the `kwi issuer serve` suite."""

import pytest

from issuer_serve_helpers import Server


@pytest.fixture()
def launch(tmp_path):
    servers = []

    def start(*args):
        server = Server(args, tmp_path / f"serve-{len(servers)}.log")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
