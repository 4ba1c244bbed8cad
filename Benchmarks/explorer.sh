#!/usr/bin/env bash
# The explorer's pages on a big store (release `sensor-ingest`): a store of at least
# --messages generated messages (one session of 5,000), then p50/p95/max of each page over
# --requests kept-alive requests of a signed-in client on 127.0.0.1.
#
#   Benchmarks/explorer.sh [--messages 1000000] [--requests 40] [--store FILE]
#   Benchmarks/explorer.sh --store postgresql [--database URL] [--messages 10000000] [--sessions 100000]
#                          [--devices 1000] [--people 300]
#
# SQLite: --store keeps the generated store in FILE (and reuses it when it exists: filling a
# million messages takes about four minutes).
# PostgreSQL: the fleet-sized store is generated inside the server (`explorer.py
# fill-postgres`). With --database, an empty database there is migrated and filled, and a
# database filled before (it has a bench_filled table) is reused; without it, a PostgreSQL of
# its own is started (Debian's postgresql, 127.0.0.1, a free port) in a temporary directory
# and removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
messages=""
requests=40
store=""
database=""
fleet=()
while [ $# -gt 0 ]; do
    case "$1" in
        --messages) messages=$2; shift 2 ;;
        --requests) requests=$2; shift 2 ;;
        --store) store=$2; shift 2 ;;
        --database) database=$2; shift 2 ;;
        --sessions|--devices|--people) fleet+=("$1" "$2"); shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
work=$(mktemp -d "${TMPDIR:-/tmp}/sensor-explorer.XXXXXX")
server_pid=""
pg_dir=""
stop_postgres() { [ -z "$pg_dir" ] || runuser_maybe "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop > /dev/null 2>&1 || true; }
trap 'kill $server_pid 2>/dev/null || true; wait 2>/dev/null || true; stop_postgres; rm -rf "$work"' EXIT
runuser_maybe() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

swift build -c release --static-swift-stdlib --product sensor-ingest >&2
ingest="$repo/.build/release/sensor-ingest"
if [ "$store" = postgresql ]; then
    if [ -z "$database" ]; then
        # A PostgreSQL of its own, as scripts/ci-postgres.sh makes one (no fsync: a benchmark, never data).
        pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1)
        [ -n "$pg_bin" ] || { echo "needs PostgreSQL (apt-get install postgresql) or --database URL" >&2; exit 1; }
        pg_dir="$work/pg"; mkdir -p "$pg_dir"; chmod 755 "$work"
        [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$pg_dir"
        runuser_maybe "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -E UTF8 --auth-local=trust --auth-host=trust --no-instructions > /dev/null
        port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        runuser_maybe "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w start \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir -c fsync=off -c full_page_writes=off -c shared_buffers=1GB" > /dev/null
        database="postgres://postgres@127.0.0.1:$port/postgres"
    fi
    "$ingest" token create --name bench-reader --scope read --database "$database" > "$work/read" 2> /dev/null
    if python3 Benchmarks/explorer.py filled "$database" > "$work/filled.json" 2> /dev/null; then
        echo "reusing the filled store: $(cat "$work/filled.json")" >&2
    else
        echo "filling the store (${messages:-10000000} messages)…" >&2
        start=$(date +%s)
        python3 Benchmarks/explorer.py fill-postgres "$database" --messages "${messages:-10000000}" "${fleet[@]}" > "$work/filled.json"
        echo "filled in $(( $(date +%s) - start )) s: $(cat "$work/filled.json")" >&2
    fi
    db="$database"
else
messages=${messages:-1000000}
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
fi
"$ingest" serve --port 0 --database "$db" > "$work/server.log" 2>&1 &
server_pid=$!
# A store filled outside the server has its costs estimated at the first start (millions of rows).
for _ in $(seq 3600); do
    grep -q "estimated costs" "$work/server.log" && grep -q "listening on" "$work/server.log" && break
    sleep 0.5
done
# SQLite: the generated rows wait in the search index's queue until the server indexes them.
if [ "$store" != postgresql ] && command -v sqlite3 > /dev/null; then
    for _ in $(seq 600); do
        [ "$(sqlite3 "$db" "SELECT (SELECT count(*) FROM norm_messages_unindexed) + (SELECT count(*) FROM norm_tool_calls_unindexed)" 2> /dev/null)" = 0 ] && break
        sleep 0.5
    done
fi
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/server.log" | head -1)
big=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["big_session"])' "$work/filled.json")
python3 Benchmarks/explorer.py time "$url" "$(cat "$work/read")" --requests "$requests" --big-session "$big"
