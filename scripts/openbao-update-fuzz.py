#!/usr/bin/env python3
"""Differential fuzzer for role *updates*: kwi serve vs OpenBao JWT auth.

Usage:
  python3 scripts/openbao-update-fuzz.py --kwi http://127.0.0.1:18600 --bao http://127.0.0.1:18500 \
      --cases 500 --seed 1 [--out /tmp/upd/mismatches.jsonl] [--no-minimize]

For each case: a fresh role name and a sequence of 2-4 writes to it, each a random subset of the
role fields with mostly valid values (sometimes null, "", [], wrong types, numbers as strings,
comma strings). After EACH write both servers are compared on the write's status, `errors` and
`warnings`, then on a read of the role (status and the full `data`). A case stops at its first
difference (the servers' roles may then differ). Differences are grouped by a normalized
signature; each group's shortest example is then shrunk (writes, then fields, dropped while the
same signature reproduces on a fresh role) and printed as a minimal reproduction. Every
difference is appended, as JSON, to --out.

Known, accepted differences (not reported):
 1. a write whose role_type is absent, null, "" or "oidc" (an OIDC role for OpenBao): kwi must
    answer 400, nothing else is compared and the case stops there;
 2. two 400s whose errors both start with "error converting input for field" (which field is
    named depends on Go's map order), or are both about claim_mappings' reserved/duplicate
    targets, or both start with "claim is not a string".
"""

import argparse
import json
import random
import re
import sys
import time
from collections import defaultdict

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from openbao_fuzz_common import Server, normalize


# ---------------------------------------------------------------- value generation
AUDS = ["vault", "api", "https://vault.example", "Vault", "x", " y ", "a,b"]
POLICIES = ["default", "Default", "dev", "ops", " dev", "ops ", "root", "x-y", "DEV", "p1", ""]
CIDRS = ["127.0.0.0/8", "10.0.0.0/8", "127.0.0.1", "::1", "10.1.2.3/32", "192.168.0.0/16",
         "127.0.0.1/32", "fe80::1/64"]
BAD_CIDRS = ["not-a-cidr", "300.0.0.0/8", "10.0.0.0/33", "abc"]
CLAIMS = ["sub", "email", "groups", "/kubernetes.io/namespace", "aud", "iss", "name", "/a~1b", "ns"]
TARGETS = ["ns", "mail", "user", "g", "n", "sa", "role", "ns", "mail"]
DURATIONS = [0, 1, 30, 60, 600, 3600, 7200, 86400, 2764800, 3000000,
             "0", "30", "3600", "30s", "10m", "1h", "1h30m", "90m", "24h", "7d", "768h", "800h",
             "1000h", "100ms", "1.5h", "2h45m10s"]
LEEWAYS = [-1, 0, 1, 5, 30, 60, 150, 300, "-1", "0", "5m", "10s", "1m30s", -100, "-5m", "-1h"]


def comma(rng, items):
    r = rng.random()
    if r < 0.5:
        return list(items)
    if r < 0.75:
        return ",".join(items)
    if r < 0.85:
        return ", ".join(items)
    if r < 0.93:
        return ",".join(items) + ","
    return list(items) + [""]


def odd(rng, kind):
    """An unusual value: null, empty, wrong type, number as string..."""
    common = [None, "", [], {}, True, False, 0, 5, -1, 1.5, "abc", ["a"], {"a": 1}, [1, 2], [["a"]],
              [None], "null", 1e20, 2 ** 63, "0x10", " ", [True], [{"a": "b"}]]
    extra = {
        "string": ["1", 7, 7.0, True],
        "list": [5, 7.5, True, "a,,b", " a , b ", ",", [1, "x"], {"a": "b"}, ["a", None]],
        "duration": ["1y", "-1h", "5x", "-10s", "1h ", "+30", "1e3", 1e3, -5, "1.5", 3.7, "0.5s",
                     "9223372036854775807", 9223372036854775807, "3600s", "2d", True, [30]],
        "leeway": ["1y", "5x", "-0", -0.5, 2.5, "1.5", "-1.5m", True, [30]],
        "int": ["2", "-2", "abc", 1.5, "1.5", "0o17", "1_000", "  3", True, [1], "+4", "0b11",
                99999999999999999999, "-0"],
        "bool": ["true", "false", "1", "0", "t", "F", "yes", "maybe", 1, 0, 2, "TRUE", [True]],
        "map": ["notjson", '{"a":"b"}', [{"a": "b"}, {"c": "d"}], [{"a": "b"}, None], {"x": None},
                {"x": {"y": 1}}, {"x": [["a"]]}, {"x": [{"y": 1}]}, 5, ["a"]],
        "kv": ["a=b", "a=b,c=d", ["a=b", "c=d"], ["a"], "=b", "a=", {"a": 1}, {"a": ""},
               {"a": {"b": "c"}}, {"a": ["x"]}, {"a": None}, {"a": True}, [{"a": "b"}],
               {"email": "m", "sub": "m"}, {"sub": "role"}, "notjson", ["a=b=c"], {"a": 1.5}],
    }[kind]
    return rng.choice(common + extra * 2)


