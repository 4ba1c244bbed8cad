#!/usr/bin/env bash
# Laptop-to-query latency: a Claude Code line appended to a transcript that `sensor run` watches,
# until the read API of a release `sensor-ingest serve` (SQLite) finds its words
# (`GET /api/v1/search`). Everything the path holds is in it: the sensor noticing the write,
# reading, batching, gzip and upload; the server storing, normalising and indexing.
# Prints p50, p95 and max over --samples appends (goal: p95 within 1 s).
#
#   Benchmarks/queryable.sh [--samples 40]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
samples=40
[ "${1:-}" = "--samples" ] && samples=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/sensor-queryable.XXXXXX")
serve_pid=""; run_pid=""
trap 'kill $serve_pid $run_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

swift build -c release --static-swift-stdlib --product sensor-ingest >&2
swift build -c release --static-swift-stdlib --product sensor >&2
ingest="$repo/.build/release/sensor-ingest"
store="$work/store.db"
ingest_token=$("$ingest" token create --database "$store" --name laptop 2> /dev/null | grep -o 'sst_[0-9a-f]*')
read_token=$("$ingest" token create --database "$store" --name reader --scope read 2> /dev/null | grep -o 'sst_[0-9a-f]*')
"$ingest" serve --database "$store" --port 0 > "$work/serve.out" 2> /dev/null &
serve_pid=$!
for _ in $(seq 100); do grep -q listening "$work/serve.out" 2> /dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$work/serve.out")

transcript="$work/home/.claude/projects/-work-app/0b5e2d7c-1c0f-4d4e-9a57-4f2d2f6d1a10.jsonl"
mkdir -p "$(dirname "$transcript")"
python3 - "$transcript" 0 <<'PY'
import json, sys
line = {"type": "user", "sessionId": "0b5e2d7c-1c0f-4d4e-9a57-4f2d2f6d1a10", "uuid": "u-start", "cwd": "/work/app",
        "timestamp": "2026-12-04T10:00:00.000Z", "message": {"role": "user", "content": "start"}}
open(sys.argv[1], "a").write(json.dumps(line) + "\n")
PY
SENSOR_TOKEN=$ingest_token "$repo/.build/release/sensor" run --home "$work/home" --state-dir "$work/state" --endpoint "$url" 2> /dev/null &
run_pid=$!

python3 - "$transcript" "$url" "$read_token" "$samples" <<'PY'
import json, statistics, sys, time, urllib.request
transcript, url, token, samples = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def found(word):
    request = urllib.request.Request(f"{url}/api/v1/search?q={word}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return bool(json.load(answer)["hits"])
deadline = time.time() + 30
while not found("start"):
    if time.time() > deadline: print("the first line never became queryable"); sys.exit(1)
    time.sleep(0.05)
latencies = []
for n in range(samples):
    word = f"quokka{n}zebra{int(time.time() * 1000)}"
    line = {"type": "user", "sessionId": "0b5e2d7c-1c0f-4d4e-9a57-4f2d2f6d1a10", "uuid": f"u-{n}", "cwd": "/work/app",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()), "message": {"role": "user", "content": f"please {word}"}}
    with open(transcript, "a") as f:
        f.write(json.dumps(line) + "\n")
    start = time.time()
    while not found(word):
        if time.time() - start > 10: print("sample", n, "not queryable within 10 s"); sys.exit(1)
        time.sleep(0.005)
    latencies.append(time.time() - start)
    time.sleep(0.2)
latencies.sort()
p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)]
print(f"append-to-queryable latency over {samples} appends (sensor run, inotify; serve on SQLite; read API search): "
      f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
PY
