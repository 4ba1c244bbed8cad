#!/usr/bin/env bash
# Backfill, side by side: the release `sensor scan --endpoint` against the plain-Python peer
# (../shared/bench/peer_python/collector.py), same corpus, same loopback sink, alternating
# runs, fresh state each run. Prints a table per run and the peer/sensor ratios. The generated
# corpus gets one transcript with a 50 MB line (memory must not depend on line size).
#
#   Benchmarks/backfill.sh [--mb 1000] [--pairs 3] [--level 2 (the sensor default)] [--corpus DIR]
#                          [--zstd] [--scratch-path DIR]
#
# --zstd: each pair also runs the sensor against a release `sensor-ingest` on SQLite, which
# says it takes zstd (the neutral sink speaks gzip only): the sensor's CPU and its bytes on the
# wire (from its own summary) beside the peer's. --scratch-path: the build folder to use.
#
# Needs the isal package (igzip) for the compressor-alone floor at levels 0-3.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
shared="$repo/../shared"

mb=1000; pairs=3; level=2; corpus=""; zstd=0; scratch=".build"
while [ $# -gt 0 ]; do
    case "$1" in
        --mb) mb=$2; shift 2 ;;
        --pairs) pairs=$2; shift 2 ;;
        --level) level=$2; shift 2 ;;
        --corpus) corpus=$2; shift 2 ;;
        --zstd) zstd=1; shift ;;
        --scratch-path) scratch=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/sensor-bench.XXXXXX")
ingest_pid=""
trap 'kill $sink_pid $ingest_pid 2>/dev/null || true; rm -rf "$work"' EXIT
if [ -z "$corpus" ]; then
    corpus="$work/home"
    echo "generating a ${mb} MB corpus in $corpus" >&2
    python3 "$shared/tools/gen_corpus.py" "$corpus" --mb "$mb" > "$work/corpus.json"
    # Memory must not depend on line size: one transcript holds a 50 MB line (a pasted image).
    python3 - "$corpus/.claude/projects/-bench-big-line" <<'PY'
import base64, json, os, random, sys
os.makedirs(sys.argv[1], exist_ok=True)
data = base64.b64encode(random.Random(1).randbytes(37_500_000)).decode()
record = {"type": "user", "sessionId": "big", "uuid": "big", "message": {"role": "user", "content": [
    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}]}}
with open(os.path.join(sys.argv[1], "big.jsonl"), "w") as f:
    f.write(json.dumps({"type": "user", "uuid": "before", "message": {"content": "look"}}) + "\n")
    f.write(json.dumps(record) + "\n")
    f.write(json.dumps({"type": "assistant", "uuid": "after", "message": {"content": "a cat"}}) + "\n")
PY
fi
input_bytes=$(find "$corpus" -type f \( -name '*.jsonl' -o -name '*.vscdb' \) -printf '%s\n' | awk '{s+=$1} END {print s}')

swift build -c release --static-swift-stdlib --product sensor --scratch-path "$scratch" >&2
sensor="$repo/$scratch/release/sensor"
if [ "$zstd" = 1 ]; then
    swift build -c release --static-swift-stdlib --product sensor-ingest --scratch-path "$scratch" >&2
fi

# The same sources for both: the corpus's JSONL files and the Cursor database.
mkdir -p "$work/sources.d"
cat > "$work/sources.d/bench.yaml" <<YAML
sources:
  - {id: bench.claude, kind: claude-code.transcript, roots: {default: ["~/.claude"]}, include: ["projects/**/*.jsonl"], format: jsonl, offset: byte}
  - {id: bench.codex, kind: codex.rollout, roots: {default: ["~/.codex"]}, include: ["sessions/**/*.jsonl"], format: jsonl, offset: byte}
  - {id: bench.openclaw, kind: openclaw.transcript, roots: {default: ["~/.openclaw"]}, include: ["agents/*/sessions/*.jsonl"], format: jsonl, offset: byte}
  - id: bench.cursor
    kind: cursor.kv
    roots: {default: ["~/.config/Cursor/User"]}
    include: ["globalStorage/state.vscdb"]
    format: sqlite
    offset: cursor
    sqlite: {query: "SELECT rowid AS _cursor, key, value FROM cursorDiskKV WHERE rowid > :cursor ORDER BY rowid LIMIT :limit", page_size: 1000}
