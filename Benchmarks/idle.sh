#!/usr/bin/env bash
# Idle cost: `sensor run` over 10,000 unchanged files (100 projects × 100 transcripts), and
# the peer's polling cycle over the same files, side by side.
#
#   Benchmarks/idle.sh [--files 10000] [--seconds 600] [--interval 5] [--passes-only] [--scratch-path DIR]
#
# --passes-only: the one-pass and whole-process figures, without the long `sensor run` phases.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd); shared="$repo/../shared"
files=10000; seconds=600; interval=5; passes_only=0; scratch=".build"
while [ $# -gt 0 ]; do
    case "$1" in
        --files) files=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --interval) interval=$2; shift 2 ;;
        --passes-only) passes_only=1; shift ;;
        --scratch-path) scratch=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
# The interpreter itself, not a version manager's shim (pyenv's is a shell script that runs
# helpers before the interpreter starts: their CPU would be counted in every figure below).
python=$(python3 -c 'import sys; print(sys.executable)')
work=$(mktemp -d "${TMPDIR:-/tmp}/sensor-idle.XXXXXX")
sink_pid=""; run_pid=""
trap 'kill $sink_pid $run_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

python3 - "$work/home" "$files" <<'PY'
import os, sys, json
home, total = sys.argv[1], int(sys.argv[2])
per = 100
for i in range(total):
    d = os.path.join(home, ".claude", "projects", f"-p{i // per}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"s{i}.jsonl"), "w") as f:
        f.write(json.dumps({"type": "user", "uuid": str(i), "message": {"content": "x" * 100}}) + "\n")
PY
mkdir -p "$work/sources.d"
cat > "$work/sources.d/idle.yaml" <<YAML
sources:
  - {id: idle.claude, kind: claude-code.transcript, roots: {default: ["~/.claude"]}, include: ["projects/*/*.jsonl"], format: jsonl, offset: byte, poll_interval: $interval}
YAML
swift build -c release --static-swift-stdlib --product sensor --scratch-path "$scratch" >&2
sensor="$repo/$scratch/release/sensor"
port=$((20000 + RANDOM % 20000))
# --verify: the sink counts what it acknowledges (an answer of "accepted 0" is no acknowledgement).
python3 "$shared/bench/sink.py" --port "$port" --verify > /dev/null 2>&1 &
sink_pid=$!
sleep 0.5

cpu_seconds() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }

# Backfill first, so what follows is idle.
SENSOR_TOKEN=bench "$sensor" scan --home "$work/home" --sources-dir "$work/sources.d" --state-dir "$work/state" \
    --endpoint "http://127.0.0.1:$port" --quiet 2> /dev/null

# One idle pass, alone.
/usr/bin/time -f "%U %S %e" -o "$work/pass" "$sensor" scan --home "$work/home" --sources-dir "$work/sources.d" \
    --state-dir "$work/state" --output /dev/null 2> /dev/null
read -r pass_user pass_sys pass_wall < "$work/pass"
/usr/bin/time -f "%U %S" -o "$work/empty" "$sensor" scan --home "$work/home" --sources-dir "$work/sources.d" \
    --state-dir "$work/state" --output /dev/null --disable idle.claude 2> /dev/null
read -r empty_user empty_sys < "$work/empty"

# The whole process, as a scheduler would start it: `sensor scan` with the built-in
# declarations (every tool's) and all redaction rules, against the peer's whole process, 7
# alternating pairs (getrusage: microseconds). The built-in declarations read the same files.
whole() {  # command...
    "$python" - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{usage.ru_utime + usage.ru_stime:.4f}")
PY
}
SENSOR_TOKEN=bench "$sensor" scan --home "$work/home" --state-dir "$work/state-default" \
    --endpoint "http://127.0.0.1:$port" --quiet 2> /dev/null
# The peer's cycle over the same files (its second run: everything already read).
cat > "$work/peer.json" <<JSON
{"sources": [{"id": "idle.claude", "format": "jsonl", "globs": ["$work/home/.claude/projects/*/*.jsonl"]}]}
JSON
"$python" "$shared/bench/peer_python/collector.py" --config "$work/peer.json" --state "$work/peer-state.json" \
    --endpoint "http://127.0.0.1:$port/x" --once 2> /dev/null
/usr/bin/time -f "%U %S" -o "$work/peer" "$python" "$shared/bench/peer_python/collector.py" --config "$work/peer.json" \
    --state "$work/peer-state.json" --endpoint "http://127.0.0.1:$port/x" --once 2> /dev/null
