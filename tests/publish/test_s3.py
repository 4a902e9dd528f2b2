"""`kwi issuer publish s3://…` against moto (a real S3 API server on loopback), read with boto3 and
anonymous HTTP."""

import json
import uuid

import pytest
import requests

from publish_helpers import build_site, free_port, kwi, site_documents

REGION = "us-west-2"


def bucket_name() -> str:
    return f"kwi-{uuid.uuid4().hex[:12]}"


def publish(site, to, moto_url, env, *extra, check=0):
    return kwi("issuer", "publish", "--site", site, "--to", to, "--region", REGION, "--endpoint", moto_url, *extra, env=env, check=check)


@pytest.fixture()
def bucket():
    return bucket_name()


def for_bucket(tmp_path, name, bucket, prefix=""):
    target = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
    return build_site(tmp_path, name, "--for-bucket", target, "--region", REGION)


def test_upload_sets_types_policy_and_reads_back(tmp_path, moto_url, s3_env, s3, bucket):
    site = for_bucket(tmp_path, "site", bucket, "c1")
    out = publish(site, f"s3://{bucket}/c1", moto_url, s3_env, "--create-bucket", "--verify", f"{moto_url}/{bucket}/c1").stdout
    lines = out.splitlines()
    # JWKS first, discovery second.
    uploads = [l for l in lines if l.startswith("uploaded ")]
    assert [u.split()[1] for u in uploads] == [f"s3://{bucket}/c1/openid/v1/jwks", f"s3://{bucket}/c1/.well-known/openid-configuration"]
    assert f"issuer URL (virtual-hosted): https://{bucket}.s3.{REGION}.amazonaws.com/c1" in lines
    assert f"issuer URL (path): https://s3.{REGION}.amazonaws.com/{bucket}/c1" in lines

    docs = site_documents(site)
    for path, content_type in [("openid/v1/jwks", "application/jwk-set+json"), (".well-known/openid-configuration", "application/json")]:
        head = s3.head_object(Bucket=bucket, Key=f"c1/{path}")
        assert head["ContentType"] == content_type
        assert head["CacheControl"] == "public, max-age=3600"
        assert s3.get_object(Bucket=bucket, Key=f"c1/{path}")["Body"].read() == docs[path]
        # Anonymous HTTP, as a relying party reads it.
        assert requests.get(f"{moto_url}/{bucket}/c1/{path}", timeout=10).content == docs[path]

    # Public read is a bucket policy on exactly the two objects, never an ACL.
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow" and statement["Principal"] == "*" and statement["Action"] == "s3:GetObject"
    assert sorted(statement["Resource"]) == sorted(
        [f"arn:aws:s3:::{bucket}/c1/openid/v1/jwks", f"arn:aws:s3:::{bucket}/c1/.well-known/openid-configuration"]
    )
    grants = s3.get_object_acl(Bucket=bucket, Key="c1/openid/v1/jwks")["Grants"]
    assert all(g["Grantee"].get("URI", "").find("AllUsers") < 0 for g in grants)


def test_second_run_rewrites_nothing_and_a_new_key_rewrites_only_the_jwks(tmp_path, moto_url, s3_env, s3, bucket):
    site = for_bucket(tmp_path, "site", bucket)
    publish(site, f"s3://{bucket}", moto_url, s3_env, "--create-bucket", "--no-verify")
    before = {k: s3.head_object(Bucket=bucket, Key=k)["ETag"] for k in ["openid/v1/jwks", ".well-known/openid-configuration"]}
    s3.put_object(Bucket=bucket, Key="marker", Body=b"x")
    out = publish(site, f"s3://{bucket}", moto_url, s3_env, "--no-verify").stdout
    assert [l.split()[1] for l in out.splitlines() if l.startswith("unchanged s3://")] == [
        f"s3://{bucket}/openid/v1/jwks",
        f"s3://{bucket}/.well-known/openid-configuration",
    ], out
    assert f"bucket policy of s3://{bucket} unchanged" in out
    # Not rewritten: same objects (moto gives every write a new LastModified; compare both).
    for key, etag in before.items():
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ETag"] == etag
        assert head["LastModified"] <= s3.head_object(Bucket=bucket, Key="marker")["LastModified"]

    # Another key: the JWKS changes, the discovery document (same algorithm) does not.
    (tmp_path / "site.key").unlink()
    site = for_bucket(tmp_path, "site", bucket)
    out = publish(site, f"s3://{bucket}", moto_url, s3_env, "--verify", f"{moto_url}/{bucket}").stdout
    assert f"uploaded s3://{bucket}/openid/v1/jwks" in out
    assert f"unchanged s3://{bucket}/.well-known/openid-configuration" in out
    assert s3.get_object(Bucket=bucket, Key="openid/v1/jwks")["Body"].read() == (site / "openid/v1/jwks").read_bytes()


