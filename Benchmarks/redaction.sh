#!/usr/bin/env bash
# The cost of redaction per MB: the release `sensor scan --output /dev/null` over the same
# corpus with the built-in rules on and off, alternating, best of --runs each.
#
#   Benchmarks/redaction.sh [--mb 200] [--runs 3] [--corpus DIR] [--scratch-path DIR]
#
# --scratch-path: build (and run) the release binary in that build folder (a .build-NAME
# beside .build, so a debug build can go on meanwhile).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd); shared="$repo/../shared"
mb=200; runs=3; corpus=""; scratch=".build"
while [ $# -gt 0 ]; do
    case "$1" in
        --mb) mb=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --corpus) corpus=$2; shift 2 ;;
        --scratch-path) scratch=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
work=$(mktemp -d "${TMPDIR:-/tmp}/sensor-redaction.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ -z "$corpus" ]; then
    corpus="$work/home"
    python3 "$shared/tools/gen_corpus.py" "$corpus" --mb "$mb" > /dev/null
fi
swift build -c release --static-swift-stdlib --product sensor --scratch-path "$scratch" >&2
mkdir -p "$work/sources.d"
cat > "$work/sources.d/bench.yaml" <<YAML
sources:
  - {id: bench.jsonl, kind: bench, roots: {default: ["~"]}, include: [".claude/projects/**/*.jsonl", ".codex/sessions/**/*.jsonl", ".openclaw/agents/*/sessions/*.jsonl"], format: jsonl, offset: byte}
YAML
bytes=$(find "$corpus" -name '*.jsonl' -printf '%s\n' | awk '{s+=$1} END {print s}')
cpu() {  # extra args; CPU seconds of the whole process (getrusage: microseconds, not /usr/bin/time's 10 ms)
    rm -rf "$work/state"
    python3 - "$repo/$scratch/release/sensor" scan --home "$corpus" --sources-dir "$work/sources.d" \
        --state-dir "$work/state" --output /dev/null "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stderr=subprocess.DEVNULL)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{usage.ru_utime + usage.ru_stime:.4f}")
PY
}
rules=$("$repo/$scratch/release/sensor" rules --json --sources-dir "$work/sources.d" | wc -l)
on=999; off=999
for _ in $(seq 1 "$runs"); do
    a=$(cpu); b=$(cpu --set redaction.builtin=false)
    on=$(python3 -c "print(min($on, $a))"); off=$(python3 -c "print(min($off, $b))")
done
python3 -c "
mb = $bytes / 1e6
print(f'{mb:.0f} MB of JSONL: read+envelope {($off):.2f} CPU s without redaction, {($on):.2f} s with the built-in rules; '
      f'redaction costs {max($on - $off, 0) / mb * 1000:.2f} ms per MB ({mb / max($on - $off, 1e-3):.0f} MB/s) with {$rules} rules')
"
