# PostgreSQL 15 runs of Benchmarks/run-peers.sh (sourced): initdb + postgres in a fresh directory (as the
# `postgres` user when run as root: PostgreSQL refuses to run as root), postgres-bank.sql (table +
# plpgsql transfer), pgbench with a custom script calling SELECT transfer(:from, :to, 1).
# CONNECTIONS x K with K > 1: each pgbench client sends K transfers in one pipeline (\startpipeline ..
# \endpipeline), each in its own BEGIN .. COMMIT — K transactions, each committed (and, with
# synchronous_commit on, fsynced) on its own, as Starling's K calls in flight are K transactions.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

# The prefix that runs a PostgreSQL server binary as the postgres user when we are root (setpriv execs,
# so the started process's pid is the postmaster's).
AS_POSTGRES=()
(($(id -u) == 0)) && AS_POSTGRES=(setpriv --reuid=postgres --regid=postgres --init-groups --)

# psql against the running server.
pg_sql() { "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -X -q -v ON_ERROR_STOP=1 "$@" postgres; }

# Starts a cluster with synchronous_commit MODE and loads the bank; sets PG_PORT, PG_PID and PG_DIR.
start_postgres() {
    local mode=$1
    PG_DIR=$(mktemp -d "$WORK/postgres-$mode-XXXX")
    (($(id -u) == 0)) && chown postgres: "$PG_DIR"
    "${AS_POSTGRES[@]}" "$PGBIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >>"$LOG" 2>&1 ||
        die "initdb failed (see $LOG)"
    PG_PORT=$(free_port)
    start_server "$PG_DIR/server.out" "${AS_POSTGRES[@]}" "$PGBIN/postgres" -D "$PG_DIR/data" -p "$PG_PORT" \
        -c listen_addresses=127.0.0.1 -c unix_socket_directories="$PG_DIR" -c synchronous_commit="$mode"
    PG_PID=$STARTED_PID
    wait_until "postgres" "$PG_PID" "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q
    pg_sql -v accounts="$ACCOUNTS" -v balance="$BALANCE" -f "$PEERS/postgres-bank.sql" >>"$LOG" 2>&1 ||
        die "loading postgres-bank.sql failed (see $LOG)"
}

# Writes the pgbench script for DISTRIBUTION with K transfers per round trip (K > 1: a pipeline of K
# transactions) to a file and prints its path.
pgbench_script() {
    local distribution=$1 k=$2 file="$WORK/pgbench-$1-$2.sql" draw="random(0, $((ACCOUNTS - 1)))" i
    [[ $distribution == zipf ]] && draw="random_zipfian(0, $((ACCOUNTS - 1)), $ALPHA)"
    {
        if ((k == 1)); then
            printf '\\set from %s\n\\set to %s\nSELECT transfer(:from, :to, 1);\n' "$draw" "$draw"
        else
            for ((i = 1; i <= k; i++)); do printf '\\set from%d %s\n\\set to%d %s\n' "$i" "$draw" "$i" "$draw"; done
            echo '\startpipeline'
            for ((i = 1; i <= k; i++)); do printf 'BEGIN;\nSELECT transfer(:from%d, :to%d, 1);\nCOMMIT;\n' "$i" "$i"; done
            echo '\endpipeline'
        fi
    } >"$file"
    echo "$file"
}

# One measured run on the running server: run_postgres MODE DISTRIBUTION K (transfers per round trip).
# pgbench counts a script run as one transaction, so its TPS and counts are multiplied by K; with K > 1
# p50/p99 are those of a whole pipeline of K transfers.
run_postgres() {
    local mode=$1 distribution=$2 k=$3 script logs server0 server1 machine0 machine1 t0 t1 tps class=relaxed
    [[ $mode == on ]] && class=strict
    local labels=(system='"PostgreSQL 15"' durability="$(js "synchronous_commit $mode")" class="\"$class\""
        client="$(js "pgbench -M prepared -c $CONNECTIONS -j 2$( ((k > 1)) && echo ", pipelines of $k transactions")")"
        connections="$CONNECTIONS" in_flight="$k" distribution="\"$distribution\"" repeat="$ROUND")
    say "-- PostgreSQL synchronous_commit $mode, $CONNECTIONS x $k, $distribution (run $ROUND), postmaster pid $PG_PID"
    wait_quiet
    script=$(pgbench_script "$distribution" "$k")
    local bench=("$PGBIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -M prepared -c "$CONNECTIONS" -j 2 -f "$script")
    run_client "${bench[@]}" -T "$(awk -v s="$WARMUP" 'BEGIN { print int(s + 0.999) }')" postgres
    sleep 0.5 # the warm-up's backends exit and are reaped
    logs=$(mktemp -d "$WORK/pgbench-log-XXXX")
    server0=$(tree_ticks "$PG_PID") machine0=$(machine_ticks) t0=$(now)
    run_client "${bench[@]}" -T "$(awk -v s="$DURATION" 'BEGIN { print int(s + 0.999) }')" -l --log-prefix="$logs/tx" postgres
    sleep 0.5
    t1=$(now) server1=$(tree_ticks "$PG_PID") machine1=$(machine_ticks)
    tps=$(grep -o 'tps = [0-9.]*' <<<"$CLIENT_OUT" | tail -1 | cut -d' ' -f3)
    [[ -n $tps ]] && tps=$(awk -v t="$tps" -v k="$k" 'BEGIN { print t * k }')
    if [[ -z $tps ]]; then
        record_error "PostgreSQL synchronous_commit $mode" "${labels[@]}"
        return
    fi
    # Per-transaction log lines: client_id transaction_no latency_us script_no epoch epoch_us.
    cat "$logs"/tx* | awk '{ print $3 }' | sort -n >"$logs/latencies"
    local p50 p99 check ok=0 seconds transfers
    p50=$(percentile_of "$logs/latencies" 50)
    p99=$(percentile_of "$logs/latencies" 99)
    seconds=$(awk -v d="$DURATION" 'BEGIN { print int(d + 0.999) }')
    transfers=$(grep -o 'transactions actually processed: [0-9]*' <<<"$CLIENT_OUT" | awk -v k="$k" '{ print $4 * k }')
    check=$(pg_sql -At -c 'SELECT count(*), sum(balance) FROM account')
    say "check: accounts|sum $check"
    [[ $check == "$ACCOUNTS|$((ACCOUNTS * BALANCE))" ]] && ok=1
    # CPU is taken around the whole pgbench run (connecting included; its tps excludes connecting).
    record "$(cpu_json "$t0" "$t1" 0.5 "$server0" "$server1" "$machine0" "$machine1")" "${labels[@]}" \
        tps="$tps" p50_us="$p50" p99_us="$p99" seconds="$seconds" transfers="${transfers:-null}" \
        check="\"$( ((ok)) && echo PASS || echo FAIL)\"" failed=null errors=0
    rm -rf "$logs"
}

# Both durabilities share the server setup: postgres_suite MODE (Zipf with synchronous_commit off at
# CONNECTIONS x 1, first round only).
postgres_suite() {
    start_postgres "$1"
    run_postgres "$1" uniform "$IN_FLIGHT"
    run_postgres "$1" uniform 1
    [[ $1 == off && $ROUND == 1 ]] && run_postgres "$1" zipf 1
    stop_pid "$PG_PID" INT
}
