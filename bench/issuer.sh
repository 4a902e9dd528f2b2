#!/usr/bin/env bash
# GET throughput of an issuer's JWKS: `kwi issuer serve` against nginx (Debian's package) serving
# the same files with the same headers, each pinned to CPU 1 (`taskset -c 1`), the load generator
# (wrk, Debian's package) pinned to CPU 0, keep-alive connections, over HTTP and over HTTPS (the
# same ECDSA P-256 certificate, TLS 1.3). Both keep their default per-request access log (kwi's
# JSON lines, nginx's combined format), written to files. Measured in alternating rounds; prints
# requests/s of each, errors, CPU time per request (from /proc, robust to a busy machine), and
# kwi / nginx (DESIGN.md's target: >= 1.0 on both).
#
#   bench/issuer.sh [DURATION_SECONDS=10] [CONNECTIONS=64] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-64}
rounds=${3:-3}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
for tool in wrk:wrk nginx:nginx-light taskset:util-linux openssl:openssl; do
  command -v "${tool%%:*}" >/dev/null || { $sudo apt-get update -qq; $sudo apt-get install -y -qq "${tool##*:}" >/dev/null; }
done
[ "$(nproc)" -ge 2 ] || { echo "bench/issuer.sh needs two CPUs (server on one, load on the other)" >&2; exit 2; }
cargo build -q --release -p kwi
kwi=$PWD/target/release/kwi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
"$kwi" keys generate --out "$work/sa.key" --public-out "$work/sa.pub" 2>/dev/null
"$kwi" issuer build --issuer https://oidc.example.com/c1 --key "$work/sa.pub" --out "$work/site" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/tls.key" -out "$work/tls.crt" \
  -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -days 1 2>/dev/null

chmod -R a+rX "$work"  # nginx workers run as nobody when started by root
nginx_http=$(free_port); nginx_https=$(free_port); kwi_http=$(free_port); kwi_https=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log $work/nginx/access.log;
  keepalive_requests 100000000;
  keepalive_timeout 75s;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$nginx_http;
    listen 127.0.0.1:$nginx_https ssl;
    ssl_certificate $work/tls.crt;
    ssl_certificate_key $work/tls.key;
    ssl_protocols TLSv1.3;
    location = /c1/.well-known/openid-configuration {
      alias $work/site/.well-known/openid-configuration;
      default_type application/json;
      add_header Cache-Control "public, max-age=3600";
      add_header Access-Control-Allow-Origin *;
    }
    location = /c1/openid/v1/jwks {
      alias $work/site/openid/v1/jwks;
      default_type application/jwk-set+json;
      add_header Cache-Control "public, max-age=3600";
      add_header Access-Control-Allow-Origin *;
    }
  }
}
CONF
taskset -c 1 nginx -c "$work/nginx.conf" &
nginx_pid=$!
taskset -c 1 "$kwi" issuer serve --site "$work/site" --listen "127.0.0.1:$kwi_http" 2>"$work/kwi-http.log" &
kwi_http_pid=$!
taskset -c 1 "$kwi" issuer serve --site "$work/site" --listen "127.0.0.1:$kwi_https" \
  --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" 2>"$work/kwi-https.log" &
kwi_https_pid=$!
for url in "http://127.0.0.1:$nginx_http" "http://127.0.0.1:$kwi_http" "https://127.0.0.1:$nginx_https" "https://127.0.0.1:$kwi_https"; do
  for _ in $(seq 100); do curl -skf "$url/c1/openid/v1/jwks" >/dev/null && break; sleep 0.1; done
  curl -skf "$url/c1/openid/v1/jwks" | cmp -s - "$work/site/openid/v1/jwks" || { echo "$url does not serve the JWKS" >&2; exit 1; }
done

# CPU time (user + system, clock ticks) of a process and its children threads and workers.
cpu_ticks() {
  local total=0 pid
  for pid in "$@" $(pgrep -P "$1" || true); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
hz=$(getconf CLK_TCK)

# One wrk run against URL while measuring the server PID's CPU: prints "requests/s errors
# cpu-microseconds-per-request". CPU per request does not depend on how much of CPU 1 the
# server got, so it holds on a busy machine where requests/s swings.
measure() {
  local out before after
  before=$(cpu_ticks "$2")
  out=$(taskset -c 0 wrk -t1 -c"$connections" -d"${duration}s" "$1/c1/openid/v1/jwks")
  after=$(cpu_ticks "$2")
  local rps errors requests
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  errors=$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",",""); n+=$4+$6+$8+$10} END {print n+0}' <<<"$out")
  echo "$rps $errors $(echo "($after - $before) * 1000000 / $hz / $requests" | bc -l)"
}

declare -A total
echo "kwi issuer serve vs nginx $(nginx -v 2>&1 | cut -d/ -f2), JWKS $(wc -c <"$work/site/openid/v1/jwks") bytes, ${connections} keep-alive connections, ${duration}s x ${rounds} rounds"
for round in $(seq "$rounds"); do
  for scheme in http https; do
    if [ "$scheme" = http ]; then n="http://127.0.0.1:$nginx_http"; k="http://127.0.0.1:$kwi_http"; kpid=$kwi_http_pid
    else n="https://127.0.0.1:$nginx_https"; k="https://127.0.0.1:$kwi_https"; kpid=$kwi_https_pid; fi
    read -r nrps nerr ncpu < <(measure "$n" "$nginx_pid")
    read -r krps kerr kcpu < <(measure "$k" "$kpid")
    printf '%-5s round %d: nginx %7.0f req/s %5.1f µs CPU/req (%s errors)  kwi %7.0f req/s %5.1f µs CPU/req (%s errors)  kwi/nginx %.2f req/s, %.2f CPU/req\n' \
      "$scheme" "$round" "$nrps" "$ncpu" "$nerr" "$krps" "$kcpu" "$kerr" "$(echo "$krps / $nrps" | bc -l)" "$(echo "$kcpu / $ncpu" | bc -l)"
    total[$scheme-n]=$(echo "${total[$scheme-n]:-0} + $nrps" | bc -l)
    total[$scheme-k]=$(echo "${total[$scheme-k]:-0} + $krps" | bc -l)
    total[$scheme-nc]=$(echo "${total[$scheme-nc]:-0} + $ncpu" | bc -l)
    total[$scheme-kc]=$(echo "${total[$scheme-kc]:-0} + $kcpu" | bc -l)
  done
done
for scheme in http https; do
  printf '%-5s overall: kwi/nginx %.2f req/s (target >= 1.0); nginx/kwi CPU per request %.2f (> 1: kwi spends less)\n' \
    "$scheme" "$(echo "${total[$scheme-k]} / ${total[$scheme-n]}" | bc -l)" "$(echo "${total[$scheme-nc]} / ${total[$scheme-kc]}" | bc -l)"
done
echo "access-log lines: nginx $(wc -l <"$work/nginx/access.log"), kwi $(( $(grep -c '"msg":"request"' "$work/kwi-http.log") + $(grep -c '"msg":"request"' "$work/kwi-https.log") ))"
