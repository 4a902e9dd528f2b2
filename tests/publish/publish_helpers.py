"""Helpers of the `kwi issuer publish` suite (a module of its own name: every suite's conftest is
called conftest)."""


import os
import socket
import subprocess
import time
from pathlib import Path


REPO = Path(__file__).resolve().parents[2]
KWI = Path(os.environ.get("KWI_BIN", REPO / "target" / "debug" / "kwi"))

# Azurite's well-known development account (documented by Microsoft, not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

# Variables through which object_store or the clouds' tools could find real credentials or
# endpoints on the machine running the tests: never inherited.
CLOUD_PREFIXES = ("AWS_", "AZURE_", "AZURITE_", "GOOGLE_", "KWI_PUBLISH_")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, name: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on 127.0.0.1:{port}")


def clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLOUD_PREFIXES)}
    # No profile file, no instance metadata: the test decides every credential.
    env["HOME"] = extra.pop("HOME", env.get("HOME", "/nonexistent"))
    env.update(extra)
    return env


def kwi(*args, env=None, check=None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(KWI), *map(str, args)], capture_output=True, text=True, env=env, timeout=120)
    if check is not None:
        assert proc.returncode == check, f"exit {proc.returncode}, wanted {check}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def start(cmd: list, port: int, name: str, cwd=None) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    try:
        wait_for_port(port, proc, name)
    except Exception:
        proc.kill()
        raise
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def build_site(tmp_path: Path, name: str, *build_args: str) -> Path:
    """A key pair and a site built by kwi; returns the site folder."""
    key = tmp_path / f"{name}.key"
    if not key.exists():
        kwi("keys", "generate", "--alg", "ES256", "--out", key, check=0)
    site = tmp_path / name
    kwi("issuer", "build", "--key", key, "--out", site, *build_args, check=0)
    return site


def site_documents(site: Path) -> dict:
    """Relative path -> bytes of every file of a site."""
    return {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*") if p.is_file()}
