"""Helpers shared by kwi's interoperability tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = REPO_ROOT.parent / "shared" / "conformance" / "kubernetes"


def _kwi_path() -> Path:
    env = os.environ.get("KWI_BIN")
    return Path(env) if env else REPO_ROOT / "target" / "debug" / "kwi"


KWI = _kwi_path()


def _run(argv, input=None, check=True, text=None, cwd=None):
    """Run a command; text mode unless ``input`` is bytes or ``text=False``."""
    if text is None:
        text = not isinstance(input, (bytes, bytearray))
    proc = subprocess.run(
        [str(a) for a in argv],
        input=input,
        capture_output=True,
        text=text,
        cwd=cwd,
        timeout=60,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"command failed with exit code {proc.returncode}: {' '.join(map(str, argv))}\n"
            f"stdout: {proc.stdout!r}\nstderr: {proc.stderr!r}"
        )
    return proc


def run_kwi(*args, input=None, check=True, text=None, cwd=None) -> subprocess.CompletedProcess:
    """Run kwi with ``args``. Returns the CompletedProcess (str output unless bytes were asked for
    with ``text=False`` or given as ``input``). With ``check`` a non-zero exit fails the test."""
    return _run([KWI, *args], input=input, check=check, text=text, cwd=cwd)


def run_tool(*args, input=None, check=True, text=None, cwd=None) -> subprocess.CompletedProcess:
    """Run another program (openssl, ssh-keygen) the same way."""
    return _run(list(args), input=input, check=check, text=text, cwd=cwd)


def b64url_nopad(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def openssl_k8s_kid(path: Path, private: bool = False) -> str:
    """Kubernetes' kid computed independently of kwi:
    openssl pkey [-pubin] -in PATH -pubout -outform DER | sha256 | base64url without padding."""
    argv = ["openssl", "pkey"]
    if not private:
        argv.append("-pubin")
    argv += ["-in", str(path), "-pubout", "-outform", "DER"]
    der = _run(argv, text=False).stdout
    assert der[:1] == b"\x30", "openssl did not write DER"
    return b64url_nopad(hashlib.sha256(der).digest())


# --- keys generated once per session by `kwi keys generate` -----------------------------------

# (alg, bits, format): every combination `kwi keys generate` accepts, RSA-4096 left out (slow).
GEN_SPECS = [
    ("RS256", 2048, "pkcs8"),
    ("RS256", 2048, "pkcs1"),
    ("RS256", 3072, "pkcs8"),
    ("RS256", 3072, "pkcs1"),
    ("ES256", None, "pkcs8"),
    ("ES256", None, "sec1"),
    ("ES384", None, "pkcs8"),
    ("ES384", None, "sec1"),
    ("ES512", None, "pkcs8"),
    ("ES512", None, "sec1"),
    ("EdDSA", None, "pkcs8"),
]


def spec_id(spec) -> str:
    alg, bits, fmt = spec
    return f"{alg}{'-' + str(bits) if bits else ''}-{fmt}"


class GeneratedKey:
    def __init__(self, spec, private: Path, public: Path, stderr: str):
        self.spec = spec
        self.alg, self.bits, self.format = spec
        self.private = private
        self.public = public
        self.stderr = stderr

    @property
    def kty(self) -> str:
        return {"RS": "RSA", "ES": "EC", "Ed": "OKP"}[self.alg[:2]]

    def __repr__(self):
        return f"GeneratedKey({spec_id(self.spec)})"
