"""Runs the kwi binary under test (KWI_BIN, else target/debug/kwi) for the webhook suites."""

import os
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
KWI = Path(os.environ.get("KWI_BIN", REPO / "target" / "debug" / "kwi"))


@pytest.fixture
def manifests():
    """`kwi webhook manifests ARGS...` parsed into its documents."""

    def run(*args: str) -> list:
        proc = subprocess.run([KWI, "webhook", "manifests", *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return [doc for doc in yaml.safe_load_all(proc.stdout) if doc is not None]

    return run
