#!/bin/bash
# The indexed point query over HTTP (issue #6 budget: >= 20,000 queries/s).
#
# Starts the release server on a loopback port with a fresh data dir, publishes Examples/bank,
# opens 100,000 accounts, then runs wrk: POST `SELECT * FROM account WHERE id = <random>` to
# /v1/database/bank/sql with a bearer token, alternating with GET /v1/ping for comparison.
# Prints queries/s and the server's CPU per request (from /proc). Not part of CI (needs wrk).
#
# usage: Benchmarks/http-point-query.sh [--bin PATH] [--port N] [--connections N] [--duration S] [--runs N]
set -euo pipefail
BIN=.build/release/starling PORT=3999 CONNS=16 DURATION=5 RUNS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --connections) CONNS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WASM=$ROOT/Examples/bank/.build/release/bank.wasm
[ -f "$WASM" ] || "$BIN" build --project-path "$ROOT/Examples/bank"
WORK=$(mktemp -d)
export STARLING_CONFIG_DIR=$WORK/config
URL=http://127.0.0.1:$PORT
"$BIN" start --listen-addr 127.0.0.1:$PORT --data-dir "$WORK/data" > "$WORK/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf $URL/v1/ping >/dev/null && break; sleep 0.1; done
"$BIN" publish bank --bin-path "$WASM" -s $URL >/dev/null
"$BIN" call bank open_accounts 100000 1000 -s $URL >/dev/null
TOKEN=$("$BIN" identity token -s $URL)
cat > "$WORK/point.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
request = function()
  return wrk.format(nil, "/v1/database/bank/sql", nil, "SELECT * FROM account WHERE id = " .. math.random(0, 99999))
end
LUA
ticks() { awk '{print $14+$15}' /proc/$PID/stat; }
HZ=$(getconf CLK_TCK)
wrk -t1 -c"$CONNS" -d2s -s "$WORK/point.lua" $URL >/dev/null   # warm-up
echo "build: $("$BIN" --version 2>/dev/null || echo "$BIN"); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$RUNS"); do
  for mode in sql ping; do
    a=$(ticks)
    if [ $mode = sql ]; then wrk -t1 -c"$CONNS" -d"${DURATION}s" -s "$WORK/point.lua" $URL > "$WORK/wrk.out"
    else wrk -t1 -c"$CONNS" -d"${DURATION}s" $URL/v1/ping > "$WORK/wrk.out"; fi
    b=$(ticks)
    n=$(awk '/requests in/ {print $1}' "$WORK/wrk.out")
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")
    bad=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.out")
    us=$(awk -v t=$((b - a)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
    printf '%-5s %10s req/s   server CPU %6s µs/request%s\n' "$mode" "$rps" "$us" "${bad:+   non-2xx: $bad}"
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
