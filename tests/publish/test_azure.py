"""`kwi issuer publish az://…` against Azurite (Azure Blob Storage's emulator on loopback), read
with the azure-storage-blob client and anonymous HTTP.

Azurite has no storage-account settings: the account-level refusal (allowBlobPublicAccess=false,
error PublicAccessNotPermitted) cannot be produced here."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from publish_helpers import AZURITE_ACCOUNT, AZURITE_KEY, build_site, clean_env, free_port, kwi, site_documents


@pytest.fixture()
def service(azurite_url):
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient(account_url=azurite_url, credential={"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY})


@pytest.fixture()
def container(service):
    name = f"oidc-{uuid.uuid4().hex[:10]}"
    service.create_container(name)
    return name


def az_env(tmp_path, **extra):
    # A managed-identity endpoint that refuses connections: no credential comes from elsewhere.
    return clean_env(HOME=str(tmp_path), AZURE_MSI_ENDPOINT=f"http://127.0.0.1:{free_port()}/token", **extra)


def publish(site, to, azurite_url, env, *extra, check=0):
    return kwi("issuer", "publish", "--site", site, "--to", to, "--endpoint", azurite_url, *extra, env=env, check=check)


def test_upload_public_level_and_read_back(tmp_path, azurite_url, service, container):
    from azure.storage.blob import AccessPolicy, ContainerSasPermissions

    client = service.get_container_client(container)
    # A stored access policy of the owner's: kept when kwi changes the public access level.
    policy = AccessPolicy(permission=ContainerSasPermissions(read=True), expiry=datetime.now(timezone.utc) + timedelta(days=1))
    client.set_container_access_policy(signed_identifiers={"owners-read": policy})
    assert client.get_container_access_policy()["public_access"] is None

    site = build_site(tmp_path, "site", "--for-bucket", f"az://{AZURITE_ACCOUNT}/{container}/c1")
    env = az_env(tmp_path, AZURE_STORAGE_ACCOUNT_KEY=AZURITE_KEY)
    out = publish(site, f"az://{AZURITE_ACCOUNT}/{container}/c1", azurite_url, env, "--verify", f"{azurite_url}/{container}/c1").stdout
    assert "public access level set to blob" in out
    assert f"issuer URL (blob): https://{AZURITE_ACCOUNT}.blob.core.windows.net/{container}/c1" in out

    acl = client.get_container_access_policy()
    assert acl["public_access"] == "blob"
    assert [i.id for i in acl["signed_identifiers"]] == ["owners-read"]
    docs = site_documents(site)
    for path, content_type in [("openid/v1/jwks", "application/jwk-set+json"), (".well-known/openid-configuration", "application/json")]:
        props = client.get_blob_client(f"c1/{path}").get_blob_properties()
        assert props.content_settings.content_type == content_type
        assert props.content_settings.cache_control == "public, max-age=3600"
        # Anonymous, as a relying party.
        assert requests.get(f"{azurite_url}/{container}/c1/{path}", timeout=10).content == docs[path]
    # blob level: anonymous listing stays refused.
    assert requests.get(f"{azurite_url}/{container}?restype=container&comp=list", timeout=10).status_code in (403, 404)

    etags = {p: client.get_blob_client(f"c1/{p}").get_blob_properties().etag for p in docs}
    out = publish(site, f"az://{AZURITE_ACCOUNT}/{container}/c1", azurite_url, env, "--no-verify").stdout
    assert "anonymous read already allowed (public access level blob)" in out
    assert out.count("unchanged az://") == 2
    assert etags == {p: client.get_blob_client(f"c1/{p}").get_blob_properties().etag for p in docs}


def test_missing_credentials_and_network_down(tmp_path, azurite_url, container):
    site = build_site(tmp_path, "site", "--issuer", "https://oidc.example.com")
    proc = publish(site, f"az://{AZURITE_ACCOUNT}/{container}", azurite_url, az_env(tmp_path), check=2)
    assert "no usable Azure credentials" in proc.stderr and "AZURE_STORAGE_ACCOUNT_KEY" in proc.stderr
    closed = f"http://127.0.0.1:{free_port()}/{AZURITE_ACCOUNT}"
    proc = publish(site, f"az://{AZURITE_ACCOUNT}/{container}", closed, az_env(tmp_path, AZURE_STORAGE_ACCOUNT_KEY=AZURITE_KEY), check=2)
    assert "cannot reach Azure Blob Storage" in proc.stderr


def test_wrong_key_is_refused(tmp_path, azurite_url, container):
    site = build_site(tmp_path, "site", "--issuer", "https://oidc.example.com")
    wrong = "A" * 86 + "=="
    proc = publish(site, f"az://{AZURITE_ACCOUNT}/{container}", azurite_url, az_env(tmp_path, AZURE_STORAGE_ACCOUNT_KEY=wrong), check=1)
    assert "HTTP 403" in proc.stderr and "check AZURE_STORAGE_ACCOUNT_KEY" in proc.stderr
