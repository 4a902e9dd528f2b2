"""Fixtures of the `kwi rotate` suite."""

import pytest

from rotate_helpers import vault_servers


@pytest.fixture()
def relying_parties(tmp_path):
    """OpenBao (bao server -dev) and kwi serve --dev, each with the root token `root`."""
    bao = vault_servers.start_bao(tmp_path)
    kwi_serve = vault_servers.start_kwi(tmp_path)
    yield [bao, kwi_serve]
    for server in (bao, kwi_serve):
        server.process.terminate()
        server.process.wait(timeout=10)