def gen_string(rng, valid):
    return lambda: rng.choice(valid) if rng.random() < 0.75 else odd(rng, "string")


class Gen:
    def __init__(self, rng, good=0.72):
        self.rng = rng
        self.good = good

    def value(self, field):
        rng = self.rng
        good = rng.random() < self.good
        if field == "role_type":
            r = rng.random()
            return "jwt" if r < 0.85 else rng.choice(["oidc", "JWT", "foo", "", None, 1, "Jwt"])
        if field == "bound_audiences":
            return comma(rng, rng.sample(AUDS, rng.randint(1, 3))) if good else odd(rng, "list")
        if field in ("token_policies", "policies"):
            return comma(rng, [rng.choice(POLICIES) for _ in range(rng.randint(0, 4))]) if good else odd(rng, "list")
        if field in ("token_bound_cidrs", "bound_cidrs"):
            if good:
                pool = CIDRS if rng.random() < 0.9 else CIDRS + BAD_CIDRS
                return comma(rng, rng.sample(pool, rng.randint(1, 2)))
            return odd(rng, "list")
        if field == "bound_subject":
            return rng.choice(["system:serviceaccount:default:app", "x", "s", "ü"]) if good else odd(rng, "string")
        if field == "bound_claims":
            if good:
                bc = {}
                for _ in range(rng.choice([1, 1, 2, 3])):
                    bc[rng.choice(CLAIMS)] = rng.choice(
                        ["default", "prod*", "a", ["x", "y*"], 7, True, [], "", ["a", 1], 1.5, "*"])
                return bc
            return odd(rng, "map")
        if field == "bound_claims_type":
            return rng.choice(["string", "glob"]) if good else rng.choice(
                ["", None, "GLOB", "regex", 1, ["glob"], "Glob", " glob"])
        if field == "claim_mappings":
            if good:
                return {rng.choice(CLAIMS): rng.choice(TARGETS) for _ in range(rng.randint(1, 3))}
            return odd(rng, "kv")
        if field in ("user_claim", "groups_claim"):
            if good:
                return rng.choice(CLAIMS + ["/groups", "/kubernetes.io/serviceaccount/name"])
            return odd(rng, "string")
        if field == "user_claim_json_pointer" or field == "token_no_default_policy":
            return rng.choice([True, False]) if good else odd(rng, "bool")
        if field in ("clock_skew_leeway", "expiration_leeway", "not_before_leeway"):
            return rng.choice(LEEWAYS) if good else odd(rng, "leeway")
        if field in ("token_ttl", "token_max_ttl", "token_explicit_max_ttl", "token_period",
                     "ttl", "max_ttl", "period"):
            return rng.choice(DURATIONS) if good else odd(rng, "duration")
        if field == "token_type":
            return rng.choice(["service", "batch", "default", "default", "service"]) if good else rng.choice(
                ["", None, "foo", "Service", "default-service", "default-batch", 1, ["batch"]])
        if field in ("token_num_uses", "num_uses"):
            return rng.choice([0, 1, 3, 10, "2"]) if good else odd(rng, "int")
        raise KeyError(field)


