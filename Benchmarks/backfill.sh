#!/usr/bin/env bash
# Backfill, side by side: the release `sensor scan --endpoint` against the plain-Python peer
# (../shared/bench/peer_python/collector.py), same corpus, same loopback sink, alternating
# runs, fresh state each run. Prints a table per run and the peer/sensor ratios.
#
#   Benchmarks/backfill.sh [--mb 1000] [--pairs 3] [--level 1 (the sensor default)] [--corpus DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
shared="$repo/../shared"

mb=1000; pairs=3; level=1; corpus=""
while [ $# -gt 0 ]; do
    case "$1" in
        --mb) mb=$2; shift 2 ;;
        --pairs) pairs=$2; shift 2 ;;
        --level) level=$2; shift 2 ;;
        --corpus) corpus=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/sensor-bench.XXXXXX")
trap 'kill $sink_pid 2>/dev/null || true; rm -rf "$work"' EXIT
if [ -z "$corpus" ]; then
    corpus="$work/home"
    echo "generating a ${mb} MB corpus in $corpus" >&2
    python3 "$shared/tools/gen_corpus.py" "$corpus" --mb "$mb" > "$work/corpus.json"
fi
input_bytes=$(find "$corpus" -type f \( -name '*.jsonl' -o -name '*.vscdb' \) -printf '%s\n' | awk '{s+=$1} END {print s}')

swift build -c release --product sensor >&2
sensor="$repo/.build/release/sensor"

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
python3 "$shared/bench/sink.py" --port "$port" --stats "$work/sink.json" > /dev/null 2>&1 &
sink_pid=$!
sleep 0.5
wire() { python3 -c "import json;print(json.load(open('$work/sink.json'))['bytes'])" 2>/dev/null || echo 0; }

measure() {  # name, command...
    local name=$1; shift
    local before; before=$(wire)
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > /dev/null 2> "$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
    local after; after=$(wire)
    read -r wall user sys rss < "$work/time"
    echo "$name $wall $user $sys $rss $((after - before))"
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
done

# The floor: the same compressor alone over the same envelope bytes.
rm -rf "$work/state"
"$sensor" scan --home "$corpus" --sources-dir "$work/sources.d" --state-dir "$work/state" --output "$work/envelopes.ndjson" 2> /dev/null
if command -v libdeflate-gzip > /dev/null; then
    /usr/bin/time -f "%U %S" -o "$work/floor" libdeflate-gzip "-$level" -c "$work/envelopes.ndjson" > /dev/null
    floor_name="libdeflate-gzip -$level"
else
    /usr/bin/time -f "%U %S" -o "$work/floor" gzip "-$level" -c "$work/envelopes.ndjson" > /dev/null
    floor_name="gzip -$level"
fi
read -r floor_user floor_sys < "$work/floor"

python3 - "$results" "$input_bytes" "$floor_user" "$floor_sys" "$floor_name" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
input_mb = int(sys.argv[2]) / 1e6
floor = float(sys.argv[3]) + float(sys.argv[4])
print(f"| run | wall s | CPU s (user+sys) | MB input / CPU s | MB on wire | peak RSS MiB |")
print(f"|---|---|---|---|---|---|")
cpu = {"sensor": [], "peer": []}; wire = {"sensor": [], "peer": []}; rss = {"sensor": [], "peer": []}; wall = {"sensor": [], "peer": []}
for name, w, u, s, m, b in rows:
    c = float(u) + float(s)
    cpu[name].append(c); wire[name].append(int(b)); rss[name].append(int(m) / 1024); wall[name].append(float(w))
    print(f"| {name} | {float(w):.2f} | {c:.2f} | {input_mb / c:.0f} | {int(b) / 1e6:.1f} | {int(m) / 1024:.0f} |")
ratios = [p / s for p, s in zip(cpu["peer"], cpu["sensor"])]
print()
print(f"CPU ratio peer/sensor per pair: {', '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}")
print(f"wall ratio peer/sensor (median): {statistics.median([p / s for p, s in zip(wall['peer'], wall['sensor'])]):.2f}")
print(f"bytes on the wire sensor/peer (median): {statistics.median([s / p for p, s in zip(wire['peer'], wire['sensor'])]):.2f}")
print(f"peak RSS MiB: sensor {max(rss['sensor']):.0f}, peer {max(rss['peer']):.0f}")
print(f"compressor alone ({sys.argv[5]}) on the sensor's envelope bytes: {floor:.2f} CPU s; "
      f"sensor/floor (median) {statistics.median(cpu['sensor']) / floor:.2f}")
PY
