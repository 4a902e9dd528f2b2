"""The attack sweep against `kwi sts serve`: every attack, then the server must still be healthy,
unpanicked and within its memory bound (its request bodies are capped at 1 MiB and read into one
buffer by kwi-http)."""

import os
import subprocess
from pathlib import Path

import pytest

from harness import ATTACKS, Target, check_alive, fresh_instances, listening_address

# Not imported from conftest.py: another suite's conftest module may hold that name when the
# suites run together.
KWI = Path(os.environ.get("KWI_BIN", Path(__file__).resolve().parents[2] / "target" / "debug" / "kwi"))

CONFIG = """account = "111122223333"
[[provider]]
url = "https://oidc.example.com"
client_ids = ["sts.amazonaws.com"]
[[role]]
arn = "arn:aws:iam::111122223333:role/app"
trust_policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}'''
"""


def start_kwi_sts(tmp: Path) -> Target:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "sts.toml").write_text(CONFIG)
    log = tmp / "kwi.log"
    process = subprocess.Popen([KWI, "sts", "serve", "--config", tmp / "sts.toml", "--listen", "127.0.0.1:0"],
                               stdout=subprocess.DEVNULL, stderr=log.open("w"))  # fmt: skip
    host, port = listening_address(process, log)

    return Target(
        name="kwi sts serve",
        host=host,
        port=int(port),
        process=process,
        log=log,
        health="/healthz",
        body_paths=["/"],
        memory_bound_mib=64,
        fresh=fresh_instances(start_kwi_sts, tmp),
    )


@pytest.fixture(scope="module")
def kwi_sts_target(tmp_path_factory):
    target = start_kwi_sts(tmp_path_factory.mktemp("attack-kwi-sts"))
    yield target
    target.process.terminate()
    target.process.wait(timeout=15)


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.__name__ for a in ATTACKS])
def test_attack(attack, kwi_sts_target):
    attack(kwi_sts_target)
    check_alive(kwi_sts_target)
