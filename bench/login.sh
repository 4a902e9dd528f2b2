#!/usr/bin/env bash
# POST /v1/auth/<mount>/login throughput: kwi serve against OpenBao's dev server, same machine,
# same config and role, the same 10,000 distinct valid RS256 tokens cycled by the same load
# generator (wrk, Debian's package) on loopback. Prints logins/s, latency, errors and peak RSS of
# each, and the ratios DESIGN.md sets targets for.
#
#   bench/login.sh [DURATION_SECONDS=20] [CONNECTIONS=32]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20}
connections=${2:-32}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
for tool in wrk:wrk ss:iproute2; do
  command -v "${tool%%:*}" >/dev/null || { $sudo apt-get update -qq; $sudo apt-get install -y -qq "${tool##*:}" >/dev/null; }
done
scripts/install-test-deps >/dev/null
. scripts/pip-path.sh
cargo build -q --release -p kwi
kwi=target/release/kwi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
kwi_port=$(free_port); bao_port=$(free_port)
"$kwi" serve --dev --dev-root-token-id root --listen "127.0.0.1:$kwi_port" --data-dir "$work/kwi-data" 2>"$work/kwi.log" &
kwi_pid=$!
HOME="$work" bao server -dev -dev-root-token-id=root -dev-listen-address="127.0.0.1:$bao_port" >"$work/bao.log" 2>&1 &
bao_pid=$!
for port in "$kwi_port" "$bao_port"; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v1/sys/health" >/dev/null && break; sleep 0.1; done
done
# The pip-installed bao is a wrapper around the Go binary: measure whoever listens on the port.
listener_pid() { ss -ltnpH "sport = :$1" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }
bao_real_pid=$(listener_pid "$bao_port")
kwi_pid=$(listener_pid "$kwi_port")

"$kwi" keys generate --out "$work/sa.key" --public-out "$work/sa.pub" 2>/dev/null
for port in "$kwi_port" "$bao_port"; do
  export VAULT_ADDR="http://127.0.0.1:$port" VAULT_TOKEN=root BAO_ADDR="http://127.0.0.1:$port" BAO_TOKEN=root
  bao auth enable jwt >/dev/null
  bao write auth/jwt/config jwt_validation_pubkeys=@"$work/sa.pub" >/dev/null
  echo '{"role_type":"jwt","bound_audiences":"vault","user_claim":"sub","bound_claims_type":"glob",
         "bound_claims":{"sub":"system:serviceaccount:bench:*"},"policies":"default","ttl":"1h"}' \
    | bao write auth/jwt/role/bench - >/dev/null
done

echo "making 10000 distinct tokens…"
python3 - "$work" <<'PY'
import json, subprocess, sys, time
from pathlib import Path
from joserfc import jwt
from joserfc.jwk import RSAKey
work = Path(sys.argv[1])
key = RSAKey.import_key((work / "sa.key").read_text())
kid = subprocess.run(["target/release/kwi", "keys", "kid", work / "sa.key"], capture_output=True, text=True, check=True).stdout.strip()
now = int(time.time())
with open(work / "tokens.txt", "w") as out:
    for i in range(10000):
        claims = {"iss": "https://kubernetes.default.svc", "sub": f"system:serviceaccount:bench:sa-{i}", "aud": ["vault"],
                  "iat": now, "nbf": now, "exp": now + 3600, "jti": f"jti-{i}",
                  "kubernetes.io": {"namespace": "bench", "serviceaccount": {"name": f"sa-{i}", "uid": f"uid-{i}"}}}
        out.write(jwt.encode({"alg": "RS256", "kid": kid}, claims, key) + "\n")
PY

# Each thread formats its 10,000 requests once; no per-request Lua (a `response` callback would
# make wrk hand every answer to Lua). wrk counts answers with status >= 400 as errors itself.
cat > "$work/login.lua" <<'LUA'
local requests = {}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
init = function()
  for line in io.lines(os.getenv("TOKENS")) do
    requests[#requests + 1] = wrk.format(nil, "/v1/auth/jwt/login", nil, '{"role":"bench","jwt":"' .. line .. '"}')
  end
end
request = function()
  i = i % #requests + 1
  return requests[i]
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.1f %.3f %.3f %d %d\n", summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, 0))
end
LUA

peak_rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
# CPU time (user + system, all threads) the server has used so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() { # name port pid
  local before after
  before=$(cpu_ticks "$3")
  TOKENS="$work/tokens.txt" wrk -t2 -c"$connections" -d"${duration}s" -s "$work/login.lua" "http://127.0.0.1:$2" \
    | awk '/^RESULT/ {print}' > "$work/$1.result"
  after=$(cpu_ticks "$3")
  read -r _ requests rps p50 p99 errors _ < "$work/$1.result"
  rss=$(peak_rss_kb "$3")
  # Microseconds of the server's CPU per login: what it costs whatever the machine's cores.
  cpu_us=$(( (after - before) * 1000000 / $(getconf CLK_TCK) / (requests > 0 ? requests : 1) ))
  cores=$(python3 -c "print(f'{($after - $before) / $(getconf CLK_TCK) / $duration:.2f}')")
  echo "$1 $rps $p50 $p99 $errors $rss $cpu_us $cores"
}
# Warm both up, then measure OpenBao first and kwi second (each alone on the machine).
TOKENS="$work/tokens.txt" wrk -t1 -c4 -d2s -s "$work/login.lua" "http://127.0.0.1:$bao_port" >/dev/null
TOKENS="$work/tokens.txt" wrk -t1 -c4 -d2s -s "$work/login.lua" "http://127.0.0.1:$kwi_port" >/dev/null
read -r _ bao_rps bao_p50 bao_p99 bao_err bao_rss bao_cpu bao_cores <<<"$(run openbao "$bao_port" "$bao_real_pid")"
read -r _ kwi_rps kwi_p50 kwi_p99 kwi_err kwi_rss kwi_cpu kwi_cores <<<"$(run kwi "$kwi_port" "$kwi_pid")"

printf '| server | logins/s | p50 ms | p99 ms | errors | peak RSS | CPU per login | cores used |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n'
printf '| OpenBao %s dev | %.0f | %s | %s | %s | %d MiB | %d µs | %s |\n' "$(bao version | awk '{print $2}')" "$bao_rps" "$bao_p50" "$bao_p99" "$bao_err" $((bao_rss / 1024)) "$bao_cpu" "$bao_cores"
printf '| kwi serve | %.0f | %s | %s | %s | %d MiB | %d µs | %s |\n' "$kwi_rps" "$kwi_p50" "$kwi_p99" "$kwi_err" $((kwi_rss / 1024)) "$kwi_cpu" "$kwi_cores"
python3 - "$kwi_rps" "$bao_rps" "$kwi_rss" "$bao_rss" "$kwi_err" "$kwi_cpu" "$bao_cpu" <<'PY'
import sys
k, b, kr, br, ke, kc, bc = map(float, sys.argv[1:])
print(f"throughput kwi/OpenBao: {k / b:.1f}x (target >= 15x); RSS kwi/OpenBao: {kr / br:.2f} (target <= 0.2); kwi errors: {int(ke)} (target 0)")
print(f"CPU per login OpenBao/kwi: {bc / kc:.1f}x (the same comparison without the load generator's share of the cores)")
PY
