#!/usr/bin/env python3
"""Differential fuzzer: kwi serve vs OpenBao JWT auth.

Usage: python3 fuzz.py --kwi http://127.0.0.1:PORT2 --bao http://127.0.0.1:PORT --cases 3000 --seed 1

For each case: writes a random config to a mount on both servers, writes a random role
(sometimes one that should be refused), reads the role back, sends the same login to both,
and compares status + errors + auth fields. Mismatches are grouped by a normalized signature
and written (with full reproductions) to mismatches.jsonl / summary.txt.

--remote: instead of `jwt_validation_pubkeys`, every config written is `{"jwks_url": ...}` served by
a loopback JWKS server the fuzzer runs itself (http.server in a thread, one fresh URL per case, so
both servers fetch the same document when the config is written). The JWKS holds the same RSA/EC
(and sometimes the "other" RSA) public keys the tokens are signed with, varied per case: kids on
all/none/some keys, kid "", the signing key missing, several keys without a kid, `alg`/`use`
present or not (rarely wrong), and rarely a broken document (404, 500, not JSON, no `keys`, an
unsupported key). Tokens carry the signing key's kid, no kid, kid "" or a wrong one. After a
login that both servers accept, some cases change the JWKS (add a key, remove the signing key, or
an outage answering 500) and log in again (phase "login2-<change>"). Known, accepted
differences are filtered in this mode and only counted (stats "known_*"): kwi refetches at most
once per 5 s (the recheck waits 5 s and must then match), kwi refuses a JWKS with a duplicate kid,
the text of a failed refetch at login, and the order in which OpenBao checks several bound claims.
"""

import argparse
import base64
import copy
import json
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections import defaultdict

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from openbao_fuzz_common import ROOT, Server, normalize

AUTH_FIELDS = ["policies", "token_policies", "metadata", "lease_duration", "renewable",
               "token_type", "orphan", "num_uses"]


# ---------------------------------------------------------------- keys / signing
def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Keys:
    def __init__(self):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = lambda k: k.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        self.rsa_pub, self.ec_pub = pem(self.rsa), pem(self.ec)

    def jwk(self, which):
        """The public key as a JWK, without kid/alg/use."""
        if which == "ec":
            nums = self.ec.public_key().public_numbers()
            return {"kty": "EC", "crv": "P-256", "x": b64u(nums.x.to_bytes(32, "big")),
                    "y": b64u(nums.y.to_bytes(32, "big"))}
        nums = (self.rsa if which == "rsa" else self.other).public_key().public_numbers()
        n = nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")
        e = nums.e.to_bytes((nums.e.bit_length() + 7) // 8, "big")
        return {"kty": "RSA", "n": b64u(n), "e": b64u(e)}

    def sign(self, claims_json: str, which: str, kid=None):
        alg = "ES256" if which == "ec" else "RS256"
        header = {"alg": alg, "typ": "JWT"}
        if kid is not None:
            header["kid"] = kid
        signing_input = f"{b64u(json.dumps(header, separators=(',', ':')).encode())}.{b64u(claims_json.encode())}"
        if which == "ec":
            der = self.ec.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
            r, s = decode_dss_signature(der)
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        else:
            key = self.rsa if which == "rsa" else self.other
            sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64u(sig)}"


