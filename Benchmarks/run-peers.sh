#!/usr/bin/env bash
# The peer benchmark (issue #8): Starling, Redis 7, Tarantool 2.6 and PostgreSQL 15 on the same workload —
# transfer(from, to, 1) between 100,000 accounts of balance 1000, server-side logic, one round trip per
# transfer — on loopback, each server started here in a fresh temp dir and stopped by pid. Installs what
# is missing with apt-get, builds Starling (release) and the bank module, runs everything, checks that
# every run conserved the money, and writes a Markdown table into BENCHMARKS.md between the markers
# <!-- peers:begin --> and <!-- peers:end --> (section "## Peers (issue #8)", added if absent).
# Not part of CI: it needs root or sudo for apt-get and ~8 minutes of a quiet machine.
#
# usage: Benchmarks/run-peers.sh [--duration S] [--warmup S] [--repeat N] [--quick] [--only LIST] [--no-build]
#                                [--no-write | --write]
#   --duration S   measured seconds per run (default 10)      --warmup S   warm-up seconds (default 2)
#   --repeat N     rounds: runs of each uniform configuration of every system (default 3, interleaved)
#   --quick        a fast trial: --warmup 1 --duration 3 --repeat 1, and BENCHMARKS.md is not touched
#   --only LIST    comma-separated subset of starling,redis,tarantool,postgres
#   --no-build     use the binaries already in $SCRATCH/release and the built bank module
#   --wait-quiet S before each run, wait up to S seconds for other processes to use < 0.15 cores
#   --no-write     print the table instead of writing BENCHMARKS.md; --write: write it even with --quick
# environment: SCRATCH (Swift build dir, default .build), PGBIN (default /usr/lib/postgresql/15/bin)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
PEERS=$ROOT/Benchmarks/peers
COMMAND="Benchmarks/run-peers.sh $*"

ACCOUNTS=100000 BALANCE=1000 CONNECTIONS=64 IN_FLIGHT=16 ALPHA=1.5
WARMUP=2 DURATION=10 REPEAT=3 ONLY="starling,redis,tarantool,postgres" WRITE=auto QUICK=0 BUILD=1
usage() { sed -n '/^# usage:/,/^# environment:/p' "$0" | sed 's/^# \{0,1\}//'; }
needs_value() { (($1 >= 2)) || { echo "run-peers: $2 needs a value" >&2 && exit 2; }; }
while (($#)); do
    case $1 in
    --duration | --warmup | --repeat | --only | --wait-quiet) needs_value $# "$1" ;;&
    --duration) DURATION=$2 && shift ;;
    --warmup) WARMUP=$2 && shift ;;
    --repeat) REPEAT=$2 && shift ;;
    --only) ONLY=$2 && shift ;;
    --wait-quiet) QUIET_WAIT=$2 && shift ;;
    --quick) QUICK=1 WARMUP=1 DURATION=3 REPEAT=1 ;;
    --no-build) BUILD=0 ;;
    --no-write) WRITE=no ;;
    --write) WRITE=yes ;;
    -h | --help) usage && exit 0 ;;
    *) usage >&2 && echo "run-peers: unknown option $1" >&2 && exit 2 ;;
    esac
    shift
done
[[ $WRITE == auto ]] && { ((QUICK)) && WRITE=no || WRITE=yes; }
wants() { [[ ,$ONLY, == *,$1,* ]]; }

LOG=/tmp/run-peers-$(date +%Y%m%d-%H%M%S).log
WORK=$(mktemp -d /tmp/run-peers.XXXXXX) || exit 1
chmod 711 "$WORK" # the postgres user must reach its data directory inside
RESULTS=$WORK/results.jsonl
: >"$RESULTS"
NPROC=$(nproc)
source "$PEERS/lib.sh"
source "$PEERS/starling.sh"
source "$PEERS/redis.sh"
source "$PEERS/tarantool.sh"
source "$PEERS/postgres.sh"
source "$PEERS/render.sh"

