#!/usr/bin/env bash
# Normalising, side by side with agentsview on one corpus in one run:
#   1. `sensor scan` sends the corpus to a release `sensor-ingest serve` on SQLite, which
#      stores and normalises it as it arrives (the server's CPU for both is shown), and once
#      more to a server that only stores it (its normaliser lease held by another holder):
#      the difference is what normalising during ingest costs;
#   2. `sensor-ingest reparse` normalises the whole store again (CPU, peak memory);
#   3. agentsview (PyPI package `agentsview`, installed into a scratch virtualenv) runs
#      `AGENTSVIEW_NO_DAEMON=1 agentsview sync` with HOME set to a copy of the corpus.
# Prints CPU seconds, peak RSS and the stores' sizes, and the ratios.
#
#   Benchmarks/normalise.sh [--mb 200] [--seed 11] [--corpus DIR] [--agentsview-version 0.46.1]
# The real files of ../shared/fixtures as a corpus: scripts/fixture-home.sh DIR, then --corpus DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd); shared="$repo/../shared"
mb=200; seed=11; corpus=""; agentsview_version=0.46.1
while [ $# -gt 0 ]; do
    case "$1" in
        --mb) mb=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --corpus) corpus=$2; shift 2 ;;
        --agentsview-version) agentsview_version=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
command -v sqlite3 > /dev/null || { echo "needs the sqlite3 command (apt-get install sqlite3)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sensor-normalise.XXXXXX")
serve_pid=""
trap 'kill $serve_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
if [ -z "$corpus" ]; then
    corpus="$work/home"
    echo "generating a ${mb} MB corpus (seed $seed)" >&2
    python3 "$shared/tools/gen_corpus.py" "$corpus" --mb "$mb" --seed "$seed" > /dev/null
fi
input_bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')

echo "installing agentsview $agentsview_version into a scratch virtualenv" >&2
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "agentsview==$agentsview_version" >&2

swift build -c release --static-swift-stdlib --product sensor-ingest >&2
swift build -c release --static-swift-stdlib --product sensor >&2
ingest="$repo/.build/release/sensor-ingest"
sensor="$repo/.build/release/sensor"
store="$work/store.db"

# 1. Ingest, normalising as it arrives; then again into a store whose normaliser lease another
#    holder keeps, which only stores.
serve() {  # serve STORE TIMEFILE [SQL run on the new store before the server starts]
    local token port
    token=$("$ingest" token create --database "$1" --name bench 2> /dev/null | grep -o 'sst_[0-9a-f]*')
    [ -z "${3:-}" ] || sqlite3 "$1" "$3"
    rm -rf "$work/state" "$work/serve.out"
    /usr/bin/time -f "%U %S %M" -o "$2" "$ingest" serve --database "$1" --port 0 > "$work/serve.out" 2> /dev/null &
    serve_pid=$!
    for _ in $(seq 100); do grep -q listening "$work/serve.out" 2> /dev/null && break; sleep 0.1; done
    port=$(grep -o '[0-9]*$' "$work/serve.out")
    SENSOR_TOKEN=$token "$sensor" scan --home "$corpus" --state-dir "$work/state" --endpoint "http://127.0.0.1:$port" --quiet 2> /dev/null
}
stop_serving() { pkill -INT -P "$serve_pid"; wait "$serve_pid" 2> /dev/null || true; serve_pid=""; }
serve "$store" "$work/serve.time"
normalised() { sqlite3 "$store" "SELECT (SELECT last_seq FROM norm_progress) >= (SELECT max(rowid) FROM raw_envelopes)" 2> /dev/null || echo 0; }
until [ "$(normalised)" = 1 ]; do sleep 0.5; done
stop_serving
read -r serve_user serve_sys serve_rss < "$work/serve.time"
envelopes=$(sqlite3 "$store" "SELECT count(*) FROM raw_envelopes")
serve "$work/stored-only.db" "$work/stored-only.time" \
    "UPDATE norm_lease SET holder = 'benchmark: not normalising', expires_at = 9223372036854775807 WHERE id = 1"
stop_serving
read -r stored_user stored_sys _ < "$work/stored-only.time"
[ "$(sqlite3 "$work/stored-only.db" "SELECT count(*) FROM raw_envelopes")" = "$envelopes" ] || { echo "the store-only pass lost envelopes" >&2; exit 1; }
rm -f "$work/stored-only.db"*

# 2. The whole store normalised again.
/usr/bin/time -f "%U %S %M" -o "$work/reparse.time" "$ingest" reparse --database "$store" > /dev/null 2>&1
read -r reparse_user reparse_sys reparse_rss < "$work/reparse.time"
sqlite3 "$store" "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
store_bytes=$(stat -c %s "$store")
raw_bytes=$(sqlite3 "$store" "SELECT sum(length(CAST(envelope AS BLOB))) FROM raw_envelopes")

# 3. agentsview over a copy of the same corpus (it writes ~/.agentsview beside it).
cp -r "$corpus" "$work/agentsview-home"
AGENTSVIEW_NO_DAEMON=1 HOME="$work/agentsview-home" /usr/bin/time -f "%U %S %M" -o "$work/agentsview.time" \
    "$work/venv/bin/agentsview" sync > "$work/agentsview.out" 2>&1
read -r av_user av_sys av_rss < "$work/agentsview.time"
av_bytes=$(find "$work/agentsview-home/.agentsview" -name '*.db*' -printf '%s\n' | awk '{s+=$1} END {print s}')

python3 - "$input_bytes" "$envelopes" "$serve_user" "$serve_sys" "$serve_rss" "$reparse_user" "$reparse_sys" "$reparse_rss" \
    "$store_bytes" "$raw_bytes" "$av_user" "$av_sys" "$av_rss" "$av_bytes" "$agentsview_version" "$stored_user" "$stored_sys" <<'PY'
import sys
(inp, envelopes, su, ss, srss, ru, rs, rrss, store, raw, au, asys, arss, av, version, stu, sts) = sys.argv[1:]
inp, store, raw, av = int(inp), int(store), int(raw), int(av)
serve, reparse, agents = float(su) + float(ss), float(ru) + float(rs), float(au) + float(asys)
stored = float(stu) + float(sts)
mb = lambda b: f"{b / 1e6:,.0f} MB"
mib = lambda kb: f"{int(kb) / 1024:,.0f} MiB"
print(f"corpus: {mb(inp)} of files, {int(envelopes):,} envelopes")
print(f"{'':44} {'CPU s':>8} {'peak RSS':>10} {'store':>10}")
print(f"{'agentsview ' + version + ' sync':44} {agents:8.1f} {mib(arss):>10} {mb(av):>10}")
print(f"{'sensor-ingest reparse (SQLite)':44} {reparse:8.1f} {mib(rrss):>10} {mb(store):>10}")
print(f"{'sensor-ingest serve: store and normalise':44} {serve:8.1f} {mib(srss):>10}")
print(f"{'sensor-ingest serve: store only':44} {stored:8.1f}")
print(f"agentsview CPU / reparse CPU: {agents / reparse:.2f}x (goal: at least 3x)")
print(f"agentsview CPU / serve CPU (ingest and normalise): {agents / serve:.2f}x")
print(f"normalising during ingest (serve - store only): {serve - stored:.1f} s, "
      f"{(serve - stored) / reparse:.2f}x the reparse's CPU (goal: the same rate)")
print(f"raw envelopes at rest / corpus: {raw / inp:.2f} (goal: at most 0.5)")
print(f"whole store / corpus: {store / inp:.2f}; agentsview's store / corpus: {av / inp:.2f}")
PY
