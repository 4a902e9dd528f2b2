"""The attack sweep against `kwi serve`: every attack, then the server must still be healthy,
unpanicked and within its memory bound (96 MiB peak; it idles near 10 MiB, and a 1 MB body
trickled a byte at a time once took it past 1.1 GB)."""

import pytest

from harness import ATTACKS, check_alive


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.__name__ for a in ATTACKS])
def test_attack(attack, kwi_serve_target):
    attack(kwi_serve_target)
    check_alive(kwi_serve_target)
