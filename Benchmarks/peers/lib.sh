# Helpers shared by Benchmarks/run-peers.sh and the per-system files it sources (bash).
# Expects: LOG (the raw log file), RESULTS (one JSON object per run), WORK (the temp dir), NPROC.

# Prints a progress line and appends it to the log.
say() { printf '%s\n' "$*" | tee -a "$LOG" >&2; }

# Fails the whole run with a message.
die() {
    say "run-peers: $*"
    exit 1
}

# Seconds since the epoch with nanoseconds.
now() { date +%s.%N; }

# utime + stime + cutime + cstime of PID and of its live children, in clock ticks. Children that exited
# and were reaped count through the parent's cutime/cstime, so the difference of two readings is the CPU
# the process tree used in between (PostgreSQL's backends are children of the postmaster).
tree_ticks() {
    local pid=$1 total=0 child
    total=$(proc_ticks "$pid")
    for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
        total=$((total + $(proc_ticks "$child")))
    done
    echo "$total"
}

# utime + stime + cutime + cstime of one process in clock ticks (0 if it is gone).
proc_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || {
        echo 0
        return
    }
    # Fields after "(comm) ": state is 1, utime 12, stime 13, cutime 14, cstime 15.
    echo "${stat##*) }" | awk '{ print $12 + $13 + $14 + $15 }'
}

# Busy CPU ticks of the whole machine (all cores; /proc/stat minus idle, iowait and steal).
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; }

# With QUIET_WAIT > 0 (--wait-quiet S): waits up to that many seconds until the rest of the machine is
# quiet (under 0.15 busy cores over 2 s; nothing of ours runs between runs), so other agents' builds
# disturb fewer runs. Gives up silently after the timeout: the table's "other processes" column shows it.
QUIET_WAIT=${QUIET_WAIT:-0}
wait_quiet() {
    ((QUIET_WAIT > 0)) || return 0
    local deadline=$((SECONDS + QUIET_WAIT)) m0 m1 busy
    while ((SECONDS < deadline)); do
        m0=$(machine_ticks)
        sleep 2
        m1=$(machine_ticks)
        busy=$(awk -v a="$m0" -v b="$m1" -v tk="$TICKS" 'BEGIN { print ((b - a) / tk / 2 < 0.15) ? 1 : 0 }')
        ((busy)) && return 0
    done
    say "the machine was still busy after --wait-quiet $QUIET_WAIT s; running anyway"
}

# Clock ticks per second.
TICKS=$(getconf CLK_TCK)

# Runs a command in the background with its output in FILE; sets STARTED_PID and adds it to SERVERS
# (stopped by the exit trap if still running). Usage: start_server FILE command args...
SERVERS=()
STARTED_PID=""
STARTED_OUT=""
start_server() {
    local out=$1
    STARTED_OUT=$out
    shift
    "$@" >"$out" 2>&1 &
    STARTED_PID=$!
    SERVERS+=("$STARTED_PID")
}

# Sends SIGTERM (SIGINT for PostgreSQL's fast shutdown if SIGNAL=INT) to PID and waits up to 20 s for it
# to exit, then SIGKILL.
stop_pid() {
    local pid=$1 signal=${2:-TERM} i
    kill -0 "$pid" 2>/dev/null || return 0
    kill "-$signal" "$pid" 2>/dev/null || true
    for i in $(seq 200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "pid $pid did not exit within 20 s of SIG$signal: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    local kept=()
    for p in "${SERVERS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
    SERVERS=("${kept[@]}")
}

# Waits up to 60 s until a command succeeds (e.g. a readiness probe); fails the run otherwise.
# Usage: wait_until DESCRIPTION PID command args...
wait_until() {
    local what=$1 pid=$2 i
    shift 2
    for i in $(seq 300); do
        "$@" >/dev/null 2>&1 && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -20 "$STARTED_OUT" >>"$LOG" 2>/dev/null
            die "$what exited during startup (its output is at the end of $LOG)"
        fi
        sleep 0.2
    done
    die "$what was not ready within 60 s"
}

# A free TCP port on 127.0.0.1, below the kernel's ephemeral range (so no client socket holds it).
free_port() {
    local port low
    low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    while :; do
        port=$((10000 + RANDOM % (low - 10000)))
        (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || {
            echo "$port"
            return
        }
    done
}

# Runs a client command, appending its output to the log. Sets CLIENT_OUT (its output), CLIENT_STATUS
# (its exit status) and CLIENT_CPU (its user + system CPU seconds, from /usr/bin/time).
CLIENT_OUT=""
CLIENT_STATUS=0
CLIENT_CPU=0
run_client() {
    local out="$WORK/client.out" timing="$WORK/client.time"
    CLIENT_STATUS=0
    /usr/bin/time -f '%U %S' -o "$timing" "$@" >"$out" 2>&1 || CLIENT_STATUS=$?
    cat "$out" >>"$LOG"
    CLIENT_OUT=$(cat "$out")
    CLIENT_CPU=$(tail -1 "$timing" | awk '{ print $1 + $2 }')
    ((CLIENT_STATUS == 0)) || say "client exited with status $CLIENT_STATUS: $*"
}

# Records a run that produced no figures (the client failed); the table shows it as an error.
record_error() {
    local what=$1
    shift
    say "no figures for $what (see $LOG)"
    record '{"tps": null, "check": "ERROR (see log)"}' "$@"
}

# Appends one run's result to RESULTS: the JSON object BASE plus name=value pairs (values are JSON).
# Usage: record '{"tps": 1}' system='"Redis 7"' ...
record() {
    local base=$1 args=() pair
    shift
    for pair in "$@"; do args+=(--argjson "${pair%%=*}" "${pair#*=}"); done
    jq -c "${args[@]}" '. + $ARGS.named' <<<"$base" >>"$RESULTS"
    tail -1 "$RESULTS" >>"$LOG"
}

# The CPU figures of a window measured from outside the processes, as a JSON object: cpu_json T0 T1 PAUSE
# SERVER_TICKS0 SERVER_TICKS1 MACHINE_TICKS0 MACHINE_TICKS1 (times from `now`; PAUSE: seconds of the window
# spent sleeping after the client exited). The load generator's CPU is CLIENT_CPU; other_cores is what the
# rest of the machine used (other agents' builds: noise).
cpu_json() {
    awk -v t0="$1" -v t1="$2" -v pause="$3" -v s0="$4" -v s1="$5" -v m0="$6" -v m1="$7" -v c="$CLIENT_CPU" \
        -v tk="$TICKS" 'BEGIN {
        wall = t1 - t0 - pause; server = (s1 - s0) / tk; machine = (m1 - m0) / tk
        other = (machine - server - c) / (t1 - t0); if (other < 0) other = 0
        printf "{\"cpu_wall_s\": %.3f, \"server_cpu_s\": %.3f, \"loadgen_cpu_s\": %.3f, \"other_cores\": %.3f}\n", wall, server, c, other
    }'
}

# A JSON string.
js() { jq -Rn --arg v "$1" '$v'; }

# The p-th percentile (nearest rank) of the numbers in FILE, one per line (sorted numerically in place).
percentile_of() {
    local file=$1 p=$2
    awk -v p="$p" '{ v[NR] = $1 } END { if (NR == 0) { print "null"; exit } r = int(NR * p / 100 + 0.999999); if (r < 1) r = 1; print v[r] }' "$file"
}
