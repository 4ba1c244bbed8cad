#!/usr/bin/env bash
# Exports in bounded memory (release `sensor-ingest`, SQLite): two stores of generated sessions
# started over a year (--small and --large messages, the larger ten times the smaller), each
# exported whole as session summaries (NDJSON) and usage (CSV); peak RSS and seconds of each.
# Memory that does not grow with the store is what "streamed a page at a time" means.
#
#   Benchmarks/export.sh [--small 100000] [--large 1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
small=100000
large=1000000
while [ $# -gt 0 ]; do
    case "$1" in
        --small) small=$2; shift 2 ;;
        --large) large=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
work=$(mktemp -d "${TMPDIR:-/tmp}/sensor-export.XXXXXX")
trap 'rm -rf "$work"' EXIT

swift build -c release --static-swift-stdlib --product sensor-ingest >&2
ingest="$repo/.build/release/sensor-ingest"
printf "%-9s %-9s %-10s %-8s %-10s %-9s %s\n" messages sessions export rows bytes "peak RSS" seconds
for messages in "$small" "$large"; do
    db="$work/store-$messages.db"
    "$ingest" token create --name bench --scope read --database "$db" > /dev/null 2>&1
    python3 Benchmarks/explorer.py fill "$db" --messages "$messages" --days 365 > "$work/filled.json"
    sessions=$(sqlite3 "$db" "SELECT count(*) FROM norm_sessions")
    for export in "sessions --format ndjson" "usage --format csv"; do
        # shellcheck disable=SC2086
        /usr/bin/time -f "%M %e" -o "$work/time" "$ingest" export $export --database "$db" > "$work/out"
        read -r rss seconds < "$work/time"
        printf "%-9s %-9s %-10s %-8s %-10s %-9s %s\n" "$messages" "$sessions" "${export%% *}" "$(wc -l < "$work/out")" \
            "$(wc -c < "$work/out")" "$((rss / 1024)) MB" "$seconds"
    done
done
