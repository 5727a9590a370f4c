# Starling runs of Benchmarks/run-peers.sh (sourced): a `starling start` server in a fresh directory,
# driven by `starling-loadgen --server URL --server-pid PID` (BSATN WebSocket, the Examples/bank module).
# Expects STARLING, LOADGEN, WASM and the settings of run-peers.sh.

# Starts a server with --fsync FSYNC; sets STARLING_URL and STARLING_PID.
start_starling() {
    local fsync=$1 dir
    dir=$(mktemp -d "$WORK/starling-$fsync-XXXX")
    start_server "$dir/server.out" "$STARLING" start --listen-addr 127.0.0.1:0 --data-dir "$dir/data" --fsync "$fsync"
    STARLING_PID=$STARTED_PID
    wait_until "starling start" "$STARLING_PID" grep -q 'listening on http://' "$dir/server.out"
    STARLING_URL=$(grep -o 'listening on http://[^ ]*' "$dir/server.out" | head -1 | cut -d' ' -f3)
}

# One measured run: run_starling FSYNC CONNECTIONS IN_FLIGHT DISTRIBUTION REPEAT
run_starling() {
    local fsync=$1 connections=$2 in_flight=$3 distribution=$4 repeat=$5 json class
    wait_quiet
    start_starling "$fsync"
    say "-- Starling --fsync $fsync, $connections x $in_flight, $distribution (run $repeat), server pid $STARLING_PID"
    run_client "$LOADGEN" --server "$STARLING_URL" --server-pid "$STARLING_PID" --wasm "$WASM" \
        --accounts "$ACCOUNTS" --connections "$connections" --in-flight "$in_flight" \
        --distribution "$distribution" --alpha "$ALPHA" --warmup "$WARMUP" --duration "$DURATION" --json
    stop_pid "$STARLING_PID"
    class=relaxed
    [[ $fsync == every-commit ]] && class=strict
    local labels=(system='"Starling"' durability="$(js "--fsync $fsync")" class="\"$class\""
        client="$(js "starling-loadgen, $connections conns × $in_flight in flight")"
        connections="$connections" in_flight="$in_flight" distribution="\"$distribution\"" repeat="$repeat")
    json=$(grep '^{' <<<"$CLIENT_OUT" | tail -1)
    if [[ -z $json ]]; then
        record_error "Starling --fsync $fsync" "${labels[@]}"
        return
    fi
    record "$(jq -c '.runs[0] as $r | {
            tps: $r.calls_per_second, p50_us: $r.latency_us.p50, p99_us: $r.latency_us.p99, seconds: $r.seconds,
            transfers: ($r.committed + $r.failed), cpu_wall_s: $r.seconds,
            server_cpu_s: ($r.server_cpu_us_per_call * $r.calls_per_second * $r.seconds / 1e6),
            loadgen_cpu_s: ($r.loadgen_cpu_us_per_call * $r.calls_per_second * $r.seconds / 1e6),
            other_cores: $r.other_processes_cores, failed: $r.failed, errors: ($r.errors | length),
            check: (if .passed then "PASS" else "FAIL" end) }' <<<"$json")" "${labels[@]}"
}