FIELDS = ["role_type", "bound_audiences", "bound_subject", "bound_claims", "bound_claims_type",
          "claim_mappings", "user_claim", "user_claim_json_pointer", "groups_claim",
          "clock_skew_leeway", "expiration_leeway", "not_before_leeway", "token_ttl", "token_max_ttl",
          "token_explicit_max_ttl", "token_period", "token_policies", "token_no_default_policy",
          "token_type", "token_num_uses", "token_bound_cidrs", "policies", "bound_cidrs", "num_uses",
          "ttl", "max_ttl", "period"]
DEPRECATED = {"policies": "token_policies", "bound_cidrs": "token_bound_cidrs", "num_uses": "token_num_uses",
              "ttl": "token_ttl", "max_ttl": "token_max_ttl", "period": "token_period"}
# weights: the deprecated pairs and the defaults-on-update fields get picked more
WEIGHTS = {f: 1.0 for f in FIELDS}
WEIGHTS.update({"bound_claims_type": 1.6, "bound_claims": 1.4, "token_ttl": 1.3, "token_max_ttl": 1.3,
                "ttl": 1.4, "max_ttl": 1.4, "policies": 1.4, "token_policies": 1.3, "token_period": 0.8,
                "period": 0.8, "token_explicit_max_ttl": 0.7, "num_uses": 1.2, "token_num_uses": 1.1,
                "bound_cidrs": 1.0, "token_bound_cidrs": 0.9})


DURATION_FIELDS = {"token_ttl", "token_max_ttl", "token_explicit_max_ttl", "token_period", "ttl", "max_ttl",
                   "period", "clock_skew_leeway", "expiration_leeway", "not_before_leeway"}
MAX_SECONDS = 9223372036  # OpenBao's parseutil: more seconds than this overflow a time.Duration


def overflows(v):
    """A duration OpenBao refuses with "multiplication of durations resulted in overflow"."""
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return abs(v) > MAX_SECONDS
    if isinstance(v, str):
        m = re.fullmatch(r"\s*[-+]?(\d+)(d?)\s*", v)
        return bool(m) and int(m.group(1)) * (86400 if m.group(2) else 1) > MAX_SECONDS
    return False


def skip_known(body):
    """--skip-known: leave out what triggers the differences already found, to look past them."""
    for f in list(body):
        if f in DURATION_FIELDS and overflows(body[f]):
            del body[f]
    if "bound_cidrs" in body and "token_bound_cidrs" in body:
        del body["bound_cidrs"]
    for f in ("bound_cidrs", "token_bound_cidrs"):
        v = body.get(f)
        items = v if isinstance(v, list) else v.split(",") if isinstance(v, str) else []
        if any(isinstance(x, str) and x.strip() in BAD_CIDRS for x in items):
            del body[f]
    return body


def rand_write(rng, gen, first):
    body = {}
    if first and rng.random() < 0.85:
        # a valid base, so that later writes are updates of an existing role
        body["role_type"] = "jwt"
        body["user_claim"] = rng.choice(["sub", "email", "/kubernetes.io/namespace"])
        which = rng.choice(["bound_audiences", "bound_subject", "bound_claims"])
        body[which] = {"bound_audiences": ["vault"], "bound_subject": "s", "bound_claims": {"sub": "a*"}}[which]
        extra = rng.randint(0, 6)
    else:
        extra = rng.randint(1, 6)
        r = rng.random()
        if r < 0.85:
            body["role_type"] = "jwt"
        elif r < 0.93:
            body["role_type"] = gen.value("role_type")
        # else: absent
    others = [f for f in FIELDS if f != "role_type"]
    picks = set()
    while len(picks) < extra:
        picks.add(rng.choices(others, [WEIGHTS[f] for f in others])[0])
    for f in sorted(picks, key=FIELDS.index):
        body[f] = gen.value(f)
        # often write a deprecated field together with (or instead of) its current name
        if f in DEPRECATED and rng.random() < 0.3:
            body[DEPRECATED[f]] = gen.value(DEPRECATED[f])
    if rng.random() < 0.08:
        body[rng.choice(others)] = None
    return body


# ---------------------------------------------------------------- comparison
def is_rule1(body):
    """A write that makes an OIDC role for OpenBao (role_type absent, null, "" or "oidc")."""
    return body.get("role_type", None) in (None, "", "oidc")


CONVERT = "error converting input for field"
CLAIM_MAP = re.compile(r"is reserved and may not be a mapping destination|multiple keys are mapped to metadata key")