read -r peer_user peer_sys < "$work/peer"
whole_sensor=""; whole_peer=""
for _ in 1 2 3 4 5 6 7; do
    whole_sensor="$whole_sensor $(whole "$sensor" scan --home "$work/home" --state-dir "$work/state-default" --output /dev/null)"
    whole_peer="$whole_peer $(whole "$python" "$shared/bench/peer_python/collector.py" --config "$work/peer.json" \
        --state "$work/peer-state.json" --endpoint "http://127.0.0.1:$port/x" --once)"
done
/usr/bin/time -f "%U %S" -o "$work/python" "$python" -c pass
read -r py_user py_sys < "$work/python"

# The floor: find(1) walking the same directories and printing each file's size and mtime
# (a getdents per directory, an fstatat per file), 20 runs, process start-up included.
/usr/bin/time -f "%U %S" -o "$work/find" bash -c \
    'for i in $(seq 20); do find "$1/.claude/projects" -name "*.jsonl" -printf "%s %T@\n" > /dev/null; done' _ "$work/home"
read -r find_user find_sys < "$work/find"

# sensor run: first forced polling every second (each pass a full one: list and stat
# everything), then the default (file events; a full pass only every 60 s) idle for the whole
# period, then the default while one of the files gets a line every 0.5 s (each line: a pass
# over the named file, its upload and its checkpoint).
run_idle() {  # seconds, appends (0 or 1), extra args...
    local period=$1 appending=$2; shift 2
    SENSOR_TOKEN=bench "$sensor" run --home "$work/home" --sources-dir "$work/sources.d" --state-dir "$work/state" \
        --endpoint "http://127.0.0.1:$port" "$@" 2> /dev/null &
    run_pid=$!
    sleep 3
    local start; start=$(cpu_seconds $run_pid)
    if [ "$appending" = 1 ]; then
        for i in $(seq 1 $((period * 2))); do
            echo "{\"type\":\"user\",\"uuid\":\"a$i\",\"message\":{\"content\":\"hello\"}}" >> "$work/home/.claude/projects/-p7/s777.jsonl"
            sleep 0.5
        done
    else
        sleep "$period"
    fi
    local end; end=$(cpu_seconds $run_pid)
    kill -TERM $run_pid; wait $run_pid || true
    python3 -c "print($end - $start)"
}
polled=0; evented=0; appended=0
if [ "$passes_only" = 0 ]; then
    polled=$(run_idle 30 0 --poll-interval 1)
    evented=$(run_idle "$seconds" 0)
    appended=$(run_idle 20 1)
fi

python3 - <<PY
files, interval, seconds = $files, $interval, $seconds
pass_cpu = $pass_user + $pass_sys - ($empty_user + $empty_sys)
peer_cpu = $peer_user + $peer_sys - ($py_user + $py_sys)
print(f"files: {files}")
import statistics
sensor_whole = [float(x) for x in "$whole_sensor".split()]
peer_whole = [float(x) for x in "$whole_peer".split()]
ratios = [a / b for a, b in zip(sensor_whole, peer_whole)]
print(f"whole process, built-in declarations and rules: sensor {statistics.median(sensor_whole) * 1000:.0f} ms CPU, "
      f"peer {statistics.median(peer_whole) * 1000:.0f} ms (medians of 7 pairs); ratio {statistics.median(ratios):.2f}x")
print(f"one idle pass, sensor: {pass_cpu * 1000:.0f} ms CPU (process start-up subtracted; /usr/bin/time has 10 ms resolution); "
      f"peer cycle: {peer_cpu * 1000:.0f} ms (interpreter start-up subtracted)")
find_cpu = ($find_user + $find_sys) / 20
polled_pass = $polled / 30
if $passes_only:
    raise SystemExit
print(f"find over the same files (the stat floor): {find_cpu * 1000:.1f} ms CPU per run")
print(f"sensor run polling every 1 s for 30 s: {$polled:.2f} s CPU, {polled_pass * 1000:.1f} ms per pass "
      f"({polled_pass / find_cpu:.2f}x find)")
print(f"sensor run, default (file events + 60 s safety net), idle {seconds} s: {$evented:.2f} s CPU")
print(f"sensor run, default, one line appended to one of the files every 0.5 s for 20 s: "
      f"{$appended / 40 * 1000:.1f} ms CPU per line (its pass, upload and checkpoint)")
PY
