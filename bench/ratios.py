#!/usr/bin/env python3
"""Prints the ratios DESIGN.md sets targets for, from criterion's estimates of the last run.

Usage: cargo bench -p kwi-jose --bench tokens && python3 bench/ratios.py
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "target" / "criterion"


def mean_ns(group: str, name: str) -> float:
    path = ROOT / group / name / "new" / "estimates.json"
    return json.loads(path.read_text())["mean"]["point_estimate"]


def main() -> int:
    rows = []
    ok = True
    for key in ["RS256-2048", "ES256"]:
        group = f"verify_{key}"
        raw, kwi, jwt = (mean_ns(group, n) for n in ["raw aws-lc-rs", "kwi", "jsonwebtoken"])
        vs_raw, vs_jwt = raw / kwi, jwt / kwi
        ok &= vs_raw >= 0.90 and vs_jwt >= 1.2
        rows.append(f"| verify {key} | {1e9 / raw:,.0f}/s | {1e9 / kwi:,.0f}/s | {1e9 / jwt:,.0f}/s | {vs_raw:.3f} (≥ 0.90) | {vs_jwt:.2f} (≥ 1.2) |")
    for key in ["RS256-2048", "ES256"]:
        group = f"mint_{key}"
        raw, kwi = mean_ns(group, "raw aws-lc-rs"), mean_ns(group, "kwi")
        rows.append(f"| mint {key} | {1e9 / raw:,.0f}/s | {1e9 / kwi:,.0f}/s | | {raw / kwi:.3f} | |")
    print("| what | raw aws-lc-rs | kwi | jsonwebtoken | kwi / raw | kwi / jsonwebtoken |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
