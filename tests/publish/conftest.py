"""Fixtures of the `kwi issuer publish` suite: real object-storage servers on free loopback ports
(moto for S3, Azurite for Azure Blob, gcp-storage-emulator for GCS), a web server for folders, and
sites built by the kwi under test."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def moto_url():
    port = free_port()
    moto = shutil.which("moto_server") or "moto_server"
    proc = start([moto, "-H", "127.0.0.1", "-p", str(port)], port, "moto_server")
    yield f"http://127.0.0.1:{port}"
    stop(proc)


@pytest.fixture()
def s3_env(moto_url, tmp_path):
    """The environment of a kwi run against moto: static keys, its endpoint given by --endpoint."""
    return clean_env(
        HOME=str(tmp_path),
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_METADATA_ENDPOINT=f"http://127.0.0.1:{free_port()}",
    )


@pytest.fixture()
def s3(moto_url):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=moto_url,
        region_name="us-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="session")
def azurite_url():
    port = free_port()
    azurite = shutil.which("azurite-blob") or "azurite-blob"
    proc = start(
        [azurite, "--blobHost", "127.0.0.1", "--blobPort", str(port),
         "--silent", "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableTelemetry"],
        port, "azurite-blob",
    )
    yield f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"
    stop(proc)


@pytest.fixture(scope="session")
def gcs_url(tmp_path_factory):
    port = free_port()
    emulator = shutil.which("gcp-storage-emulator") or "gcp-storage-emulator"
    proc = start([emulator, "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory"], port, "gcp-storage-emulator")
    yield f"http://127.0.0.1:{port}"
    stop(proc)


@pytest.fixture()
def web_root(tmp_path):
    """A folder served over HTTP on loopback (what a web server in front of file:// would do)."""
    root = tmp_path / "www"
    root.mkdir()
    port = free_port()
    proc = start([sys.executable, "-m", "http.server", "-b", "127.0.0.1", str(port), "-d", str(root)], port, "http.server")
    yield root, f"http://127.0.0.1:{port}"
    stop(proc)


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
