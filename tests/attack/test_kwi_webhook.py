"""The attack sweep against `kwi webhook serve` (HTTPS, its cache watching a loopback API
server): every attack, then the webhook must still be healthy, unpanicked and within its memory
bound (96 MiB peak, as kwi serve)."""

import ssl
import sys
from pathlib import Path

import pytest

from harness import ATTACKS, Target, check_alive

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "webhook"))
from webhook_server import Webhook  # noqa: E402


def target_of(webhook: Webhook, tmp: Path, counter=[0]) -> Target:
    context = ssl.create_default_context(cafile=str(webhook.ca))

    def fresh() -> Target:
        counter[0] += 1
        directory = tmp.parent / f"{tmp.name}-fresh{counter[0]}"
        directory.mkdir()
        return target_of(Webhook(directory), directory)

    return Target(
        name="kwi webhook serve",
        host="127.0.0.1",
        port=webhook.port,
        process=webhook.proc,
        log=webhook.log,
        health="/healthz",
        body_paths=["/mutate"],
        memory_bound_mib=96,
        tls=context,
        fresh=fresh,
    )


@pytest.fixture(scope="module")
def webhook_target(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attack-kwi-webhook")
    webhook = Webhook(tmp)
    yield target_of(webhook, tmp)
    webhook.stop()


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.__name__ for a in ATTACKS])
def test_attack(attack, webhook_target):
    attack(webhook_target)
    check_alive(webhook_target)