def equivalent_errors(k, b):
    """Accepted difference 2: two 400s whose errors differ only by Go map order."""
    if k["status"] != 400 or b["status"] != 400:
        return False
    ke, be = " ".join(k["errors"] or []), " ".join(b["errors"] or [])
    if ke.startswith(CONVERT) and be.startswith(CONVERT):
        return True
    if CLAIM_MAP.search(ke) and CLAIM_MAP.search(be):
        return True
    if ke.startswith("claim is not a string") and be.startswith("claim is not a string"):
        return True
    return False


def answer(status, body):
    body = body or {}
    return {"status": status, "errors": body.get("errors"), "warnings": body.get("warnings") or None}



class Runner:
    def __init__(self, kwi, bao, mount):
        self.kwi, self.bao, self.mount = kwi, bao, mount
        self.n = 0
        self.stats = defaultdict(int)

    def fresh(self, prefix):
        self.n += 1
        return f"{prefix}{self.n}"

    def step(self, role, body):
        """One write plus a read on both servers; (signature, detail) of a difference, or
        ("rule1", None) when the case must stop, or (None, None)."""
        path = f"auth/{self.mount}/role/{role}"
        k = answer(*self.kwi.request("POST", path, body))
        b = answer(*self.bao.request("POST", path, body))
        if is_rule1(body):
            if k["status"] == 400:
                return "rule1", None
            return ("rule1-kwi-not-400", k["status"], b["status"]), {"kwi": k, "bao": b}
        if k != b and equivalent_errors(k, b):
            self.stats["writes_400_equivalent_rule2"] += 1
        elif k == b:
            self.stats["writes_ok_both" if k["status"] < 300 else "writes_refused_both"] += 1
        if k != b and not equivalent_errors(k, b):
            if k["status"] != b["status"] or k["errors"] != b["errors"]:
                sig = ("write", k["status"], b["status"], normalize(k["errors"]), normalize(b["errors"]))
            else:
                sig = ("write-warnings", k["status"], normalize(k["warnings"]), normalize(b["warnings"]))
            return sig, {"kwi": k, "bao": b}
        # read back (also after a write both refused: the role must be unchanged)
        ks, kb = self.kwi.request("GET", path)
        bs, bb = self.bao.request("GET", path)
        kd, bd = (kb or {}).get("data"), (bb or {}).get("data")
        if ks != bs or kd != bd:
            kd, bd = kd or {}, bd or {}
            diff = {f: {"kwi": kd.get(f, "<absent>"), "bao": bd.get(f, "<absent>")}
                    for f in sorted(set(kd) | set(bd)) if kd.get(f, "<absent>") != bd.get(f, "<absent>")}
            sig = ("read", k["status"], ks, bs, tuple(diff))
            return sig, {"write": {"kwi": k, "bao": b}, "read_status": [ks, bs], "diff": diff}
        return None, None

    def run(self, writes, prefix="c"):
        """Replays a write sequence on a fresh role; returns (index, signature, detail) of the
        first difference, or None."""
        role = self.fresh(prefix)
        try:
            for i, body in enumerate(writes):
                sig, detail = self.step(role, body)
                if sig == "rule1":
                    return (i, "rule1", None)
                if sig is not None:
                    return (i, sig, detail)
            return None
        finally:
            for s in (self.kwi, self.bao):
                s.request("DELETE", f"auth/{self.mount}/role/{role}")


def size(writes):
    return (len(writes), sum(len(w) for w in writes), len(json.dumps(writes)))


