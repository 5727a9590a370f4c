# Redis 7 runs of Benchmarks/run-peers.sh (sourced): redis-server with AOF in a fresh directory, the
# bank function library (redis-bank.lua), load from redis-benchmark calling FCALL transfer on random keys.
# redis-benchmark has no duration option: a short calibration and the warm-up measure the rate, and the
# measured run gets rate x DURATION requests. Its keys are uniform (__rand_int__); it cannot draw Zipf.

# Starts redis-server with `appendfsync FSYNC`, loads the library and opens the accounts; sets REDIS_PORT
# and REDIS_PID.
start_redis() {
    local fsync=$1 dir
    dir=$(mktemp -d "$WORK/redis-$fsync-XXXX")
    REDIS_PORT=$(free_port)
    start_server "$dir/server.out" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$dir" \
        --save '' --appendonly yes --appendfsync "$fsync" --daemonize no --logfile ''
    REDIS_PID=$STARTED_PID
    wait_until "redis-server" "$REDIS_PID" redis-cli -p "$REDIS_PORT" PING
    redis-cli -p "$REDIS_PORT" -x FUNCTION LOAD REPLACE <"$PEERS/redis-bank.lua" >>"$LOG"
    redis-cli -p "$REDIS_PORT" FCALL open_accounts 0 "$ACCOUNTS" "$BALANCE" >>"$LOG"
}

# redis-benchmark with N requests: redis_bench N PIPELINE. Sets BENCH_LINE to "rps p50_ms p99_ms" from its
# CSV line (test,rps,avg,min,p50,p95,p99,max), empty if it failed, and BENCH_RATE to the integer rps.
redis_bench() {
    run_client redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -c "$CONNECTIONS" -P "$2" -n "$1" \
        -r "$ACCOUNTS" --csv FCALL transfer 2 'acct:__rand_int__' 'acct:__rand_int__' 1
    BENCH_LINE=$(tail -1 <<<"$CLIENT_OUT" | tr -d '"' | awk -F, '$2 + 0 > 0 { print $2, $5, $7 }')
    BENCH_RATE=$(awk '{ print int($1) }' <<<"$BENCH_LINE")
    BENCH_RATE=${BENCH_RATE:-0}
}

# The fcall counter `failed_calls` of INFO commandstats.
redis_failed_calls() {
    redis-cli -p "$REDIS_PORT" INFO commandstats | tr -d '\r' |
        awk -F'failed_calls=' '/^cmdstat_fcall:/ { split($2, v, ","); print v[1] + 0; found = 1 } END { if (!found) print 0 }'
}

# One measured run on the running server: run_redis FSYNC PIPELINE
run_redis() {
    local fsync=$1 pipeline=$2 n t0 t1 server0 server1 machine0 machine1 failed0 class=relaxed
    [[ $fsync == always ]] && class=strict
    local labels=(system='"Redis 7"' durability="$(js "appendfsync $fsync")" class="\"$class\""
        client="$(js "redis-benchmark -c $CONNECTIONS -P $pipeline")"
        connections="$CONNECTIONS" in_flight="$pipeline" distribution='"uniform"' repeat="$ROUND")
    say "-- Redis appendfsync $fsync, $CONNECTIONS x pipeline $pipeline (run $ROUND), server pid $REDIS_PID"
    wait_quiet
    redis_bench 20000 "$pipeline" # calibration
    ((BENCH_RATE > 0)) && redis_bench "$(awk -v r="$BENCH_RATE" -v s="$WARMUP" 'BEGIN { print int(r * s) + 1000 }')" "$pipeline"
    if ((BENCH_RATE == 0)); then
        record_error "Redis appendfsync $fsync" "${labels[@]}"
        return
    fi
    n=$(awk -v r="$BENCH_RATE" -v s="$DURATION" 'BEGIN { print int(r * s) }')
    failed0=$(redis_failed_calls)
    server0=$(tree_ticks "$REDIS_PID") machine0=$(machine_ticks) t0=$(now)
    redis_bench "$n" "$pipeline"
    t1=$(now) server1=$(tree_ticks "$REDIS_PID") machine1=$(machine_ticks)
    local failed check rows sum
    failed=$(($(redis_failed_calls) - failed0))
    check=$(redis-cli -p "$REDIS_PORT" FCALL bank_sum 0 "$ACCOUNTS" | tr '\n' ' ')
    say "check: accounts and sum $check"
    read -r rows sum <<<"$check"
    [[ -n $BENCH_LINE ]] || {
        record_error "Redis appendfsync $fsync" "${labels[@]}"
        return
    }
    local ok=0 rps p50_ms p99_ms
    ((${rows:-0} == ACCOUNTS && ${sum:-0} == ACCOUNTS * BALANCE)) && ok=1
    read -r rps p50_ms p99_ms <<<"$BENCH_LINE"
    record "$(cpu_json "$t0" "$t1" 0 "$server0" "$server1" "$machine0" "$machine1")" "${labels[@]}" \
        tps="$rps" p50_us="$(awk -v v="$p50_ms" 'BEGIN { print int(v * 1000 + 0.5) }')" \
        p99_us="$(awk -v v="$p99_ms" 'BEGIN { print int(v * 1000 + 0.5) }')" transfers="$n" \
        seconds="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" \
        check="\"$( ((ok)) && echo PASS || echo FAIL)\"" failed="$failed" errors=0
}

# Both pipelines on a fresh server: redis_suite FSYNC
redis_suite() {
    start_redis "$1"
    run_redis "$1" "$IN_FLIGHT"
    run_redis "$1" 1
    stop_pid "$REDIS_PID"
}