def test_changed_headers_are_rewritten(tmp_path, moto_url, s3_env, s3, bucket):
    site = for_bucket(tmp_path, "site", bucket)
    publish(site, f"s3://{bucket}", moto_url, s3_env, "--create-bucket", "--no-verify")
    out = publish(site, f"s3://{bucket}", moto_url, s3_env, "--no-verify", "--max-age", "300").stdout
    assert "Cache-Control was public, max-age=3600" in out
    assert s3.head_object(Bucket=bucket, Key="openid/v1/jwks")["CacheControl"] == "public, max-age=300"


def test_other_policy_statements_are_kept(tmp_path, moto_url, s3_env, s3, bucket):
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    theirs = {"Sid": "Theirs", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [theirs]}))
    for prefix in ["a", "b"]:
        site = for_bucket(tmp_path, f"site-{prefix}", bucket, prefix)
        publish(site, f"s3://{bucket}/{prefix}", moto_url, s3_env, "--no-verify")
    statements = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert statements[0] == theirs
    # One statement per cluster prefix sharing the bucket.
    assert [sorted(s["Resource"])[0] for s in statements[1:]] == [
        f"arn:aws:s3:::{bucket}/a/.well-known/openid-configuration",
        f"arn:aws:s3:::{bucket}/b/.well-known/openid-configuration",
    ]


def test_bucket_refusing_public_access(tmp_path, moto_url, s3_env, s3, bucket):
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    block = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)
    site = for_bucket(tmp_path, "site", bucket)
    proc = publish(site, f"s3://{bucket}", moto_url, s3_env, "--no-verify", check=1)
    assert "BlockPublicPolicy=true" in proc.stderr and "--make-public" in proc.stderr
    assert f"aws s3api put-public-access-block --bucket {bucket}" in proc.stderr
    # Refused before anything was written.
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0

    proc = publish(site, f"s3://{bucket}", moto_url, s3_env, "--no-verify", "--make-public")
    assert "turned off BlockPublicPolicy and RestrictPublicBuckets" in proc.stdout
    after = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert after == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Principal"] == "*"


def test_dry_run_changes_nothing(tmp_path, moto_url, s3_env, s3, bucket):
    site = for_bucket(tmp_path, "site", bucket)
    out = publish(site, f"s3://{bucket}", moto_url, s3_env, "--create-bucket", "--dry-run").stdout
    assert f"would create bucket s3://{bucket} in {REGION}" in out
    assert f"would upload s3://{bucket}/openid/v1/jwks" in out
    assert "would set the bucket policy" in out
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_missing_bucket_is_not_created_unasked(tmp_path, moto_url, s3_env, bucket):
    site = for_bucket(tmp_path, "site", bucket)
    proc = publish(site, f"s3://{bucket}", moto_url, s3_env, check=1)
    assert "does not exist" in proc.stderr and "--create-bucket" in proc.stderr