# ---------------------------------------------------------------- remote keys (--remote)
class JwksServer:
    """A loopback HTTP server answering GET <path> from a dict of documents: path -> (status, bytes)."""

    def __init__(self):
        docs = self.docs = {}
        hits = self.hits = defaultdict(int)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                hits[self.path] += 1
                status, body = docs.get(self.path, (404, b"404 page not found\n"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.httpd.shutdown()


KEY_ALG = {"rsa": "RS256", "ec": "ES256", "other": "RS256"}
KID_POOL = ["k1", "k2", "rsa-1", "ec-1", "1", "Kid/ü", "k1 ", "K1"]
BROKEN_JWKS = ["404", "500", "notjson", "nokeys", "keysnull", "oct", "unknownkty", "notlist"]


def rand_jwks(rng):
    """A JWKS description: {"entries": [{"key": rsa|ec|other, "kid"?, "alg"?, "use"?}]} or {"broken": kind}."""
    if rng.random() < 0.04:
        return {"broken": rng.choice(BROKEN_JWKS)}
    r = rng.random()
    if r < 0.33:
        members = ["rsa", "ec"]
    elif r < 0.48:
        members = ["ec", "rsa"]
    elif r < 0.6:
        members = ["rsa"]
    elif r < 0.72:
        members = ["ec"]
    elif r < 0.82:
        members = rng.sample(["rsa", "ec", "other"], 3)
    elif r < 0.9:
        members = ["other"]  # the JWKS misses the signing keys
    elif r < 0.97:
        members = rng.choice([["other", "ec"], ["rsa", "other"]])
    else:
        members = []
    mode = rng.choices(["kids", "none", "mixed", "emptykid"], [0.45, 0.2, 0.28, 0.07])[0]
    kids = rng.sample(KID_POOL, len(members))
    entries = []
    for m, kid in zip(members, kids):
        e = {"key": m}
        if mode == "kids" or (mode == "mixed" and rng.random() < 0.5):
            e["kid"] = kid
        elif mode == "emptykid" and rng.random() < 0.7:
            e["kid"] = ""
        if rng.random() < 0.5:
            e["alg"] = KEY_ALG[m] if rng.random() < 0.85 else rng.choice(["RS512", "PS256", "ES384", "ES256", "RS256", "none"])
        if rng.random() < 0.5:
            e["use"] = "sig" if rng.random() < 0.85 else rng.choice(["enc", "", "SIG"])
        entries.append(e)
    return {"entries": entries}


def jwks_document(keys, spec):
    """(status, body bytes) for a JWKS description."""
    broken = spec.get("broken")
    if broken == "404":
        return None
    if broken == "500":
        return 500, b"internal error\n"
    if broken == "notjson":
        return 200, b"<html>not json</html>"
    if broken == "nokeys":
        return 200, b"{}"
    if broken == "keysnull":
        return 200, b'{"keys":null}'
    if broken == "notlist":
        return 200, json.dumps({"keys": keys.jwk("rsa")}).encode()
    if broken == "oct":
        return 200, json.dumps({"keys": [dict(keys.jwk("rsa"), kid="r"), {"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]}).encode()
    if broken == "unknownkty":
        return 200, json.dumps({"keys": [dict(keys.jwk("rsa"), kid="r"), {"kty": "XYZ", "kid": "u"}]}).encode()
    out = []
    for e in spec["entries"]:
        jwk = keys.jwk(e["key"])
        head = {"kty": jwk.pop("kty")}
        for f in ("kid", "use", "alg"):
            if f in e:
                head[f] = e[f]
        out.append({**head, **jwk})
    return 200, json.dumps({"keys": out}).encode()


def failed_refetch_text(k, b):
    """Both refuse the login; OpenBao names its failed refetch ("fetching keys ..."), kwi does not."""
    pre = "error validating token: error verifying token signature: "
    ke, be = (k[1] or [""])[0], (b[1] or [""])[0]
    return (k[0] == b[0] == 400 and k[2] is None and b[2] is None and ke.startswith(pre)
            and be.startswith(pre + "fetching keys"))


def duplicate_kid(spec):
    kids = [e["kid"] for e in spec.get("entries", []) if e.get("kid")]
    return len(kids) != len(set(kids))


# ---------------------------------------------------------------- random generation
ISSUERS = ["https://kubernetes.default.svc", "https://issuer.example.com", "https://ü.example/ß"]
NAMESPACES = ["default", "prod", "kube-system", "team-a", "Prod", "ns-ü"]
SA_NAMES = ["app", "web", "db-1", "[x]", "a*b", "q?"]
AUDS = ["vault", "api", "https://vault.example", "Vault", "x"]
POLICY_POOL = ["default", "Default", "dev", "ops", " dev", "ops ", "A", "a", "root", "x-y", "DEV", "p1"]
DURATIONS = [0, 1, 30, 60, 90, 600, 3600, 7200, 86400, 2764800, 3000000,
             "0", "30", "30s", "10m", "1h", "1h30m", "90m", "2h45m10s", "1.5h", "45m", "24h",
             "768h", "1000h", "7d", "100ms", "1h0m0s", " 1h", "3600s"]
SAFE_DURATIONS = [0, 30, 60, 600, 3600, 7200, 86400, 2764800, "30s", "10m", "1h", "1h30m", "90m", "24h", "7d", "768h"]
LEEWAYS = [-1, 0, 1, 5, 30, 60, 150, 300, "-1", "0", "5m", "10s", "1m30s", -100]


class Case:
    pass


def rand_claims(rng):
    ns = rng.choice(NAMESPACES)
    sa = rng.choice(SA_NAMES)
    c = {}
    if rng.random() < 0.92:
        c["iss"] = rng.choice(ISSUERS)
    r = rng.random()
    if r < 0.8:
        c["sub"] = f"system:serviceaccount:{ns}:{sa}"
    elif r < 0.87:
        c["sub"] = rng.choice(["", "üser", 12345, "user@example.com"])
    # aud
    r = rng.random()
    if r < 0.45:
        c["aud"] = rng.sample(AUDS, rng.randint(1, 3))
    elif r < 0.7:
        c["aud"] = rng.choice(AUDS)
    elif r < 0.78:
        c["aud"] = []
    elif r < 0.82:
        c["aud"] = ""
    # times are filled at signing time (relative offsets)
    kube = {"namespace": ns, "serviceaccount": {"name": sa, "uid": "u-" + str(rng.randint(1, 99))}}
    if rng.random() < 0.3:
        kube["pod"] = {"name": f"{sa}-{rng.randint(0, 9)}", "uid": "p"}
    if rng.random() < 0.9:
        c["kubernetes.io"] = kube
    r = rng.random()
    if r < 0.4:
        c["groups"] = rng.sample(["dev", "ops", "admins", "Dev", "ü-grp", ""], rng.randint(0, 3))
    elif r < 0.5:
        c["groups"] = "dev"
    elif r < 0.55:
        c["groups"] = 42
    elif r < 0.6:
        c["groups"] = {"a": "b"}
    elif r < 0.65:
        c["groups"] = ["dev", 3, True]
    elif r < 0.68:
        c["groups"] = [["dev"]]
    elif r < 0.7:
        c["groups"] = None
    if rng.random() < 0.7:
        c["email"] = rng.choice(["app@example.com", "Ünï@example.com", "", "a,b@example.com"])
    if rng.random() < 0.5:
        c["count"] = rng.choice([7, 0, -3, 1.5, 7.0, 1e3, 12345678901, 2.0e15])
    if rng.random() < 0.4:
        c["flag"] = rng.choice([True, False])
    if rng.random() < 0.3:
        c["tags"] = rng.choice([["a", "b"], ["a", 1, True], [], [{"x": 1}], [1.5, 2]])
    if rng.random() < 0.2:
        c["a/b"] = rng.choice(["slash", 1])
    if rng.random() < 0.2:
        c["t~x"] = "tilde"
    if rng.random() < 0.2:
        c["ünï"] = "cödé"
    if rng.random() < 0.15:
        c["nested"] = {"deep": {"deeper": rng.choice(["v", 1, ["v", "w"], {"z": 1}])}, "list": [{"k": "v"}]}
    if rng.random() < 0.1:
        c["nullc"] = None
    if rng.random() < 0.1:
        c["obj"] = {"k": "v"}
    return c


def claim_keys_and_pointers(claims):
    out = list(claims.keys())
    out += ["/kubernetes.io/namespace", "/kubernetes.io/serviceaccount/name", "/kubernetes.io/pod/name",
            "/a~1b", "/t~0x", "/nested/deep/deeper", "/nested/list/0/k", "/groups/0", "/aud/0",
            "/kubernetes.io", "/missing/x", "kubernetes.io/namespace", "/", "/email", "/sub",
            "missing", "Sub", "/kubernetes.io/serviceaccount"]
    return out


def get_pointer(claims, name):
    if not name.startswith("/"):
        return claims.get(name, KeyError)
    cur = claims
    for part in name.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return KeyError
    return cur


def globify(rng, s):
    if not isinstance(s, str) or not s:
        return rng.choice(["*", "?", "[a-z]*", "*x*"])
    i = rng.randrange(len(s))
    j = rng.randrange(i, len(s) + 1)
    kind = rng.random()
    if kind < 0.5:
        return s[:i] + "*" + s[j:]
    if kind < 0.65:
        return s[:i] + "?" + s[i + 1:]
    if kind < 0.8:
        return s[:i] + "[" + s[i:i + 1] + "]" + s[i + 1:]
    if kind < 0.9:
        return "*" + s[i:]
    return s[:i] + "**" + s[i:]


def rand_bound_value(rng, actual):
    r = rng.random()
    scalar = actual if isinstance(actual, (str, int, float, bool)) and actual is not KeyError else None
    if isinstance(actual, list) and actual and isinstance(actual[0], (str, int, float, bool)):
        scalar = rng.choice(actual)
    if r < 0.35 and scalar is not None:
        return scalar
    if r < 0.45 and scalar is not None:
        return str(scalar) if not isinstance(scalar, bool) else str(scalar).lower()
    if r < 0.65:
        return globify(rng, scalar if isinstance(scalar, str) else None)
    if r < 0.8:
        vals = [rng.choice(["nope", "other", "*", 7, True])]
        if scalar is not None and rng.random() < 0.6:
            vals.append(scalar)
        rng.shuffle(vals)
        return vals
    if r < 0.85:
        return rng.choice([7, 7.0, 1.5, True, False, 0])
    if r < 0.9:
        return []
    return rng.choice(["default", "prod", "app@example.com", "dev", "vault"])


def rand_list_field(rng, items):
    r = rng.random()
    if r < 0.5:
        return list(items)
    if r < 0.8:
        return ",".join(items) if rng.random() < 0.7 else ", ".join(items)
    if r < 0.9:
        return ",".join(items) + ","
    return list(items) + [""]


def coherent_role(rng, claims):
    """A role the token mostly satisfies, so that logins reach the success path."""
    role = {"role_type": "jwt", "user_claim": "sub"}
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else ([aud] if isinstance(aud, str) and aud else [])
    if auds:
        pick = [rng.choice(auds)] + ([rng.choice(AUDS)] if rng.random() < 0.3 else [])
        role["bound_audiences"] = rand_list_field(rng, pick)
    elif rng.random() < 0.5:
        role["bound_subject"] = claims.get("sub") if isinstance(claims.get("sub"), str) else "x"
    if rng.random() < 0.2 and isinstance(claims.get("sub"), str):
        role["bound_subject"] = claims["sub"]
    keys = [k for k in claim_keys_and_pointers(claims) if get_pointer(claims, k) is not KeyError]
    str_keys = [k for k in keys if isinstance(get_pointer(claims, k), str) and get_pointer(claims, k)]
    if rng.random() < 0.5 and keys:
        bc = {}
        for _ in range(rng.choice([1, 1, 2])):
            k = rng.choice(keys)
            bc[k] = rand_bound_value(rng, get_pointer(claims, k)) if rng.random() < 0.3 else get_pointer(claims, k)
        role["bound_claims"] = bc
        if rng.random() < 0.4:
            role["bound_claims_type"] = rng.choice(["glob", "string"])
    if "bound_audiences" not in role and "bound_subject" not in role and "bound_claims" not in role:
        role["bound_claims"] = {"sub": "*"}
        role["bound_claims_type"] = "glob"
    if rng.random() < 0.4 and keys:
        targets = ["ns", "mail", "user", "n", "g", "sa_name", "cluster"] + (["ü"] if rng.random() < 0.1 else [])
        rng.shuffle(targets)
        src = [rng.choice(str_keys if str_keys and rng.random() < 0.85 else keys) for _ in range(rng.randint(1, 3))]
        role["claim_mappings"] = {k: targets[i] for i, k in enumerate(dict.fromkeys(src))}
    if rng.random() < 0.3 and str_keys:
        role["user_claim"] = rng.choice(str_keys)
        if role["user_claim"].startswith("/") or rng.random() < 0.2:
            role["user_claim_json_pointer"] = True
    if rng.random() < 0.2:
        role["groups_claim"] = rng.choice(["groups", "/groups", "email", "/kubernetes.io/namespace", "tags"])
    for lw in ["clock_skew_leeway", "expiration_leeway", "not_before_leeway"]:
        if rng.random() < 0.2:
            role[lw] = rng.choice(LEEWAYS)
    for f in ["token_ttl", "token_max_ttl", "ttl", "max_ttl", "token_explicit_max_ttl", "token_period"]:
        if rng.random() < (0.25 if "explicit" not in f and "period" not in f else 0.06):
            role[f] = rng.choice(SAFE_DURATIONS)
    for f in ["token_policies", "policies"]:
        if rng.random() < 0.4:
            role[f] = rand_list_field(rng, [rng.choice(POLICY_POOL if rng.random() < 0.3 else POLICY_POOL[:4])
                                            for _ in range(rng.randint(0, 4))])
    if rng.random() < 0.2:
        role["token_no_default_policy"] = rng.choice([True, False, "true", 1])
    if rng.random() < 0.3:
        role["token_type"] = rng.choice(["service", "batch", "default"])
    if rng.random() < 0.15 and role.get("token_type") != "batch":
        role["token_num_uses"] = rng.choice([0, 1, 3, "2"])
    if rng.random() < 0.08:
        role[rng.choice(["token_bound_cidrs", "bound_cidrs"])] = rng.choice(["127.0.0.0/8", "10.0.0.0/8", "127.0.0.1,::1"])
    return role


def rand_role(rng, claims):
    role = {}
    # role_type missing means "oidc": a known, intended difference (README), so always set it
    role["role_type"] = "jwt" if rng.random() < 0.97 else rng.choice(["JWT", "Jwt"])
    # bound audiences
    r = rng.random()
    if r < 0.55:
        auds = rng.sample(AUDS, rng.randint(1, 2))
        role["bound_audiences"] = rand_list_field(rng, auds)
    elif r < 0.7:
        role["bound_audiences"] = rng.choice(["", [], None])
    if rng.random() < 0.3:
        sub = claims.get("sub")
        role["bound_subject"] = sub if (isinstance(sub, str) and rng.random() < 0.6) else rng.choice(
            ["system:serviceaccount:default:app", "x", ""])
    keys = claim_keys_and_pointers(claims)
    if rng.random() < 0.5:
        bc = {}
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            k = rng.choice(keys)
            bc[k] = rand_bound_value(rng, get_pointer(claims, k))
        role["bound_claims"] = bc
    r = rng.random()
    if r < 0.3:
        role["bound_claims_type"] = "glob"
    elif r < 0.5:
        role["bound_claims_type"] = "string"
    if rng.random() < 0.35:
        cm = {}
        for _ in range(rng.randint(1, 3)):
            k = rng.choice(keys)
            cm[k] = rng.choice(["ns", "mail", "user", "role", "n", "g", "ü", "sa_name"])
        role["claim_mappings"] = cm
    r = rng.random()
    if r < 0.55:
        role["user_claim"] = "sub"
    elif r < 0.9:
        role["user_claim"] = rng.choice(keys + ["count", "flag", "email", "aud", "groups", "iss", "exp"])
    elif r < 0.95:
        role["user_claim"] = "/kubernetes.io/serviceaccount/name"
    if rng.random() < 0.25:
        role["user_claim_json_pointer"] = rng.choice([True, False, "true", "false", 1, 0])
    if rng.random() < 0.3:
        role["groups_claim"] = rng.choice(["groups", "/groups", "tags", "count", "flag", "email", "missing",
                                           "/kubernetes.io", "/kubernetes.io/namespace", "nested", "/nested/list",
                                           "aud", "", "nullc", "obj", "sub"])
    for lw in ["clock_skew_leeway", "expiration_leeway", "not_before_leeway"]:
        if rng.random() < 0.35:
            role[lw] = rng.choice(LEEWAYS)
    for f in ["token_ttl", "token_max_ttl", "ttl", "max_ttl"]:
        if rng.random() < 0.2:
            role[f] = rng.choice(DURATIONS)
    for f in ["token_explicit_max_ttl", "token_period"]:
        if rng.random() < 0.05:
            role[f] = rng.choice(DURATIONS)
    for f in ["token_policies", "policies"]:
        if rng.random() < 0.4:
            pol = [rng.choice(POLICY_POOL) for _ in range(rng.randint(0, 4))]
            role[f] = rand_list_field(rng, pol)
    if rng.random() < 0.25:
        role["token_no_default_policy"] = rng.choice([True, False, "true", 1])
    if rng.random() < 0.3:
        role["token_type"] = rng.choice(["service", "batch", "default", "service", "batch"])
    if rng.random() < 0.2:
        role["token_num_uses"] = rng.choice([0, 1, 3, 10, "2"])
    if rng.random() < 0.1:
        role["token_bound_cidrs"] = rng.choice(["127.0.0.0/8", "10.0.0.0/8", ["127.0.0.1/32", "::1/128"],
                                                "127.0.0.1", "10.1.2.3/32,127.0.0.0/24", ["192.168.0.0/16"]])
    return role


BAD_MUTATIONS = [
    ("bound_claims_type", ["regex", "GLOB", "", "Glob", 1]),
    ("token_num_uses", [-1, "abc", 1.5, "-2"]),
    ("token_ttl", [-5, "abc", "5x", [1], {"a": 1}, "-1h", 1.5]),
    ("token_max_ttl", [-1, "1y"]),
    ("ttl", ["-10s", "forever"]),
    ("max_ttl", ["bad"]),
    ("bound_audiences", [{"a": 1}, 5, True]),
    ("user_claim", ["", None]),
    ("bound_claims", [{"x": {"y": 1}}, {"x": [{"y": 1}]}, ["a"], 5, "notjson", {"x": None}, {"x": [["a"]]}]),
    ("claim_mappings", [{"a": 1}, {"a": {"b": "c"}}, ["a"], "notjson", {"a": ""}, {"email": "m", "sub": "m"}]),
    ("token_type", ["foo", "Service", "default-service", "default-batch", ""]),
    ("clock_skew_leeway", ["abc", {"x": 1}, 1.5]),
    ("expiration_leeway", ["1y", True]),
    ("not_before_leeway", [[1]]),
    ("token_policies", [5, {"a": "b"}, [1, 2], [["a"]], True]),
    ("policies", [{"a": 1}]),
    ("user_claim_json_pointer", ["maybe", [True], 2]),
    ("token_no_default_policy", ["yes", {"a": 1}]),
    ("token_bound_cidrs", ["not-a-cidr", "300.0.0.0/8", ["10.0.0.0/33"], "10.0.0.1/8"]),
    ("role_type", ["foo"]),
    ("bound_subject", [["a"], {"a": 1}]),
    ("groups_claim", [["a"], {"a": 1}]),
    ("_no_bounds", [None]),
    ("_ttl_gt_max", [None]),
]


def mutate_bad(rng, role):
    field, values = rng.choice(BAD_MUTATIONS)
    v = rng.choice(values)
    if field == "_no_bounds":
        for k in ["bound_audiences", "bound_subject", "bound_claims", "token_bound_cidrs"]:
            role.pop(k, None)
    elif field == "_ttl_gt_max":
        role.pop("ttl", None)
        role.pop("max_ttl", None)
        role["token_ttl"] = rng.choice([7200, "2h", "3h"])
        role["token_max_ttl"] = rng.choice([3600, "1h", "90m"])
    elif v is None:
        role.pop(field, None)
    else:
        role[field] = v
    return field


def rand_config(rng, keys, role_name, key_source=None):
    cfg = {}
    if key_source is not None:  # --remote: {"jwks_url": ...}
        cfg.update(key_source(rng))
    else:
        r = rng.random()
        if r < 0.6:
            cfg["jwt_validation_pubkeys"] = [keys.rsa_pub, keys.ec_pub]
        elif r < 0.75:
            cfg["jwt_validation_pubkeys"] = [keys.ec_pub, keys.rsa_pub]
        elif r < 0.85:
            cfg["jwt_validation_pubkeys"] = [keys.rsa_pub]
        else:
            cfg["jwt_validation_pubkeys"] = [keys.ec_pub]
    if rng.random() < 0.3:
        cfg["bound_issuer"] = rng.choice(ISSUERS + ["", "https://kubernetes.default.svc/"])
    r = rng.random()
    if r < 0.3:
        cfg["jwt_supported_algs"] = rng.choice([["RS256"], ["ES256"], "RS256,ES256", ["RS256", "ES256"], [],
                                                "ES256", ["PS256"], ["RS256", "RS256"], "RS256, ES256",
                                                ["HS256"], ["rs256"], ["none"], ["EdDSA"], ["ES384", "RS512"]])
    if rng.random() < 0.25:
        cfg["default_role"] = rng.choice([role_name, role_name.upper(), "nope", ""])
    return cfg


def time_spec(rng):
    """Offsets (relative to now, seconds) or special values for iat/nbf/exp."""
    spec = {}
    edges = [-361, -301, -300, -299, -211, -210, -209, -151, -150, -149, -91, -90, -89, -61, -60, -59,
             -31, -30, -29, -6, -5, -1, 0, 1, 5, 29, 30, 31, 59, 60, 61, 89, 90, 91, 149, 150, 151, 299, 300, 301]
    for name, base in [("iat", -5), ("nbf", -5), ("exp", 3600)]:
        r = rng.random()
        if r < 0.25:
            continue  # absent
        if r < 0.55:
            spec[name] = ("off", base)
        elif r < 0.85:
            spec[name] = ("off", rng.choice(edges))
        elif r < 0.9:
            spec[name] = ("float", rng.choice(edges + [base]) + rng.choice([0.5, 0.999, 0.001]))
        elif r < 0.94:
            spec[name] = ("str", rng.choice(edges + [base]))
        else:
            spec[name] = ("raw", rng.choice([0, -1, None, True, "abc", 1e20, 99999999999, 1.0]))
    return spec


def materialize_times(claims, spec, now):
    c = dict(claims)
    for name, (kind, v) in spec.items():
        if kind == "off":
            c[name] = now + v
        elif kind == "float":
            c[name] = now + v
        elif kind == "str":
            c[name] = str(now + v)
        else:
            c[name] = v
    return c


# ---------------------------------------------------------------- comparison
def summarize(status, body):
    auth = None
    body = body or {}
    if body.get("auth"):
        auth = {k: body["auth"].get(k) for k in AUTH_FIELDS}
    return [status, body.get("errors"), auth]



def signature(phase, k, b):
    def part(x):
        st, err, auth = x
        if auth is not None:
            return (st, "auth")
        return (st, normalize(err))
    if k[0] == b[0] == 200 and k[2] and b[2]:
        diffs = tuple(sorted(f for f in AUTH_FIELDS if k[2].get(f) != b[2].get(f)))
        return (phase, "auth-fields", diffs)
    return (phase, part(k), part(b))


class Fuzzer:
    def __init__(self, kwi, bao, seed, nmounts=6, remote=False):
        self.kwi, self.bao = kwi, bao
        self.remote = remote
        self.jwks = JwksServer() if remote else None
        self.rng = random.Random(seed)
        self.keys = Keys()
        self.tag = f"fz{seed}x{int(time.time()) % 100000}"
        self.mounts = [f"{self.tag}m{i}" for i in range(nmounts)]
        for m in self.mounts:
            for s in (kwi, bao):
                st, body = s.request("POST", f"sys/auth/{m}", {"type": "jwt"})
                assert st == 204, (s.name, st, body)
        self.stats = defaultdict(int)
        self.outcomes = defaultdict(int)
        self.groups = {}
        self.out = open("mismatches.jsonl", "a")

    def both(self, method, path, body=None, token=ROOT):
        return [summarize(*s.request(method, path, body, token=token)) for s in (self.kwi, self.bao)]

    def record(self, phase, case, k, b, extra=None):
        self.case_mismatch = True
        sig = signature(phase, k, b)
        self.stats["mismatch_" + phase] += 1
        g = self.groups.setdefault(sig, {"count": 0, "examples": []})
        g["count"] += 1
        entry = {"phase": phase, "sig": repr(sig), "case": case, "kwi": k, "bao": b}
        if extra:
            entry.update(extra)
        if len(g["examples"]) < 3:
            g["examples"].append(entry)
        self.out.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        self.out.flush()

    # ------------------------------------------------ --remote helpers
    def key_source(self, n):
        """For rand_config: publishes a fresh random JWKS for case n, returns {"jwks_url": ...}."""
        def source(rng):
            spec = rand_jwks(rng)
            path = f"/{self.tag}/c{n}/jwks"
            doc = jwks_document(self.keys, spec)
            if doc is not None:
                self.jwks.docs[path] = doc
            self.cur_jwks = {"spec": spec, "path": path}
            return {"jwks_url": self.jwks.url(path)}
        return source

    def pick_kid(self, rng, which, coherent):
        entries = self.cur_jwks["spec"].get("entries", [])
        own = next((e.get("kid") for e in entries if e["key"] == which), None)
        others = [e["kid"] for e in entries if e["key"] != which and e.get("kid")]
        if coherent:
            if own:
                return own if rng.random() < 0.85 else rng.choice([None, ""])
            return rng.choice([None, None, ""])
        return rng.choice([None, own, own, rng.choice(others) if others else "k2", "k1", "", "nope"])

    def known(self, name):
        self.stats["known_" + name] += 1

    def known_login_difference(self, role, k, b):
        """Accepted differences (--remote only) that need no recheck."""
        ke, be = (k[1] or [""])[0], (b[1] or [""])[0]
        bc = role.get("bound_claims")
        if (k[0] == b[0] and ke.startswith("error validating claims:") and be.startswith("error validating claims:")
                and "bound claim" in ke and "bound claim" in be and isinstance(bc, dict) and len(bc) > 1):
            return "bound_claims_order"
        return None

    def change_and_login(self, rng, case, attempt, last_fetch):
        """--remote: after a login both servers accepted, change the JWKS and log in again."""
        spec = self.cur_jwks["spec"]
        path = self.cur_jwks["path"]
        entries = spec["entries"]
        present = [e["key"] for e in entries]
        which = case["key"]
        kind = rng.choice(["add", "add", "remove", "outage"])
        new = copy.deepcopy(entries)
        if kind == "add":
            missing = [m for m in ("rsa", "ec", "other") if m not in present]
            if not missing:
                kind = "remove"
            else:
                which = rng.choice(missing)
                e = {"key": which}
                free = [x for x in KID_POOL if x not in {y.get("kid") for y in new}]
                if rng.random() < 0.7:
                    e["kid"] = rng.choice(free)
                if rng.random() < 0.5:
                    e["alg"] = KEY_ALG[which]
                new.insert(rng.randrange(len(new) + 1), e)
                kid = e.get("kid") if rng.random() < 0.85 else None
        if kind == "remove":
            new = [e for e in new if e["key"] != which]
            kid = case["kid"]
        if kind == "outage":
            self.jwks.docs[path] = (500, b"outage\n")
            if rng.random() < 0.5:
                kid = case["kid"]
            else:  # a key the cache does not hold: forces a refetch, which fails
                which = rng.choice([m for m in ("rsa", "ec", "other") if m not in present] or ["other"])
                kid = rng.choice([None, "nope"])
        else:
            self.jwks.docs[path] = jwks_document(self.keys, {"entries": new})
        phase = "login2-" + kind
        c2 = dict(case, change={"kind": kind, "entries": new if kind != "outage" else "500", "key": which, "kid": kid})
        self.stats["changes_" + kind] += 1
        (k, b), full, now = attempt(which, kid)
        if k == b:
            self.stats["login2_match"] += 1
            return
        if kind == "outage" and failed_refetch_text(k, b):
            self.known("failed_refetch_text")
            return
        if self.known_login_difference(case["role"], k, b):
            self.known(self.known_login_difference(case["role"], k, b))
            return
        # kwi refetches at most once per 5 s: once that has passed, the answers must agree
        wait = last_fetch + 5.3 - time.time()
        if wait > 0:
            time.sleep(wait)
        (k2, b2), full2, now2 = attempt(which, kid)
        if k2 == b2 or (kind == "outage" and failed_refetch_text(k2, b2)):
            self.known("refetch_5s")
            return
        c2.update(claims_at_send=full2, now=now2, first_answers={"kwi": k, "bao": b})
        self.record(phase, redact_case(c2), k2, b2, {"after_wait": True})

    def one(self, n):
        rng = self.rng
        mount = rng.choice(self.mounts)
        role_name = f"r{n}"
        claims = rand_claims(rng)
        tspec = time_spec(rng)
        coherent = rng.random() < 0.6
        config = rand_config(rng, self.keys, role_name, self.key_source(n) if self.remote else None)
        if coherent:
            if not isinstance(claims.get("sub"), str) or rng.random() < 0.5:
                claims["sub"] = "system:serviceaccount:default:app"
            role = coherent_role(rng, claims)
            if rng.random() < 0.85:
                tspec = {"iat": ("off", -5), "exp": ("off", rng.choice([3600, 600, 60]))}
                if rng.random() < 0.5:
                    tspec["nbf"] = ("off", -5)
            if "bound_issuer" in config and rng.random() < 0.9 and isinstance(claims.get("iss"), str):
                config["bound_issuer"] = claims["iss"]
        else:
            role = rand_role(rng, claims)
        bad = None
        if rng.random() < 0.15:
            bad = mutate_bad(rng, role)
        case = {"n": n, "coherent": coherent, "mount": mount, "config": config, "role_name": role_name, "role": role,
                "bad_mutation": bad}
        if self.remote:
            case["jwks"] = self.cur_jwks["spec"]
        # config
        k, b = self.both("POST", f"auth/{mount}/config", config)
        self.stats["config_writes"] += 1
        if self.remote and k != b and k[0] == 400 and b[0] == 204 and duplicate_kid(self.cur_jwks["spec"]):
            self.known("duplicate_kid")
            return
        if k != b:
            self.record("config-write", {**case, "config": redact(config)}, k, b)
            return
        if k[0] != 204:
            self.stats["config_refused_both"] += 1
            return
        # role write
        k, b = self.both("POST", f"auth/{mount}/role/{role_name}", role)
        self.stats["role_writes"] += 1
        if k != b:
            self.record("role-write", redact_case(case), k, b)
            self.cleanup(mount, role_name)
            return
        self.stats["role_write_match"] += 1
        if k[0] != 204:
            self.stats["role_refused_both"] += 1
            return
        # role read
        (ks, kb), (bs, bb) = [s.request("GET", f"auth/{mount}/role/{role_name}") for s in (self.kwi, self.bao)]
        kd, bd = (kb or {}).get("data"), (bb or {}).get("data")
        if ks != bs or kd != bd:
            diff = {f: [(kd or {}).get(f), (bd or {}).get(f)] for f in set(kd or {}) | set(bd or {})
                    if (kd or {}).get(f) != (bd or {}).get(f)}
            self.stats["mismatch_role-read"] += 1
            self.case_read_mismatch = True
            sig = ("role-read", tuple(sorted(diff)))
            g = self.groups.setdefault(sig, {"count": 0, "examples": []})
            g["count"] += 1
            if len(g["examples"]) < 3:
                g["examples"].append({"phase": "role-read", "case": redact_case(case), "diff": diff})
        # login
        body = {"jwt": None}
        r = rng.random() if not coherent else 0
        if r < 0.85:
            body["role"] = role_name
        elif r < 0.9:
            body["role"] = role_name.upper()
        elif r < 0.95:
            body["role"] = ""
        which = rng.choices(["rsa", "ec", "other"], [0.55, 0.42, 0.03])[0]
        if coherent and self.remote:
            present = [e["key"] for e in self.cur_jwks["spec"].get("entries", [])]
            algs = config.get("jwt_supported_algs")
            ok = [w for w in ("rsa", "ec", "other") if w in present
                  and (not algs or KEY_ALG[w] in (algs if isinstance(algs, list) else algs))]
            if ok:
                which = rng.choice(ok)
        elif coherent:
            pems = config["jwt_validation_pubkeys"]
            algs = config.get("jwt_supported_algs")
            ok = [w for w, pem in (("rsa", self.keys.rsa_pub), ("ec", self.keys.ec_pub)) if pem in pems
                  and (not algs or ("RS256" if w == "rsa" else "ES256") in (algs if isinstance(algs, list) else algs))]
            if ok:
                which = rng.choice(ok)
        kid = rng.choice([None, None, "k1", ""])
        if self.remote:
            kid = self.pick_kid(rng, which, coherent)
        ensure_ascii = rng.random() < 0.5
        case.update({"claims": claims, "times": tspec, "key": which, "kid": kid,
                     "login": {k2: v for k2, v in body.items() if k2 != "jwt"}})

        def attempt(which=which, kid=kid):
            # keep the whole exchange inside one second, so that edge offsets are exact
            frac = time.time() % 1
            if frac > 0.7:
                time.sleep(1.02 - frac)
            now = int(time.time())
            full = materialize_times(claims, tspec, now)
            token = self.keys.sign(json.dumps(full, ensure_ascii=ensure_ascii), which, kid)
            req = dict(body, jwt=token)
            res = self.both("POST", f"auth/{mount}/login", req, token=None)
            return res, full, now

        (k, b), full, now = attempt()
        self.stats["logins"] += 1
        if coherent:
            self.outcomes[normalize(b[1])[:90] if b[0] != 200 else "OK"] += 1
        if k == b:
            self.stats["login_match"] += 1
            if k[0] == 200:
                self.stats["login_ok_both"] += 1
                if self.remote and rng.random() < 0.12:
                    # the last fetch of kwi was the config write (or a refetch by this login): now at the latest
                    self.change_and_login(rng, case, attempt, time.time())
        elif self.remote and self.known_login_difference(role, k, b):
            self.known(self.known_login_difference(role, k, b))
        else:
            # re-check: is the difference stable (time edges, Go map order)?
            (k2, b2), _, _ = attempt()
            (k3, b3), _, _ = attempt()
            bao_answers = {json.dumps(x, sort_keys=True) for x in (b, b2, b3)}
            kwi_answers = {json.dumps(x, sort_keys=True) for x in (k, k2, k3)}
            if len(bao_answers) > 1 or len(kwi_answers) > 1:
                self.stats["login_unstable"] += 1
                if kwi_answers & bao_answers:
                    self.stats["login_unstable_overlap"] += 1
                    self.cleanup(mount, role_name)
                    return
            case["claims_at_send"] = full
            case["now"] = now
            self.record("login", redact_case(case), k, b,
                        {"stable": len(bao_answers) == 1 and len(kwi_answers) == 1})
        self.cleanup(mount, role_name)

    def cleanup(self, mount, role_name):
        for s in (self.kwi, self.bao):
            s.request("DELETE", f"auth/{mount}/role/{role_name}")


def redact(config):
    c = dict(config)
    if "jwt_validation_pubkeys" in c:
        c["jwt_validation_pubkeys"] = ["<" + ("EC" if "BEGIN PUBLIC KEY" in p and len(p) < 200 else "RSA") + " PEM>"
                                       for p in c["jwt_validation_pubkeys"]]
    return c


def redact_case(case):
    c = dict(case)
    c["config"] = redact(c["config"])
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kwi", required=True)
    ap.add_argument("--bao", required=True)
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-seconds", type=float, default=840)
    ap.add_argument("--remote", action="store_true",
                    help="configure mounts with jwks_url on a loopback JWKS server instead of static keys")
    args = ap.parse_args()
    fz = Fuzzer(Server("kwi", args.kwi), Server("openbao", args.bao), args.seed, remote=args.remote)
    start = time.time()
    n = 0
    for n in range(args.cases):
        fz.case_mismatch = False
        fz.case_read_mismatch = False
        try:
            fz.one(n)
            if not fz.case_mismatch:
                fz.stats["cases_matched_excluding_role_read"] += 1
                if not fz.case_read_mismatch:
                    fz.stats["cases_matched_all"] += 1
        except Exception as e:  # noqa
            fz.stats["exceptions"] += 1
            print("exception", n, repr(e), file=sys.stderr)
        fz.stats["cases"] += 1
        if n % 200 == 0:
            print(f"[{time.time() - start:.0f}s] {n} {dict(fz.stats)}", file=sys.stderr, flush=True)
        if time.time() - start > args.max_seconds:
            break
    elapsed = time.time() - start
    with open("summary.txt", "w") as f:
        f.write(f"cases={fz.stats['cases']} elapsed={elapsed:.0f}s seed={args.seed} remote={args.remote}\n")
        f.write(json.dumps(dict(fz.stats), indent=1) + "\n\n")
        for sig, g in sorted(fz.groups.items(), key=lambda kv: -kv[1]["count"]):
            f.write(f"=== {g['count']}x {sig}\n")
            for ex in g["examples"][:2]:
                f.write(json.dumps(ex, ensure_ascii=False, default=str) + "\n")
            f.write("\n")
    print(json.dumps(dict(fz.stats), indent=1))
    print(f"{len(fz.groups)} mismatch groups; see summary.txt")
    for k, v in sorted(fz.outcomes.items(), key=lambda kv: -kv[1])[:25]:
        print(v, k)


if __name__ == "__main__":
    main()
