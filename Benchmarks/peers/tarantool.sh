# Tarantool 2.6 runs of Benchmarks/run-peers.sh (sourced): tarantool-server.lua (memtx space, Lua
# transfer in box.begin/box.commit) in a fresh directory, driven by tarantool-load.lua (net.box; each
# connection has IN_FLIGHT fibers calling one after another), run with the `tarantool` binary.

# Starts the server with wal_mode MODE; sets TARANTOOL_PORT and TARANTOOL_PID.
start_tarantool() {
    local mode=$1 dir
    dir=$(mktemp -d "$WORK/tarantool-$mode-XXXX")
    TARANTOOL_PORT=$(free_port)
    start_server "$dir/server.out" tarantool "$PEERS/tarantool-server.lua" "$TARANTOOL_PORT" "$dir" "$mode" \
        "$ACCOUNTS" "$BALANCE"
    TARANTOOL_PID=$STARTED_PID
    wait_until "tarantool" "$TARANTOOL_PID" test -e "$dir/ready"
}

# One measured run on the running server: run_tarantool MODE IN_FLIGHT DISTRIBUTION
run_tarantool() {
    local mode=$1 in_flight=$2 distribution=$3 json class=relaxed
    [[ $mode == fsync ]] && class=strict
    local labels=(system='"Tarantool 2.6"' durability="$(js "wal_mode $mode")" class="\"$class\""
        client="$(js "net.box script, $CONNECTIONS conns × $in_flight fibers")"
        connections="$CONNECTIONS" in_flight="$in_flight" distribution="\"$distribution\"" repeat="$ROUND")
    say "-- Tarantool wal_mode $mode, $CONNECTIONS x $in_flight, $distribution (run $ROUND), server pid $TARANTOOL_PID"
    wait_quiet
    run_client tarantool "$PEERS/tarantool-load.lua" "$TARANTOOL_PORT" "$CONNECTIONS" "$in_flight" "$WARMUP" \
        "$DURATION" "$ACCOUNTS" "$BALANCE" "$distribution" "$ALPHA" "$TARANTOOL_PID"
    json=$(grep '^{' <<<"$CLIENT_OUT" | tail -1)
    if [[ -z $json ]]; then
        record_error "Tarantool wal_mode $mode" "${labels[@]}"
        return
    fi
    record "$(jq -c '{
        tps: .calls_per_second, p50_us: .latency_us.p50, p99_us: .latency_us.p99, seconds: .seconds,
        transfers: (.committed + .failed + .errors), cpu_wall_s: .seconds,
        server_cpu_s: (.server_cpu_us / 1e6), loadgen_cpu_s: (.loadgen_cpu_us / 1e6),
        other_cores: ([0, (.machine_busy_us - .server_cpu_us - .loadgen_cpu_us) / 1e6 / .seconds] | max),
        failed: .failed, errors: .errors, check: (if .check.passed then "PASS" else "FAIL" end) }' <<<"$json")" \
        "${labels[@]}"
}

# The uniform runs (and, with wal_mode write in the first round, the Zipf ones) on a fresh server: tarantool_suite MODE
tarantool_suite() {
    start_tarantool "$1"
    run_tarantool "$1" "$IN_FLIGHT" uniform
    run_tarantool "$1" 1 uniform
    if [[ $1 == write && $ROUND == 1 ]]; then
        run_tarantool "$1" "$IN_FLIGHT" zipf
        run_tarantool "$1" 1 zipf
    fi
    stop_pid "$TARANTOOL_PID"
}
