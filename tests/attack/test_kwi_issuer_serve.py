"""The attack sweep against `kwi issuer serve`: every attack, then the server must still be
healthy, unpanicked and within its memory bound (64 MiB peak)."""

import pytest

from harness import ATTACKS, check_alive


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.__name__ for a in ATTACKS])
def test_attack(attack, kwi_issuer_serve_target):
    attack(kwi_issuer_serve_target)
    check_alive(kwi_issuer_serve_target)