def minimize(runner, writes, sig, budget=400):
    """Greedy shrinking: drop writes, then fields, while the same signature reproduces."""
    tries = [0]

    def same(ws):
        if tries[0] >= budget:
            return None
        tries[0] += 1
        r = runner.run(ws, prefix="m")
        if r and r[1] == sig:
            return ws[: r[0] + 1]
        return None

    cur = list(writes)
    changed = True
    while changed:
        changed = False
        for i in range(len(cur) - 1, -1, -1):
            if len(cur) == 1 or i >= len(cur):
                continue
            cand = cur[:i] + cur[i + 1:]
            got = same(cand)
            if got is not None:
                cur, changed = got, True
        for i in range(len(cur)):
            for f in list(cur[i]):
                if i >= len(cur) or f not in cur[i]:
                    continue
                w = dict(cur[i])
                del w[f]
                got = same(cur[:i] + [w] + cur[i + 1:])
                if got is not None:
                    cur, changed = got, True
    # confirm it is stable
    stable = all((r := runner.run(cur, prefix="v")) and r[1] == sig for _ in range(3))
    final = runner.run(cur, prefix="v")
    return cur, stable, (final[2] if final else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kwi", required=True)
    ap.add_argument("--bao", required=True)
    ap.add_argument("--cases", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="/tmp/upd/mismatches.jsonl")
    ap.add_argument("--no-minimize", action="store_true")
    ap.add_argument("--good", type=float, default=0.72, help="share of field values drawn from the valid pools")
    ap.add_argument("--skip-known", action="store_true",
                    help="avoid the inputs of the differences already found (huge durations, bound_cidrs "
                         "given with token_bound_cidrs, CIDRs read as UNIX sockets)")
    args = ap.parse_args()

    kwi, bao = Server("kwi", args.kwi), Server("openbao", args.bao)
    rng = random.Random(args.seed)
    gen = Gen(rng, args.good)
    mount = f"upd{args.seed}t{int(time.time() * 1000) % 10_000_000}"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    for s in (kwi, bao):
        st, body = s.request("POST", f"sys/auth/{mount}", {"type": "jwt"})
        assert st in (200, 204), (s.name, st, body)
        st, body = s.request("POST", f"auth/{mount}/config", {"jwt_validation_pubkeys": [pem]})
        assert st in (200, 204), (s.name, st, body)
    runner = Runner(kwi, bao, mount)

    stats = defaultdict(int)
    groups = {}
    out = open(args.out, "a")
    start = time.time()
    for n in range(args.cases):
        writes = [rand_write(rng, gen, i == 0) for i in range(rng.randint(2, 4))]
        if args.skip_known:
            writes = [skip_known(w) for w in writes]
        try:
            r = runner.run(writes, prefix=f"s{args.seed}c")
        except Exception as e:  # noqa: BLE001
            stats["exceptions"] += 1
            print("exception", n, repr(e), file=sys.stderr)
            continue
        stats["cases"] += 1
        if n % 100 == 0:
            print(f"[{time.time() - start:.0f}s] {n} {dict(stats)} groups={len(groups)}", file=sys.stderr, flush=True)
        if r is None:
            stats["writes"] += len(writes)
            stats["cases_all_match"] += 1
            continue
        i, sig, detail = r
        stats["writes"] += i + 1
        if sig == "rule1":
            stats["cases_stopped_rule1"] += 1
            continue
        stats["cases_mismatch"] += 1
        seq = writes[: i + 1]
        entry = {"seed": args.seed, "case": n, "sig": repr(sig), "writes": seq, "detail": detail}
        out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        out.flush()
        g = groups.setdefault(sig, {"count": 0, "best": None})
        g["count"] += 1
        if g["best"] is None or size(seq) < size(g["best"]["writes"]):
            g["best"] = entry

    stats.update({f"{k} (incl. shrinking)": v for k, v in runner.stats.items()})
    print(json.dumps(dict(stats), indent=1))
    print(f"{len(groups)} mismatch groups (seed {args.seed}, {time.time() - start:.0f}s)\n")
    for sig, g in sorted(groups.items(), key=lambda kv: -kv[1]["count"]):
        best = g["best"]
        writes, stable, detail = best["writes"], None, best["detail"]
        if not args.no_minimize:
            writes, stable, detail = minimize(runner, best["writes"], sig)
        print(f"=== {g['count']}x {sig}")
        print(f"  minimal ({'stable' if stable else 'NOT confirmed stable' if stable is False else 'not minimized'}):")
        for w in writes:
            print("   POST role", json.dumps(w, ensure_ascii=False))
        print("  answers:", json.dumps(detail, ensure_ascii=False))
        print()
        out.write(json.dumps({"seed": args.seed, "group": repr(sig), "count": g["count"],
                              "minimal": writes, "stable": stable, "detail": detail},
                             ensure_ascii=False) + "\n")
    out.close()


if __name__ == "__main__":
    main()