YAML
cat > "$work/peer.json" <<JSON
{"sources": [
  {"id": "bench.claude", "format": "jsonl", "globs": ["$corpus/.claude/projects/**/*.jsonl"]},
  {"id": "bench.codex", "format": "jsonl", "globs": ["$corpus/.codex/sessions/**/*.jsonl"]},
  {"id": "bench.openclaw", "format": "jsonl", "globs": ["$corpus/.openclaw/agents/*/sessions/*.jsonl"]},
  {"id": "bench.cursor", "format": "sqlite", "globs": ["$corpus/.config/Cursor/User/globalStorage/state.vscdb"],
   "query": "SELECT rowid AS cursor, key, value FROM cursorDiskKV WHERE rowid > ? ORDER BY rowid"}],
 "batch_records": 2000, "batch_bytes": 4000000}
JSON

port=$((20000 + RANDOM % 20000))
# --verify: the sink inflates and parses every batch and counts records and distinct ids.
python3 "$shared/bench/sink.py" --port "$port" --verify --stats "$work/sink.json" > /dev/null 2>&1 &
sink_pid=$!
sleep 0.5
# What the sink has received so far: bytes on the wire and records.
received() { python3 -c "import json;s=json.load(open('$work/sink.json'));print(s['bytes'], s['records'])" 2>/dev/null || echo 0 0; }

measure() {  # name, command...
    local name=$1; shift
    local bytes_before records_before bytes_after records_after
    read -r bytes_before records_before < <(received)
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > /dev/null 2> "$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
    read -r bytes_after records_after < <(received)
    read -r wall user sys rss < "$work/time"
    echo "$name $wall $user $sys $rss $((bytes_after - bytes_before)) $((records_after - records_before))"
}

# Our own server, for the zstd arm: a fresh SQLite store for each run (nothing a duplicate).
start_ingest() {
    if [ -n "$ingest_pid" ]; then kill "$ingest_pid" 2>/dev/null || true; wait "$ingest_pid" 2>/dev/null || true; fi
    rm -rf "$work/ingest"; mkdir -p "$work/ingest"
    "$repo/$scratch/release/sensor-ingest" token create --name bench --database "$work/ingest/store.db" 2> /dev/null > "$work/ingest/token"
    chmod 600 "$work/ingest/token"
    "$repo/$scratch/release/sensor-ingest" serve --host 127.0.0.1 --port 0 --database "$work/ingest/store.db" > "$work/ingest/log" 2>&1 &
    ingest_pid=$!
    for _ in $(seq 1 100); do grep -q "listening on" "$work/ingest/log" 2>/dev/null && break; sleep 0.1; done
    ingest_endpoint=$(grep -o "http://127.0.0.1:[0-9]*" "$work/ingest/log" | head -1)
}
measure_ingest() {  # level: the sensor against our server: CPU from time(1), bytes from its own summary
    local zstd_level=$1
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$sensor" scan --home "$corpus" --sources-dir "$work/sources.d" \
        --state-dir "$work/state" --endpoint "$ingest_endpoint" --token-file "$work/ingest/token" \
        --set "upload.zstd_level=$zstd_level" > /dev/null 2> "$work/stderr" \
        || { cat "$work/stderr" >&2; exit 1; }
    read -r wall user sys rss < "$work/time"
    local bytes records
    bytes=$(grep -o 'bytes_on_wire=[0-9]*' "$work/stderr" | tail -1 | cut -d= -f2)
    records=$(grep -o 'acknowledged=[0-9]*' "$work/stderr" | tail -1 | cut -d= -f2)
    echo "sensor-zstd$zstd_level $wall $user $sys $rss $bytes $records"
}

echo "corpus: $((input_bytes / 1000000)) MB of raw input; gzip level $level; $pairs pairs" >&2
results="$work/results"
: > "$results"
for pair in $(seq 1 "$pairs"); do
    rm -rf "$work/state" "$work/peer-state.json"
    SENSOR_TOKEN=bench measure sensor "$sensor" scan --home "$corpus" --sources-dir "$work/sources.d" --state-dir "$work/state" \
        --endpoint "http://127.0.0.1:$port" --quiet --set "upload.gzip_level=$level" >> "$results"
    measure peer python3 "$shared/bench/peer_python/collector.py" --config "$work/peer.json" --state "$work/peer-state.json" \
        --endpoint "http://127.0.0.1:$port/api/v1/ingest/local-sessions" --once >> "$results"
    if [ "$zstd" = 1 ]; then
        for zstd_level in 3 1; do
            start_ingest
            rm -rf "$work/state"
            measure_ingest "$zstd_level" >> "$results"
        done
    fi
