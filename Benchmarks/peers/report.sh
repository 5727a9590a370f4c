# The Markdown report of Benchmarks/run-peers.sh (sourced after the runs): `report` prints the text that
# goes between <!-- peers:begin --> and <!-- peers:end --> in BENCHMARKS.md; `splice_report` puts it there.

# 100000 -> 100,000
thousands() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }

# Versions and machine facts for the report header.
peer_versions() {
    local v=()
    wants redis && v+=("$(redis-server --version | grep -o 'v=[0-9.]*' | sed 's/v=/Redis /')")
    wants tarantool && v+=("$(tarantool --version | head -1)")
    wants postgres && v+=("$("$PGBIN/postgres" --version | sed 's/postgres (PostgreSQL)/PostgreSQL/')")
    ((${#v[@]})) || return 0
    local joined
    joined=$(printf '%s, ' "${v[@]}")
    echo "; ${joined%, }"
}

machine_line() {
    local model memory
    model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    memory=$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
    echo "$NPROC cores (\`nproc\`), $model, $memory GiB, $(uname -sr)"
}

# Which commit was built, and whether other uncommitted source changes were in the tree.
commit_line() {
    local sha dirty
    sha=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    dirty=$(git -C "$ROOT" status --porcelain -- Sources Benchmarks/StarlingLoadGen Examples/bank 2>/dev/null | wc -l)
    if ((dirty > 0)); then
        echo "commit $sha plus $dirty uncommitted file(s) under Sources/ (other sessions' work in progress, built in)"
    else
        echo "commit $sha"
    fi
}

report() {
    local noise
    noise=$(max_other_cores "$RESULTS")
    cat <<EOF
Measured $started – $finished ($minutes min) by \`Benchmarks/run-peers.sh\` on $(machine_line);
Starling: $BUILT_FROM$(peer_versions). Command:

    $COMMAND        # SCRATCH=$SCRATCH; raw per-run outputs: $LOG

Workload, the same for every system: $(thousands "$ACCOUNTS") accounts with balance $BALANCE,
\`transfer(from, to, 1)\` as server-side logic (Starling: the \`Examples/bank\` Wasm reducer; Redis: a Lua
function library called with FCALL; Tarantool: a Lua function in \`box.begin()/box.commit()\` on a memtx
space; PostgreSQL: a plpgsql function locking both rows in id order), one round trip per transfer, server
and client on loopback, ${WARMUP} s warm-up then ${DURATION} s measured. After every run the balances are
summed (check PASS: $(thousands "$ACCOUNTS") accounts, sum unchanged). "ack before fsync" rows reply
before the data is fsynced (Starling \`--fsync batch\`, Redis \`appendfsync everysec\`, Tarantool
\`wal_mode = 'write'\`, PostgreSQL \`synchronous_commit = off\`); "ack after fsync" rows reply once it is
(Starling \`--fsync every-commit\`, Redis \`always\`, Tarantool \`'fsync'\`, PostgreSQL \`on\`).
**Starling ÷ this** = the median TPS of Starling's runs at the same load and distribution with the
comparable durability, divided by that peer run's TPS (above 1: Starling is faster); the targets below
compare medians with medians.

Server and load generator share the $NPROC cores, so both CPU figures are given (share of all $NPROC
cores over the measured window, and µs per transfer). **This machine is shared with other agents'
builds:** "other processes" is the CPU the rest of the machine used during each run (up to $noise cores
in this session), and its speed drifts by tens of percent over minutes, so the runs go in $REPEAT round(s) —
Starling, Redis, Tarantool, PostgreSQL, then again — and each uniform configuration of every system ran
$REPEAT time(s) (Zipf: once, in the first round).

$(render_table "$RESULTS" "$NPROC")

$(render_targets "$RESULTS")

What each client actually did:
- **Starling**: \`starling-loadgen\` (Swift, plain sockets served by one epoll thread), BSATN over WebSocket,
  each connection keeps K calls outstanding (a new call as each reply arrives); a fresh server
  (\`starling start --data-dir\` in a temp dir) per run; latency from an HdrHistogram; CPU from /proc over
  the measured window. Zipf(${ALPHA}): account k drawn with weight 1/(k+1)^${ALPHA}.
- **Redis**: \`redis-benchmark -c $CONNECTIONS -P K -r $ACCOUNTS FCALL transfer 2 acct:__rand_int__ acct:__rand_int__ 1\`.
  \`-P 16\` sends 16 calls and waits for all 16 replies before sending the next 16, so fewer than 16 are
  outstanding on average (Starling refills each slot at once). Keys are uniform only: redis-benchmark
  cannot draw Zipf. It has no duration option: a calibration and the warm-up measure the rate and the
  measured run gets rate × ${DURATION} requests. p50/p99 from its CSV (no p99.9). "refused" counts FCALL
  \`failed_calls\` from INFO commandstats. AOF on, RDB snapshots off; one Redis server per durability.
- **Tarantool**: a net.box Lua load script run by the \`tarantool\` binary (LuaJIT, one thread):
  $CONNECTIONS connections × K fibers, each fiber calling \`transfer\` synchronously in a loop (net.box
  multiplexes a connection's calls); \`net_msg_max = 4096\` so 1,024 requests can be in flight (the default
  768 would cap them); latency in 1 µs buckets. One server per \`wal_mode\`; its Zipf runs follow its
  uniform runs on the same data.
- **PostgreSQL**: \`pgbench -M prepared -c $CONNECTIONS -j 2 -T ${DURATION}\` with the script
  \`\\set from random(0, $((ACCOUNTS - 1)))\`, \`\\set to ...\`, \`SELECT transfer(:from, :to, 1);\` (Zipf:
  \`random_zipfian(0, $((ACCOUNTS - 1)), ${ALPHA})\`). At ${CONNECTIONS}×K with K > 1 each client sends K transfers in
  one pipeline (\`\\startpipeline\` … \`\\endpipeline\`), each wrapped in its own \`BEGIN\` … \`COMMIT\`: K separate
  transactions, each committed (with \`synchronous_commit on\`: flushed) before the next of that client runs, so
  K are outstanding per connection only on the wire. pgbench counts a pipeline as one transaction, so its
  TPS is multiplied by K, and p50/p99 there are those of a whole pipeline of K transfers (pgbench's
  per-transaction log, \`-l\`). More connections instead do not help PostgreSQL here: measured
  2026-11-30 with \`synchronous_commit on\` and one transfer per round trip, 16 / 64 / 256 / 1,024 clients gave 12.7k / 14.6k / 10.0k /
  5.6k transfers/s.
  \`transfer\` returns false instead of raising on insufficient funds (pgbench 15 aborts a client on an
  error), so refused transfers are not counted for PostgreSQL. Server CPU covers the postmaster and its
  backends (children, counted through cutime/cstime as they exit) over the whole pgbench run including
  connecting; PostgreSQL settings are initdb's defaults plus the port, \`listen_addresses\` and
  \`synchronous_commit\`.
- **CPU**: servers from /proc/PID/stat (utime + stime, plus reaped children); load generators from their
  own /proc figures over the window (starling-loadgen, the Tarantool script) or \`/usr/bin/time\` of the
  measured invocation (redis-benchmark, pgbench).
EOF
}

# Replaces the text between the markers in FILE with the contents of REPORT; appends the section with
# its markers at the end if the file has none. Nothing else in FILE changes.
splice_report() {
    local file=$1 text=$2 out
    out=$(mktemp "$WORK/benchmarks.XXXX")
    if grep -q '^<!-- peers:begin -->$' "$file" && grep -q '^<!-- peers:end -->$' "$file"; then
        awk -v text="$text" '
            /^<!-- peers:begin -->$/ { print; while ((getline line < text) > 0) print line; skip = 1; next }
            /^<!-- peers:end -->$/ { skip = 0 }
            !skip { print }' "$file" >"$out"
    else
        { cat "$file" && printf '\n## Peers (issue #8)\n\n<!-- peers:begin -->\n' && cat "$text" &&
            printf '<!-- peers:end -->\n'; } >"$out"
    fi
    cat "$out" >"$file"
}