def test_missing_credentials(tmp_path, moto_url, s3_env, bucket):
    site = for_bucket(tmp_path, "site", bucket)
    env = {k: v for k, v in s3_env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    # No keys; the instance metadata endpoint (the last link of the chain) refuses connections.
    proc = publish(site, f"s3://{bucket}", moto_url, env, check=2)
    assert "no usable AWS credentials" in proc.stderr and "AWS_ACCESS_KEY_ID" in proc.stderr


def test_network_down(tmp_path, s3_env, bucket):
    site = for_bucket(tmp_path, "site", bucket)
    closed = f"http://127.0.0.1:{free_port()}"
    proc = publish(site, f"s3://{bucket}", closed, s3_env, check=2)
    assert "cannot reach S3" in proc.stderr and "Connection refused" in proc.stderr


def test_read_back_difference_is_exit_1(tmp_path, moto_url, s3_env, s3, bucket):
    one = for_bucket(tmp_path, "one", bucket, "one")
    two = for_bucket(tmp_path, "two", bucket, "two")
    publish(one, f"s3://{bucket}/one", moto_url, s3_env, "--create-bucket", "--no-verify")
    # Publishing two but reading back where one is served: what a relying party would see differs.
    proc = publish(two, f"s3://{bucket}/two", moto_url, s3_env, "--verify", f"{moto_url}/{bucket}/one", check=1)
    assert "differs from what kwi built" in proc.stderr
    proc = publish(two, f"s3://{bucket}/two", moto_url, s3_env, "--verify", f"{moto_url}/{bucket}/nothing", check=1)
    assert "HTTP 404" in proc.stderr


def test_for_bucket_urls(tmp_path):
    site = build_site(tmp_path, "dotted", "--for-bucket", "s3://oidc.example.com/prod", "--region", "eu-west-1")
    issuer = json.loads((site / ".well-known/openid-configuration").read_text())["issuer"]
    # A dotted bucket name is outside the wildcard certificate of virtual-hosted URLs.
    assert issuer == "https://s3.eu-west-1.amazonaws.com/oidc.example.com/prod"
    site = build_site(tmp_path, "path", "--for-bucket", "s3://oidc-x", "--region", "us-east-2", "--url-style", "path")
    assert json.loads((site / ".well-known/openid-configuration").read_text())["issuer"] == "https://s3.us-east-2.amazonaws.com/oidc-x"
    proc = kwi("issuer", "build", "--for-bucket", "s3://oidc-x", "--key", tmp_path / "dotted.key", "--out", tmp_path / "o", env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2 and "--region" in proc.stderr


@pytest.fixture()
def moto_with_auth(tmp_path):
    """A moto server that checks every request's SigV4 signature against IAM (after the first
    three requests, which create the IAM user and its key)."""
    import os
    import subprocess

    import boto3

    from publish_helpers import stop, wait_for_port

    port = free_port()
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")
    proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, proc, "moto_server")
    url = f"http://127.0.0.1:{port}"
    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    iam.create_user(UserName="kwi")
    iam.put_user_policy(UserName="kwi", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="kwi")["AccessKey"]
    yield url, key["AccessKeyId"], key["SecretAccessKey"]
    stop(proc)


def test_requests_pass_a_signature_check(tmp_path, moto_with_auth, s3_env, bucket):
    # Every call kwi makes, the uploads and the bucket-level ones (create, public access block,
    # policy), is SigV4-signed by object_store's signer and verified by moto against IAM.
    import boto3

    url, key_id, secret = moto_with_auth
    env = dict(s3_env, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret)
    site = for_bucket(tmp_path, "site", bucket)
    # moto answers anonymous GETs with an error once it checks signatures: read back with boto3.
    out = publish(site, f"s3://{bucket}", url, env, "--create-bucket", "--no-verify").stdout
    assert f"uploaded s3://{bucket}/.well-known/openid-configuration" in out
    s3 = boto3.client("s3", endpoint_url=url, region_name=REGION, aws_access_key_id=key_id, aws_secret_access_key=secret)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True, "RestrictPublicBuckets": True, "BlockPublicAcls": True, "IgnorePublicAcls": True})
    publish(site, f"s3://{bucket}", url, env, "--make-public", "--no-verify")
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is False
    assert "KwiIssuerRead" in s3.get_bucket_policy(Bucket=bucket)["Policy"]

    wrong = dict(env, AWS_SECRET_ACCESS_KEY="not-the-secret")
    proc = publish(site, f"s3://{bucket}", url, wrong, "--no-verify", check=2)
    assert "HTTP 403" in proc.stderr and "check the credentials" in proc.stderr


def test_credentials_and_region_from_a_profile(tmp_path, moto_url, s3_env, s3, bucket):
    env = {k: v for k, v in s3_env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    aws = tmp_path / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text("[default]\naws_access_key_id = wrong\n\n[kwi]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    (aws / "config").write_text(f"[profile kwi]\nregion = {REGION}\n\n[profile assumed]\ncredential_process = /bin/false\n")
    site = for_bucket(tmp_path, "site", bucket)
    env = dict(env, HOME=str(tmp_path), AWS_PROFILE="kwi")
    out = kwi("issuer", "publish", "--site", site, "--to", f"s3://{bucket}", "--endpoint", moto_url, "--create-bucket", "--no-verify", env=env, check=0).stdout
    assert f"created bucket s3://{bucket} in {REGION}" in out
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == REGION
    proc = kwi("issuer", "publish", "--site", site, "--to", f"s3://{bucket}", "--endpoint", moto_url, env=dict(env, AWS_PROFILE="assumed"), check=2)
    assert "AWS_PROFILE=assumed" in proc.stderr and "aws configure export-credentials" in proc.stderr
    proc = kwi("issuer", "publish", "--site", site, "--to", f"s3://{bucket}", "--endpoint", moto_url, env=dict(env, AWS_PROFILE="nope"), check=2)
    assert "no [nope] section" in proc.stderr
