# Renders the results of Benchmarks/run-peers.sh as Markdown (sourced; needs jq).
# render_table RESULTS NPROC prints the table; each line of RESULTS is one run (see `record` in lib.sh).

# The jq program: rows ordered by load, then system and durability; Starling's ratio to each peer row is
# the median TPS of Starling's runs at the same load and distribution with the comparable durability
# (acknowledged before the fsync: `batch`; after it: `every-commit`) over that peer run's TPS.
RENDER_JQ='
def grouped: tostring | (if test("^[0-9]+$") then . else error("not an integer") end)
    | [explode | reverse | _nwise(3) | reverse | implode] | reverse | join(",");
def tps: if . == null then "—" else (. + 0.5 | floor | grouped) end;
def ms: if . == null then "—" elif . >= 10000 then "\(. / 1000 | . * 10 | round / 10) ms"
    else "\(. / 1000 | . * 100 | round / 100) ms" end;
def fixed(d): if . == null then "—" else (. * pow(10; d) | round / pow(10; d) | tostring) end;
def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
    else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def cpu(s; r): if s == null or r.cpu_wall_s == null or r.transfers == null or r.transfers == 0 then "—"
    else "\(s / r.cpu_wall_s / $nproc * 100 | round)%, \(s * 1e6 / r.transfers | fixed(1)) µs" end;
def system_rank: {"Starling": 0, "Redis 7": 1, "Tarantool 2.6": 2, "PostgreSQL 15": 3}[.system];
def key: [(if .distribution == "uniform" then 0 else 1 end), -.in_flight, system_rank,
    (if .class == "relaxed" then 0 else 1 end), .repeat];
. as $runs
| ($runs | map(select(.system == "Starling" and .tps != null))
    | group_by([.class, .connections, .in_flight, .distribution])
    | map({key: "\(.[0].class) \(.[0].connections) \(.[0].in_flight) \(.[0].distribution)",
        value: (map(.tps) | median)}) | from_entries) as $starling
| ($runs | map(select(.repeat > 1) | "\(.system) \(.class) \(.in_flight) \(.distribution)") | unique) as $repeated
| "| system | durability | client (what it did) | load | TPS | p50 | p99 | server CPU (% of \($nproc) cores, µs/transfer) | load-gen CPU | other processes (cores) | check | Starling ÷ this |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ($runs | sort_by(key) | .[] | . as $r
    | ($starling["\(.class) \(.connections) \(.in_flight) \(.distribution)"]) as $ref
    | "\(.system) \(.class) \(.in_flight) \(.distribution)" as $k
    | "| \(.system)\(if .system == "Starling" or ($repeated | index([$k])) then " (run \(.repeat))" else "" end) "
      + "| `\(.durability)` (ack \(if .class == "relaxed" then "before" else "after" end) fsync) | \(.client) "
      + "| \(.connections)×\(.in_flight) \(.distribution) | \(.tps | tps) | \(.p50_us | ms) | \(.p99_us | ms) "
      + "| \(cpu(.server_cpu_s; $r)) | \(cpu(.loadgen_cpu_s; $r)) | \(.other_cores | fixed(2)) "
      + "| \(.check)\(if (.failed // 0) > 0 then " (\(.failed | tps) refused: insufficient funds)" else "" end) "
      + "| \(if .system == "Starling" or $ref == null or .tps == null then "—" else "**\($ref / .tps | fixed(2))×**" end) |")
'

render_table() {
    jq -rs --argjson nproc "$2" "$RENDER_JQ" "$1"
}

# The largest "other processes" figure of all runs (cores), for the notes.
max_other_cores() {
    jq -rs 'map(.other_cores // 0) | max | . * 100 | round / 100' "$1"
}

# The throughput targets against this session's figures: one line per target, with Starling's
# median TPS over the peer's at each load both were measured at (uniform accounts).
RENDER_TARGETS_JQ='
def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
    else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def tps_of(system; class; in_flight): [.[] | select(.system == system and .class == class
    and .in_flight == in_flight and .distribution == "uniform" and .tps != null) | .tps] | median;
def ratio(s; p): if s == null or p == null then null else s / p end;
def show: . * 100 | round / 100 | tostring;
. as $runs
| [[ "Redis 7", "relaxed", 1, "≥ 1× Redis `appendfsync everysec` (Starling `--fsync batch`)" ],
   [ "Tarantool 2.6", "relaxed", 1.5, "≥ 1.5× Tarantool `wal_mode write` (Starling `--fsync batch`)" ],
   [ "PostgreSQL 15", "strict", 10, "≥ 10× PostgreSQL `synchronous_commit on` (Starling `--fsync every-commit`)" ]]
| map(. as [$peer, $class, $goal, $text]
    | [$runs | (map(.in_flight) | unique | reverse)[] as $k
        | { k: $k, r: ratio($runs | tps_of("Starling"; $class; $k); $runs | tps_of($peer; $class; $k)) }
        | select(.r != null)] as $at
    | select($at | length > 0)
    | "- \($text): " + ($at | map("\(.r | show)× at \($runs[0].connections)×\(.k)") | join(", "))
      + (if ($at | all(.r >= $goal)) then " ✅" else " ❌" end))
| if length == 0 then empty else "Targets of issue #8 (Starling'"'"'s median TPS ÷ the peer'"'"'s median at the same load, uniform accounts):", .[] end
'

render_targets() {
    jq -rs "$RENDER_TARGETS_JQ" "$1"
}
