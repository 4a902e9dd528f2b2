"""OpenSSH keys: what kwi writes is read by ssh-keygen and cryptography, and what ssh-keygen writes
is read by kwi."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization

from interop_helpers import (
    SOURCE_IDS,
    file_mode,
    load_pem_private,
    load_private_unvalidated,
    openssl_k8s_kid,
    pem_labels,
    private_id,
    public_id,
    run_kwi,
    run_tool,
)

SSH_TYPE = {
    ("RSA", None): "ssh-rsa",
    ("EC", "ES256"): "ecdsa-sha2-nistp256",
    ("EC", "ES384"): "ecdsa-sha2-nistp384",
    ("EC", "ES512"): "ecdsa-sha2-nistp521",
    ("OKP", None): "ssh-ed25519",
}


def ssh_type(src) -> str:
    return SSH_TYPE[(src.kty, src.alg if src.kty == "EC" else None)]


def key_fields(line: str) -> list[str]:
    """type and base64 blob of an authorized_keys line (the comment is left out)."""
    fields = line.split()
    assert len(fields) >= 2, line
    return fields[:2]


@pytest.mark.parametrize("sid", SOURCE_IDS)
def test_openssh_private_key_is_read_by_ssh_keygen(sid, key_source, tmp_path):
    src = key_source(sid)
    original = load_pem_private(src.private)

    out = tmp_path / "id_kwi"
    run_kwi("keys", "convert", src.private, "--to", "openssh", "-o", out)
    assert file_mode(out) == 0o600
    data = out.read_bytes()
    assert pem_labels(data) == ["OPENSSH PRIVATE KEY"]

    # ssh-keygen derives the public key from the private file (and refuses group/world-readable ones)
    derived = run_tool("ssh-keygen", "-y", "-f", out).stdout.strip()
    public_line = run_kwi("keys", "convert", src.private, "--public", "--to", "openssh").stdout.strip()
    assert "\n" not in public_line
    assert key_fields(derived) == key_fields(public_line)
    assert key_fields(public_line)[0] == ssh_type(src)

    # cryptography reads both, as the same key as the input
    loaded = serialization.load_ssh_private_key(data, password=None, unsafe_skip_rsa_key_validation=True)
    assert private_id(loaded) == private_id(original)
    assert public_id(serialization.load_ssh_public_key(public_line.encode())) == public_id(original)

    # the private key written to standard output is the same as the file (modulo the check bytes)
    stdout = run_kwi("keys", "convert", src.private, "--to", "openssh", text=False).stdout
    again = serialization.load_ssh_private_key(stdout, password=None, unsafe_skip_rsa_key_validation=True)
    assert private_id(again) == private_id(original)


@pytest.mark.parametrize("sid", [s for s in SOURCE_IDS if s != "conf:ec-p256-private-sec1-with-params.pem"])
def test_openssh_public_line_from_public_key_file(sid, key_source, tmp_path):
    src = key_source(sid)
    line = run_kwi("keys", "convert", src.public, "--to", "openssh").stdout.strip()
    assert key_fields(line)[0] == ssh_type(src)
    assert public_id(serialization.load_ssh_public_key(line.encode())) == public_id(load_pem_private(src.private))
    from_private = run_kwi("keys", "convert", src.private, "--public", "--to", "openssh").stdout.strip()
    assert key_fields(line) == key_fields(from_private)

    # ssh-keygen reads the line back as a .pub file: its SHA256 fingerprint is that of the blob
    pub = tmp_path / "k.pub"
    pub.write_text(line + "\n")
    fingerprint = run_tool("ssh-keygen", "-l", "-E", "sha256", "-f", pub).stdout.split()[1]
    blob = base64.b64decode(key_fields(line)[1])
    assert fingerprint == "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    if src.kty != "OKP":  # ssh-keygen cannot export Ed25519 keys as PKCS#8
        spki = run_tool("ssh-keygen", "-e", "-m", "PKCS8", "-f", pub).stdout
        assert public_id(serialization.load_pem_public_key(spki.encode())) == public_id(
            load_pem_private(src.private)
        )


SSH_KEYGEN_TYPES = [
    pytest.param(["-t", "rsa", "-b", "2048"], id="rsa-2048"),
    pytest.param(["-t", "ecdsa", "-b", "256"], id="ecdsa-256"),
    pytest.param(["-t", "ecdsa", "-b", "384"], id="ecdsa-384"),
    pytest.param(["-t", "ecdsa", "-b", "521"], id="ecdsa-521"),
    pytest.param(["-t", "ed25519"], id="ed25519"),
]


@pytest.mark.parametrize("keygen_args", SSH_KEYGEN_TYPES)
def test_kwi_reads_ssh_keygen_keys(keygen_args, tmp_path):
    key = tmp_path / "id_test"
    run_tool("ssh-keygen", "-q", *keygen_args, "-N", "", "-C", "test@example", "-f", key)
    pub = tmp_path / "id_test.pub"
    assert pem_labels(key.read_bytes()) == ["OPENSSH PRIVATE KEY"]  # OpenSSH's own private format

    ref = serialization.load_ssh_private_key(key.read_bytes(), password=None)

    # the kid is the same from the private file and from the .pub line, and is Kubernetes' kid
    kid_private = run_kwi("keys", "kid", key).stdout.strip()
    kid_public = run_kwi("keys", "kid", pub).stdout.strip()
    assert kid_private == kid_public
    spki_pem = tmp_path / "ref-spki.pem"
    spki_pem.write_bytes(
        ref.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert kid_private == openssl_k8s_kid(spki_pem)

    # to PKCS#8: the same private key as cryptography reads from the OpenSSH file
    p8 = tmp_path / "x.pem"
    run_kwi("keys", "convert", key, "--to", "pkcs8", "-o", p8)
    assert file_mode(p8) == 0o600
    assert pem_labels(p8.read_bytes()) == ["PRIVATE KEY"]
    run_tool("openssl", "pkey", "-in", p8, "-noout")
    assert private_id(load_private_unvalidated(p8.read_bytes())) == private_id(ref)

    # the .pub to SPKI: byte-identical to cryptography's SubjectPublicKeyInfo PEM
    spki = run_kwi("keys", "convert", pub, "--to", "spki", text=False).stdout
    assert spki == spki_pem.read_bytes()

    # and back to OpenSSH: the same public line as ssh-keygen wrote (without the comment)
    line = run_kwi("keys", "convert", key, "--public", "--to", "openssh").stdout
    assert key_fields(line) == key_fields(pub.read_text())
