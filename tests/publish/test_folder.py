"""`kwi issuer publish --to file://DIR`: atomic writes into a folder a web server serves, read back
over HTTP."""

from publish_helpers import build_site, kwi, site_documents


def test_folder_publish_read_back_and_idempotence(tmp_path, web_root):
    root, url = web_root
    site = build_site(tmp_path, "site", "--issuer", "https://oidc.example.com/c1")
    out = kwi("issuer", "publish", "--site", site, "--to", f"file://{root}/c1", "--verify", f"{url}/c1", check=0).stdout
    assert out.splitlines()[0].startswith(f"uploaded {root}/c1/openid/v1/jwks")
    assert f"read back {url}/c1/.well-known/openid-configuration" in out
    assert site_documents(root / "c1") == site_documents(site)
    assert (root / "c1/openid/v1/jwks").stat().st_mode & 0o777 == 0o644

    mtime = (root / "c1/openid/v1/jwks").stat().st_mtime_ns
    out = kwi("issuer", "publish", "--site", site, "--to", f"file://{root}/c1", "--verify", f"{url}/c1", check=0).stdout
    assert out.count("unchanged ") == 2
    assert (root / "c1/openid/v1/jwks").stat().st_mtime_ns == mtime


def test_folder_dry_run_and_mismatch(tmp_path, web_root):
    root, url = web_root
    site = build_site(tmp_path, "site", "--issuer", "https://oidc.example.com")
    out = kwi("issuer", "publish", "--site", site, "--to", f"file://{root}", "--dry-run", check=0).stdout
    assert "would upload" in out and not any(root.iterdir())
    other = build_site(tmp_path, "other", "--issuer", "https://oidc.example.com")
    kwi("issuer", "publish", "--site", other, "--to", f"file://{root}", "--no-verify", check=0)
    # The web server serves the other site: the read-back says so, exit 1.
    proc = kwi("issuer", "publish", "--site", site, "--to", f"file://{tmp_path}/elsewhere", "--verify", url, check=1)
    assert "differs from what kwi built" in proc.stderr


def test_unreadable_site_is_exit_2(tmp_path):
    proc = kwi("issuer", "publish", "--site", tmp_path / "missing", "--to", f"file://{tmp_path}/out", check=2)
    assert "build the site first" in proc.stderr
    proc = kwi("issuer", "publish", "--site", tmp_path, "--to", "ftp://x", check=2)
    assert "unknown scheme" in proc.stderr
