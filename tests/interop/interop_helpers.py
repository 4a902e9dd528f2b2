"""Helpers shared by kwi's interoperability tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = REPO_ROOT / "tests" / "data" / "kubernetes"
# The conformance keys the token tests sign and verify with, and the audience they mint for.
RSA_KEY = CONFORMANCE / "rsa-private-pkcs1.pem"
RSA_PUB = CONFORMANCE / "rsa-public.pem"
EC_KEY = CONFORMANCE / "ec-p256-private-sec1.pem"
EC_PUB = CONFORMANCE / "ec-p256-public.pem"
AUD = "sts.amazonaws.com"


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


# --- comparing keys loaded by `cryptography` ---------------------------------------------------

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa  # noqa: E402

ALG_CURVE = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
CURVE_CRV = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


def public_id(key) -> tuple:
    """What identifies a public key (or the public half of a private key), comparable with ==."""
    if isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)):
        key = key.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        n = key.public_numbers()
        return ("RSA", n.n, n.e)
    if isinstance(key, ec.EllipticCurvePublicKey):
        n = key.public_numbers()
        return ("EC", key.curve.name, n.x, n.y)
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return ("Ed25519", raw)
    raise AssertionError(f"unexpected key type {type(key)}")


def private_id(key) -> tuple:
    """What identifies a private key, comparable with ==."""
    if isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        return ("RSA", n.p, n.q, n.d, n.dmp1, n.dmq1, n.iqmp, n.public_numbers.n, n.public_numbers.e)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return ("EC", key.curve.name, key.private_numbers().private_value)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return ("Ed25519", raw)
    raise AssertionError(f"unexpected private key type {type(key)}")


def is_private(key) -> bool:
    return isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey))


@functools.lru_cache(maxsize=None)
def _load_pem_private_validated(path: str, mtime_ns: int):
    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)


def load_pem_private(path: Path):
    """Load a PEM private key file with cryptography's full RSA key validation (cached per file)."""
    path = Path(path)
    return _load_pem_private_validated(str(path), path.stat().st_mtime_ns)


def load_private_unvalidated(data: bytes, der: bool = False):
    """Load a private key kwi wrote, skipping cryptography's slow RSA consistency check: the tests
    compare every RSA number with those of the (validated) input key instead."""
    load = serialization.load_der_private_key if der else serialization.load_pem_private_key
    return load(data, password=None, unsafe_skip_rsa_key_validation=True)


def load_pem_public(path: Path):
    return serialization.load_pem_public_key(Path(path).read_bytes())


def pem_labels(data: bytes | str) -> list[str]:
    """The labels of the PEM blocks in data, in order."""
    if isinstance(data, bytes):
        data = data.decode("ascii")
    return [line[len("-----BEGIN ") : -len("-----")] for line in data.splitlines() if line.startswith("-----BEGIN ")]


def pem_body(data: bytes | str) -> bytes:
    """The DER inside a single-block PEM."""
    if isinstance(data, bytes):
        data = data.decode("ascii")
    lines = [line.strip() for line in data.strip().splitlines()]
    assert lines[0].startswith("-----BEGIN ") and lines[-1].startswith("-----END "), data
    return base64.b64decode("".join(lines[1:-1]), validate=True)


def file_mode(path: Path) -> int:
    return Path(path).stat().st_mode & 0o777


# --- the conformance private keys, used as extra inputs -----------------------------------------

# file name -> (kty, alg)
CONFORMANCE_PRIVATE = {
    "rsa-private-pkcs1.pem": ("RSA", "RS256"),
    "ec-p256-private-sec1.pem": ("EC", "ES256"),
    "ec-p256-private-sec1-with-params.pem": ("EC", "ES256"),
}
CONFORMANCE_PUBLIC = {
    "rsa-public.pem": ("RSA", "RS256"),
    "ec-p256-public.pem": ("EC", "ES256"),
    "other-rsa-public.pem": ("RSA", "RS256"),
}

# Which conformance public key belongs to which private key (None: no public file ships with it).
CONFORMANCE_PAIRS = {
    "rsa-private-pkcs1.pem": "rsa-public.pem",
    "ec-p256-private-sec1.pem": "ec-p256-public.pem",
    "ec-p256-private-sec1-with-params.pem": None,
}


class KeySource:
    """A private key file (and its public half, when there is a file for it) used as kwi input."""

    def __init__(self, ident: str, private: Path, public: Path | None, kty: str, alg: str, bits=None):
        self.id = ident
        self.private = private
        self.public = public
        self.kty = kty
        self.alg = alg
        self.bits = bits

    @property
    def curve(self) -> str | None:
        return ALG_CURVE.get(self.alg)

    def __repr__(self):
        return f"KeySource({self.id})"


def alg_kty(alg: str) -> str:
    return {"RS": "RSA", "ES": "EC", "Ed": "OKP"}[alg[:2]]


# ids of every private key used as input: the generated ones, then the conformance ones
SOURCE_IDS = [f"gen:{spec_id(s)}" for s in GEN_SPECS] + [f"conf:{name}" for name in CONFORMANCE_PRIVATE]


def source_kty(ident: str) -> str:
    kind, name = ident.split(":", 1)
    if kind == "gen":
        return alg_kty(name.split("-")[0])
    return CONFORMANCE_PRIVATE[name][0]


def source_alg(ident: str) -> str:
    kind, name = ident.split(":", 1)
    if kind == "gen":
        return name.split("-")[0]
    return CONFORMANCE_PRIVATE[name][1]