cleanup() {
    local pid
    for pid in "${SERVERS[@]}"; do stop_pid "$pid"; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM
say "run-peers: log $LOG, work dir $WORK"

# --- install what is missing ---------------------------------------------------------------------
missing=()
command -v jq >/dev/null || missing+=(jq)
[[ -x /usr/bin/time ]] || missing+=(time)
if wants redis; then
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v redis-benchmark >/dev/null || missing+=(redis-tools)
fi
wants tarantool && ! command -v tarantool >/dev/null && missing+=(tarantool)
wants postgres && ! [[ -x $PGBIN/pgbench && -x $PGBIN/postgres ]] && missing+=(postgresql-15 postgresql-contrib)
if ((${#missing[@]})); then
    sudo=()
    (($(id -u) == 0)) || sudo=(sudo)
    say "installing with apt-get: ${missing[*]}"
    "${sudo[@]}" apt-get update >>"$LOG" 2>&1
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 ||
        die "apt-get install ${missing[*]} failed (see $LOG)"
fi

# --- build Starling and the bank module ----------------------------------------------------------
SCRATCH=${SCRATCH:-.build}
STARLING=$ROOT/$SCRATCH/release/starling
LOADGEN=$ROOT/$SCRATCH/release/starling-loadgen
WASM=$ROOT/Examples/bank/.build/release/bank.wasm
if wants starling && ((BUILD)); then
    for product in starling starling-loadgen; do
        say "swift build -c release --scratch-path $SCRATCH --product $product"
        swift build -c release --scratch-path "$SCRATCH" --product "$product" >>"$LOG" 2>&1 ||
            die "building $product failed (see $LOG)"
    done
    say "starling build --project-path Examples/bank"
    "$STARLING" build --project-path Examples/bank >>"$LOG" 2>&1 || die "building Examples/bank failed (see $LOG)"
fi
if wants starling; then
    for file in "$STARLING" "$LOADGEN" "$WASM"; do [[ -f $file ]] || die "missing $file (build it, or drop --no-build)"; done
fi
source "$PEERS/report.sh"
if ((BUILD)) || ! wants starling; then
    BUILT_FROM=$(commit_line)
else
    BUILT_FROM="binaries in $SCRATCH/release built $(date -u -r "$STARLING" '+%Y-%m-%d %H:%M UTC') (\`--no-build\`); the tree at run time: $(commit_line)"
fi

# --- the runs ------------------------------------------------------------------------------------
started=$(date -u '+%Y-%m-%d %H:%M UTC')
started_seconds=$SECONDS
starling_uniform_set() {
    run_starling batch "$CONNECTIONS" "$IN_FLIGHT" uniform "$1"
    run_starling batch "$CONNECTIONS" 1 uniform "$1"
    run_starling every-commit "$CONNECTIONS" "$IN_FLIGHT" uniform "$1"
    run_starling every-commit "$CONNECTIONS" 1 uniform "$1"
}
# Rounds of every system in turn, so each system's runs sample the machine (whose speed drifts by
# tens of percent over minutes) at the same spread of times; the Zipf runs go in the first round.
for ((ROUND = 1; ROUND <= REPEAT; ROUND++)); do
    if wants starling; then
        starling_uniform_set "$ROUND"
        if ((ROUND == 1)); then
            run_starling batch "$CONNECTIONS" "$IN_FLIGHT" zipf 1
            run_starling batch "$CONNECTIONS" 1 zipf 1
        fi
    fi
    if wants redis; then
        redis_suite everysec
        redis_suite always
    fi
    if wants tarantool; then
        tarantool_suite write
        tarantool_suite fsync
    fi
    if wants postgres; then
        postgres_suite off
        postgres_suite on
    fi
done
finished=$(date -u '+%H:%M UTC')
minutes=$(((SECONDS - started_seconds + 30) / 60))

# --- the report ----------------------------------------------------------------------------------
report >"$WORK/report.md"
if [[ $WRITE == yes ]]; then
    splice_report "$ROOT/BENCHMARKS.md" "$WORK/report.md"
    say "wrote the table into BENCHMARKS.md (section \"## Peers (issue #8)\")"
else
    cat "$WORK/report.md"
fi
cat "$WORK/report.md" >>"$LOG"
say "raw outputs of every run: $LOG"
