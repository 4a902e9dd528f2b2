"""Fixtures of the `kwi issuer publish` suite: real object-storage servers on free loopback ports
(moto for S3, Azurite for Azure Blob, gcp-storage-emulator for GCS) and a web server for folders."""

import shutil
import sys

import pytest

from publish_helpers import AZURITE_ACCOUNT, clean_env, free_port, start, stop


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


