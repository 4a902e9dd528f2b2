"""`kwi issuer publish gs://…` against gcp-storage-emulator, as far as object_store can talk to it.

What works: object_store's GCS client authenticates with a service-account key file (a self-signed
JWT, no token exchange), reads objects and their absence, and uploads: the emulator stores the
bytes with their Content-Type (it drops Cache-Control). kwi's public-read steps (public access
prevention, the allUsers IAM binding) go through the JSON API, which the emulator implements. What does not: the emulator's XML-API PUT answers
without an ETag header, and object_store's GCS client requires one, so the upload is reported as
an error (exit 2) although it landed. Real GCS returns an ETag. The emulator also answers 501 for
a percent-encoded bucket name, and object_store encodes '-': the buckets here have none."""

import json
import uuid

import pytest
import requests

from publish_helpers import build_site, clean_env, free_port, kwi, site_documents


@pytest.fixture()
def gcs_bucket(gcs_url):
    name = f"oidc{uuid.uuid4().hex[:10]}"
    r = requests.post(f"{gcs_url}/storage/v1/b?project=test", json={"name": name}, timeout=10)
    r.raise_for_status()
    return name


@pytest.fixture()
def service_account(tmp_path):
    key = tmp_path / "gsa.key"
    kwi("keys", "generate", "--alg", "RS256", "--out", key, check=0)
    path = tmp_path / "gsa.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "test", "private_key_id": "k1",
        "private_key": key.read_text(), "client_email": "kwi@test.iam.gserviceaccount.com",
        "token_uri": f"http://127.0.0.1:{free_port()}/token",
    }))
    return path


def gcs_env(tmp_path, **extra):
    # A metadata server that refuses connections: no credential comes from elsewhere.
    return clean_env(HOME=str(tmp_path), GCE_METADATA_HOST=f"127.0.0.1:{free_port()}", GCE_METADATA_IP=f"127.0.0.1:{free_port()}", **extra)


def test_upload_lands_but_the_emulator_returns_no_etag(tmp_path, gcs_url, gcs_bucket, service_account):
    site = build_site(tmp_path, "site", "--for-bucket", f"gs://{gcs_bucket}")
    assert json.loads((site / ".well-known/openid-configuration").read_text())["issuer"] == f"https://storage.googleapis.com/{gcs_bucket}"
    env = gcs_env(tmp_path, GOOGLE_SERVICE_ACCOUNT=str(service_account))
    proc = kwi("issuer", "publish", "--site", site, "--to", f"gs://{gcs_bucket}", "--endpoint", gcs_url, "--no-verify", env=env, check=2)
    assert "ETag Header missing" in proc.stderr
    assert "granted allUsers roles/storage.objectViewer" in proc.stdout
    bindings = requests.get(f"{gcs_url}/storage/v1/b/{gcs_bucket}/iam", timeout=10).json()["bindings"]
    assert {"role": "roles/storage.objectViewer", "members": ["allUsers"]} in bindings
    # The JWKS went up (first) with its headers; the discovery document was never sent.
    meta = requests.get(f"{gcs_url}/storage/v1/b/{gcs_bucket}/o/openid%2Fv1%2Fjwks", timeout=10).json()
    assert meta["contentType"] == "application/jwk-set+json"
    # (The emulator drops Cache-Control on XML-API uploads: it cannot be checked here.)
    body = requests.get(f"{gcs_url}/download/storage/v1/b/{gcs_bucket}/o/openid%2Fv1%2Fjwks?alt=media", timeout=10).content
    assert body == site_documents(site)["openid/v1/jwks"]
    missing = requests.get(f"{gcs_url}/storage/v1/b/{gcs_bucket}/o/.well-known%2Fopenid-configuration", timeout=10)
    assert missing.status_code == 404


def test_missing_credentials(tmp_path, gcs_url, gcs_bucket):
    site = build_site(tmp_path, "site", "--issuer", "https://oidc.example.com")
    proc = kwi("issuer", "publish", "--site", site, "--to", f"gs://{gcs_bucket}", "--endpoint", gcs_url, env=gcs_env(tmp_path), check=2)
    assert "no usable Google credentials" in proc.stderr and "GOOGLE_APPLICATION_CREDENTIALS" in proc.stderr


def test_public_access_prevention_refused_then_make_public(tmp_path, gcs_url, gcs_bucket, service_account):
    requests.patch(f"{gcs_url}/storage/v1/b/{gcs_bucket}", json={"iamConfiguration": {"publicAccessPrevention": "enforced"}}, timeout=10).raise_for_status()
    site = build_site(tmp_path, "site", "--for-bucket", f"gs://{gcs_bucket}")
    env = gcs_env(tmp_path, GOOGLE_SERVICE_ACCOUNT=str(service_account))
    proc = kwi("issuer", "publish", "--site", site, "--to", f"gs://{gcs_bucket}", "--endpoint", gcs_url, env=env, check=1)
    assert "public access prevention is enforced" in proc.stderr and "--make-public" in proc.stderr
    assert f"gcloud storage buckets update gs://{gcs_bucket} --no-public-access-prevention" in proc.stderr
    # Refused before anything was written.
    assert requests.get(f"{gcs_url}/storage/v1/b/{gcs_bucket}/o/openid%2Fv1%2Fjwks", timeout=10).status_code == 404
    assert requests.get(f"{gcs_url}/storage/v1/b/{gcs_bucket}/iam", timeout=10).json()["bindings"] == []

    proc = kwi("issuer", "publish", "--site", site, "--to", f"gs://{gcs_bucket}", "--endpoint", gcs_url, "--make-public", "--no-verify", env=env, check=2)
    assert "public access prevention of" in proc.stdout
    bucket = requests.get(f"{gcs_url}/storage/v1/b/{gcs_bucket}", timeout=10).json()
    assert bucket["iamConfiguration"]["publicAccessPrevention"] == "inherited"
    assert requests.get(f"{gcs_url}/storage/v1/b/{gcs_bucket}/iam", timeout=10).json()["bindings"] == [
        {"role": "roles/storage.objectViewer", "members": ["allUsers"]}
    ]
