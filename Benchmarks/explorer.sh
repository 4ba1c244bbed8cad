#!/usr/bin/env bash
# The explorer's pages on a big store (release `sensor-ingest`, SQLite): a store of at least
# --messages generated messages (one session of 5,000), then p50/p95/max of each page over
# --requests kept-alive requests of a signed-in client on 127.0.0.1.
#
#   Benchmarks/explorer.sh [--messages 1000000] [--requests 40] [--store FILE]
#
# --store keeps the generated store in FILE (and reuses it when it exists: filling a million
# messages takes about four minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
messages=1000000
requests=40
store=""
while [ $# -gt 0 ]; do
    case "$1" in
        --messages) messages=$2; shift 2 ;;
        --requests) requests=$2; shift 2 ;;
        --store) store=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
work=$(mktemp -d "${TMPDIR:-/tmp}/sensor-explorer.XXXXXX")
server_pid=""
trap 'kill $server_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

swift build -c release --static-swift-stdlib --product sensor-ingest >&2
ingest="$repo/.build/release/sensor-ingest"
db="${store:-$work/store.db}"
if [ -s "$db" ] && [ -s "$db.filled.json" ]; then
    cp "$db.filled.json" "$work/filled.json"
    "$ingest" token create --name bench-reader --scope read --database "$db" > "$work/read" 2> /dev/null
else
    "$ingest" token create --name bench-reader --scope read --database "$db" > "$work/read" 2> /dev/null
    echo "filling the store ($messages messages)…" >&2
    start=$(date +%s)
    python3 Benchmarks/explorer.py fill "$db" --messages "$messages" > "$work/filled.json"
    echo "filled in $(( $(date +%s) - start )) s: $(cat "$work/filled.json")" >&2
    [ -n "$store" ] && cp "$work/filled.json" "$db.filled.json"
fi
echo "store: $(du -h "$db" | cut -f1)" >&2
"$ingest" serve --port 0 --database "$db" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 600); do
    grep -q "estimated costs" "$work/server.log" && grep -q "listening on" "$work/server.log" && break
    sleep 0.5
done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/server.log" | head -1)
big=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["big_session"])' "$work/filled.json")
python3 Benchmarks/explorer.py time "$url" "$(cat "$work/read")" --requests "$requests" --big-session "$big"
