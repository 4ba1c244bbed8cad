#!/usr/bin/env bash
# Append-to-server latency of `sensor run` (release): a line appended to a watched JSONL file
# until the loopback sink has it. Prints p50, p95 and max over --samples appends.
#
#   Benchmarks/latency.sh [--samples 40]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd); shared="$repo/../shared"
samples=40
[ "${1:-}" = "--samples" ] && samples=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/sensor-latency.XXXXXX")
sink_pid=""; run_pid=""
trap 'kill $sink_pid $run_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

swift build -c release --static-swift-stdlib --product sensor >&2
mkdir -p "$work/home/logs" "$work/sources.d"
echo '{"start":true}' > "$work/home/logs/live.jsonl"
cat > "$work/sources.d/live.yaml" <<YAML
sources:
  - {id: live.log, kind: live.log, roots: {default: ["~/logs"]}, include: ["*.jsonl"], format: jsonl, offset: byte, poll_interval: 30}
YAML
port=$((20000 + RANDOM % 20000))
python3 "$shared/bench/sink.py" --port "$port" --verify --stats "$work/stats.json" > /dev/null 2>&1 &
sink_pid=$!
sleep 0.5
SENSOR_TOKEN=bench "$repo/.build/release/sensor" run --home "$work/home" --sources-dir "$work/sources.d" \
    --state-dir "$work/state" --endpoint "http://127.0.0.1:$port" 2> /dev/null &
run_pid=$!

python3 - "$work" "$samples" <<'PY'
import json, os, statistics, sys, time
work, samples = sys.argv[1], int(sys.argv[2])
def ids():
    try:
        return json.load(open(os.path.join(work, "stats.json")))["ids"]
    except Exception:
        return 0
deadline = time.time() + 30
while ids() < 1 and time.time() < deadline:
    time.sleep(0.01)
latencies = []
for n in range(samples):
    before = ids()
    with open(os.path.join(work, "home/logs/live.jsonl"), "a") as f:
        f.write(json.dumps({"n": n, "t": time.time()}) + "\n")
    start = time.time()
    while ids() <= before:
        if time.time() - start > 10:
            print("sample", n, "not delivered within 10 s"); sys.exit(1)
        time.sleep(0.002)
    latencies.append(time.time() - start)
    time.sleep(0.2)
latencies.sort()
p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)]
print(f"append-to-server latency over {samples} appends (inotify, polling at 30 s): "
      f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
PY
