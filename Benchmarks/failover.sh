#!/usr/bin/env bash
# A PostgreSQL failover during ingest: two release `sensor-ingest serve` replicas on a Patroni
# cluster (Benchmarks/patroni-cluster.sh: two nodes, synchronous replication, on 127.0.0.1),
# connected through a multi-host URL (`host1,host2 … target_session_attrs=read-write`); a real
# `sensor run` backfills a generated home into one replica and a second sensor into the other,
# while a writer appends a Claude Code line every 50 ms. Mid-run the primary's Patroni and
# PostgreSQL are killed (SIGKILL: a crashed machine). The replicas follow the new primary; the
# sensors retry what was not acknowledged. At the end every sensor's `scan` must exit 0
# (everything it read acknowledged), and the store must hold exactly the envelopes a fresh
# `sensor scan --output` of each home gives: no acknowledged envelope lost, none twice.
#
#   Benchmarks/failover.sh [--mb 20] [--seconds 40] [--kill-at 12] [--switchover]
#
# --switchover: a controlled switchover instead of the kill. Needs root (Patroni's daemons run
# as the postgres user) and installs patroni and etcd-server when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd); shared="$repo/../shared"
mb=20; seconds=40; kill_at=12; kill_flag=--kill
while [ $# -gt 0 ]; do
    case "$1" in
        --mb) mb=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --kill-at) kill_at=$2; shift 2 ;;
        --switchover) kill_flag=""; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
work=$(mktemp -d "${TMPDIR:-/tmp}/sensor-failover.XXXXXX")
chmod 755 "$work"
cluster="$work/cluster"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    Benchmarks/patroni-cluster.sh down "$cluster" > /dev/null 2>&1 || true
    if [ "${keep:-0}" = 1 ]; then echo "kept for a look: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

swift build -c release --static-swift-stdlib --product sensor-ingest >&2
swift build -c release --static-swift-stdlib --product sensor >&2
ingest="$repo/.build/release/sensor-ingest"
sensor="$repo/.build/release/sensor"

echo "starting the Patroni cluster…" >&2
Benchmarks/patroni-cluster.sh up "$cluster" > "$work/cluster.env"
# shellcheck disable=SC1090
source "$work/cluster.env"
url="$MULTI_HOST_URL"
# A token per laptop: a token binds to the first device that sends with it.
tokens=()
for laptop in 1 2; do
    tokens+=("$("$ingest" token create --database "$url" --name "laptop-$laptop" 2> /dev/null | grep -o 'sst_[0-9a-f]*')")
done

endpoints=()
for replica in 1 2; do
    "$ingest" serve --database "$url" --port 0 > "$work/serve$replica.out" 2> "$work/serve$replica.log" &
    pids+=($!)
    for _ in $(seq 200); do grep -q listening "$work/serve$replica.out" 2> /dev/null && break; sleep 0.1; done
    endpoints+=("$(grep -o 'http://[0-9.:]*' "$work/serve$replica.out")")
done

# Two laptops: generated homes, each with a transcript the writer appends to.
for laptop in 1 2; do
    python3 "$shared/tools/gen_corpus.py" "$work/home$laptop" --mb "$((mb / 2))" --seed "$((40 + laptop))" > /dev/null
    mkdir -p "$work/home$laptop/.claude/projects/-work-failover"
done
writer() {  # appends a line every 50 ms for $seconds to each home's live transcript
    local end=$(( $(date +%s) + seconds )) n=0
    while [ "$(date +%s)" -lt "$end" ]; do
        n=$((n + 1))
        for laptop in 1 2; do
            printf '{"type":"user","uuid":"f%d-%d","sessionId":"failover-%d","timestamp":"2026-12-06T12:00:00Z","message":{"role":"user","content":"line %d of the failover run"}}\n' \
                "$laptop" "$n" "$laptop" "$n" >> "$work/home$laptop/.claude/projects/-work-failover/failover-$laptop.jsonl"
        done
        sleep 0.05
    done
}
start=$(date +%s.%N)
for laptop in 1 2; do
    SENSOR_TOKEN=${tokens[$((laptop - 1))]} "$sensor" run --home "$work/home$laptop" --state-dir "$work/state$laptop" \
        --endpoint "${endpoints[$((laptop - 1))]}" > /dev/null 2> "$work/sensor$laptop.log" &
    pids+=($!)
done
writer &
writer_pid=$!

sleep "$kill_at"
echo "failing over (${kill_flag:-switchover}) at +${kill_at} s…" >&2
Benchmarks/patroni-cluster.sh failover "$cluster" $kill_flag > "$work/failover.env"
# shellcheck disable=SC1090
source "$work/failover.env"
wait "$writer_pid"

# Everything read must be acknowledged: stop the sensors, then a scan with the same state
# must find nothing unacknowledged (exit 0).
for pid in "${pids[@]:2}"; do kill -TERM "$pid" 2> /dev/null || true; wait "$pid" 2> /dev/null || true; done
scans=()
for laptop in 1 2; do
    set +e
    SENSOR_TOKEN=${tokens[$((laptop - 1))]} "$sensor" scan --home "$work/home$laptop" --state-dir "$work/state$laptop" \
        --endpoint "${endpoints[$((laptop - 1))]}" --quiet 2>> "$work/sensor$laptop.log"
    scans+=($?)
    set -e
done
elapsed=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")

# What each home holds, counted by a fresh scan of it, against what the store holds.
expected=0
for laptop in 1 2; do
    "$sensor" scan --home "$work/home$laptop" --state-dir "$work/fresh$laptop" --output "$work/fresh$laptop.ndjson" --quiet 2> /dev/null
    expected=$((expected + $(wc -l < "$work/fresh$laptop.ndjson")))
done
stored=$("$ingest" stats --database "$url" --json 2> /dev/null | python3 -c "import json, sys; print(sum(c['envelopes'] for c in json.load(sys.stdin)))")
appended=$(cat "$work"/home*/.claude/projects/-work-failover/*.jsonl | wc -l)
for _ in $(seq 120); do
    pending=$("$ingest" status --database "$url" --json 2> /dev/null | python3 -c "import json, sys; print(sum(l['pending'] for l in json.load(sys.stdin)))")
    [ "$pending" = 0 ] && break
    sleep 1
done
switches=$(cat "$work"/serve*.log | grep -c "takes writes" || true)

cat <<EOF
failover: 2 sensor-ingest replicas on a 2-node Patroni cluster (synchronous replication), multi-host URL;
  2 laptops (sensor run, ${mb} MB generated) and a writer appending $appended lines over ${seconds} s
failover (${kill_flag:-switchover}) at +${kill_at} s: new leader on port $NEW_LEADER_PORT after $FAILOVER_SECONDS s
replicas' pool moves to the host that takes writes: $switches (log lines, both replicas, start included)
final scans exit (0: everything each sensor read was acknowledged): ${scans[*]}; run $elapsed s
envelopes: stored $stored, a fresh scan of the homes gives $expected; normalising pending at the end: $pending
EOF
if [ "$stored" != "$expected" ] || [ "${scans[0]}" != 0 ] || [ "${scans[1]}" != 0 ] || [ "$pending" != 0 ]; then
    echo "FAILED: envelopes lost, repeated or unacknowledged" >&2
    tail -n 5 "$work"/serve*.log "$work"/sensor*.log >&2
    keep=1
    exit 1
fi
echo "check: PASS (every acknowledged envelope stored once, after the failover too)"