done

# The floor: the same compressor alone over the same envelope bytes.
rm -rf "$work/state"
"$sensor" scan --home "$corpus" --sources-dir "$work/sources.d" --state-dir "$work/state" --output "$work/envelopes.ndjson" 2> /dev/null
if [ "$level" -le 3 ] && command -v igzip > /dev/null; then
    /usr/bin/time -f "%U %S" -o "$work/floor" igzip "-$level" -c "$work/envelopes.ndjson" > /dev/null
    floor_name="igzip -$level"
elif [ "$level" -gt 3 ] && command -v libdeflate-gzip > /dev/null; then
    /usr/bin/time -f "%U %S" -o "$work/floor" libdeflate-gzip "-$level" -c "$work/envelopes.ndjson" > /dev/null
    floor_name="libdeflate-gzip -$level"
else
    /usr/bin/time -f "%U %S" -o "$work/floor" gzip "-$level" -c "$work/envelopes.ndjson" > /dev/null
    floor_name="gzip -$level"
fi
read -r floor_user floor_sys < "$work/floor"
# And the peer's compressor (zlib level 6) on the same bytes.
/usr/bin/time -f "%U %S" -o "$work/zlib" gzip -6 -c "$work/envelopes.ndjson" > /dev/null
read -r zlib_user zlib_sys < "$work/zlib"

python3 - "$results" "$input_bytes" "$floor_user" "$floor_sys" "$floor_name" "$zlib_user" "$zlib_sys" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
input_mb = int(sys.argv[2]) / 1e6
floor = float(sys.argv[3]) + float(sys.argv[4])
zlib = float(sys.argv[6]) + float(sys.argv[7])
print(f"| run | wall s | CPU s (user+sys) | MB input / CPU s | MB on wire | peak RSS MiB | records |")
print(f"|---|---|---|---|---|---|---|")
from collections import defaultdict
cpu, wire, rss, wall = defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list)
for name, w, u, s, m, b, r in rows:
    c = float(u) + float(s)
    cpu[name].append(c); wire[name].append(int(b)); rss[name].append(int(m) / 1024); wall[name].append(float(w))
    print(f"| {name} | {float(w):.2f} | {c:.2f} | {input_mb / c:.0f} | {int(b) / 1e6:.1f} | {int(m) / 1024:.0f} | {r} |")
ratios = [p / s for p, s in zip(cpu["peer"], cpu["sensor"])]
print()
print(f"CPU ratio peer/sensor per pair: {', '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}")
print(f"wall ratio peer/sensor (median): {statistics.median([p / s for p, s in zip(wall['peer'], wall['sensor'])]):.2f}")
print(f"bytes on the wire sensor/peer (median): {statistics.median([s / p for p, s in zip(wire['peer'], wire['sensor'])]):.2f}")
print(f"peak RSS MiB: sensor {max(rss['sensor']):.0f}, peer {max(rss['peer']):.0f}")
for arm in ("sensor-zstd3", "sensor-zstd1"):
    if cpu[arm]:
        zratios = [p / s for p, s in zip(cpu["peer"], cpu[arm])]
        print(f"{arm} to sensor-ingest: CPU ratio peer/sensor per pair: {', '.join(f'{r:.2f}' for r in zratios)}; "
              f"median {statistics.median(zratios):.2f}; bytes on the wire sensor/peer (median): "
              f"{statistics.median([s / p for p, s in zip(wire['peer'], wire[arm])]):.3f}")
print(f"compressor alone ({sys.argv[5]}) on the sensor's envelope bytes: {floor:.2f} CPU s; "
      f"sensor/floor (median) {statistics.median(cpu['sensor']) / floor:.2f}")
print(f"zlib alone (gzip -6, the peer's compressor) on the same bytes: {zlib:.2f} CPU s; "
      f"sensor/zlib (median) {statistics.median(cpu['sensor']) / zlib:.2f}")
PY
