#!/usr/bin/env bash
# A fleet against PostgreSQL: N laptops (real `sensor run` processes, each with its own home
# from ../shared/tools/gen_corpus.py and its own state dir, so its own device and token) send
# through a round-robin TCP balancer (Python asyncio, skips a replica that refuses) to M release
# `sensor-ingest serve` replicas on one throwaway PostgreSQL cluster of its own (Debian's
# /usr/lib/postgresql/*/bin, 127.0.0.1 only, a free port, in a temp dir removed at exit).
#   1. backfill: the sensors start staggered; envelopes/s until all are stored, then normalised;
#   2. live, quiet: a Claude Code line with a unique word appended to a transcript, one at a
#      time, until the read API (`GET /api/v1/search`, read token, through the balancer) finds
#      it: append-to-queryable p50/p95/max;
#   3. a second wave of session files appears in every home while appends keep being measured,
#      and (unless --no-faults) kill -9 of a replica (restarted after 5 s), PostgreSQL's fast
#      restart, pg_terminate_backend of every connection, kill -9 of the other replica, and
#      pg_terminate_backend again;
#   4. the sensors stop (SIGTERM), a last `sensor scan` per laptop with its state dir must exit
#      0, every lane's `pending` must be 0 (`sensor-ingest status --json`); then
#      (a) raw envelopes stored = the records counted in the homes' files (JSONL lines; Cursor
#          rows the built-in sources select), with a fresh-state `sensor scan --output` beside;
#      (b) every normalised table's rows (count and key digest of sessions, messages, tool
#          calls, usage) and token sums unchanged by `sensor-ingest reparse` (the incremental
#          normalising under faults = a rebuild from raw).
# Prints envelopes/s, CPU s per 1,000 envelopes for the laptops, the replicas, PostgreSQL (all
# its processes, through wait4 of the postmaster, which the script runs itself) and the
# balancer, and the latencies. Exits 1 when (a) or (b) fails. Needs postgresql (apt-get).
#
#   Benchmarks/fleet.sh [--laptops 12] [--replicas 2] [--mb-per-laptop 4] [--seed 100]
#                       [--samples 20] [--stagger 0.5] [--no-faults] [--prime-cursor]
#                       [--json-out FILE] [--compare-with FILE] [--logs DIR]
#
# --json-out: the figures as JSON; --compare-with: a JSON of an earlier run (e.g. --replicas 1)
# to print server CPU per envelope side by side; --logs: keep the replicas', sensors' and
# PostgreSQL's logs there. --prime-cursor: read each home once with `sensor scan --dry-run`
# before the fleet starts. Without it (the default: homes as gen_corpus.py leaves them),
# `sensor run` has been seen to spin right after its backfill: ~1,000 empty passes a second,
# each re-opening Cursor's state.vscdb, a core per laptop (the laptops' CPU figure shows it).
# A primed home does not spin at first, but does once a new project folder appears (the
# second wave): the whole-run laptop CPU includes that spin either way; phase 1's does not
# when primed.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd); shared="$repo/../shared"
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --laptops|--replicas|--mb-per-laptop|--seed|--samples|--stagger|--json-out|--compare-with|--logs)
            [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
            args+=("$1" "$2"); shift 2 ;;
        --no-faults|--prime-cursor) args+=("$1"); shift ;;
        --faults) shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null \
    || { echo "needs PostgreSQL's binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sensor-fleet.XXXXXX")
driver_pid=""
trap 'if [ -n "$driver_pid" ]; then kill -TERM $driver_pid 2>/dev/null || true; wait $driver_pid 2>/dev/null || true; fi; rm -rf "$work"' EXIT

swift build -c release --static-swift-stdlib --product sensor-ingest >&2
swift build -c release --static-swift-stdlib --product sensor >&2
# Copies: a rebuild during the run must not change the binaries under the fleet.
mkdir -p "$work/bin"
cp "$repo/.build/release/sensor-ingest" "$repo/.build/release/sensor" "$work/bin/"

python3 "$repo/Benchmarks/fleet.py" run --work "$work" --bin "$work/bin" --gen-corpus "$shared/tools/gen_corpus.py" "${args[@]}" &
driver_pid=$!
status=0
wait $driver_pid || status=$?
driver_pid=""
exit $status
