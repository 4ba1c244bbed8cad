#!/usr/bin/env bash
# The main job, end to end, on this machine: build, start a local sensor-ingest on its
# SQLite store (127.0.0.1 only), scan this machine's AI-tool data into it with the
# embedded declarations, and show what was collected. Everything lives in one work folder
# (default ./.quickstart) so a second run sends only what is new.
#
#   scripts/quickstart.sh [--home DIR] [--work DIR] [--demo] [--no-serve]
#
# --demo: lay out a sample home first (scripts/demo-home.py: Claude Code, Codex, OpenClaw and
# Cursor files of realistic shape, a few MB, no network) and run the whole job on it.
# It ends with the explorer running and a one-time link that signs you in to your own sessions
# (`sensor open`), until Ctrl-C; --no-serve stops after showing what was collected.
set -euo pipefail
cd "$(dirname "$0")/.."
home="${HOME}"; work="$(pwd)/.quickstart"; demo=0; serve=1
while [ $# -gt 0 ]; do
    case "$1" in
        --home) home=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --demo) demo=1; shift ;;
        --no-serve) serve=0; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$work"
if [ "$demo" = 1 ]; then
    home="$work/demo-home"
    if [ ! -d "$home" ]; then
        echo "==> laying out a sample home in $home"
        python3 scripts/demo-home.py "$home" > "$work/demo-home.json"
    fi
fi

# The C libraries the build links (Debian names); installed when missing and we may.
if command -v dpkg-query > /dev/null; then
    missing=()
    hyperscan=libhyperscan-dev  # Vectorscan on Arm: the same library, ported
    [ "$(dpkg --print-architecture)" = amd64 ] || hyperscan=libvectorscan-dev
    # libcurl: the static sensor-ingest links FoundationNetworking (the MCP SDK's HTTP client).
    for package in libsqlite3-dev zlib1g-dev libdeflate-dev libisal-dev libzstd-dev libcmark-gfm-dev libcmark-gfm-extensions-dev "$hyperscan" libcurl4-openssl-dev; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "==> installing ${missing[*]}"
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
        elif command -v sudo > /dev/null; then
            sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
        else
            echo "missing: ${missing[*]} (apt-get install them, then run this again)" >&2
            exit 1
        fi
    fi
fi

bin="$(swift build -c release --static-swift-stdlib --show-bin-path)"
if [ ! -x "$bin/sensor" ] || [ ! -x "$bin/sensor-ingest" ]; then
    echo "==> building (release): the first build compiles every dependency and takes 10-15 minutes on a"
    echo "    2-core machine (later runs take seconds); SwiftPM shows its progress below"
else
    echo "==> building (release, incremental)"
fi
swift build -c release --static-swift-stdlib --product sensor
swift build -c release --static-swift-stdlib --product sensor-ingest
database="$work/ingest.db"

echo "==> what the sensor finds under $home"
"$bin/sensor" scan --validate-config --json --home "$home" --state-dir "$work/sensor-state" | python3 -c '
import json, sys
report = json.load(sys.stdin)
found = [s for s in report["sources"] if s["files"]]
for s in found:
    print("    %-28s %-16s %5d file(s) %9.1f MB" % (s["id"], s["format"] + "/" + s["offset"], s["files"], s["bytes"] / 1e6))
if not found:
    print("    no AI-tool data here: scripts/quickstart.sh --demo runs the whole job on a sample home;")
    print("    --home DIR points it at another home folder")
'

echo "==> starting sensor-ingest on 127.0.0.1 (SQLite at $database)"
# A personal enrollment secret for this machine (its sensor trades it for the device's own
# credential: the device is yours, and `sensor open` can vouch for you), and a read token.
enrollment_file="$work/enrollment"; read_token_file="$work/read-token"
if [ ! -s "$enrollment_file" ]; then
    "$bin/sensor-ingest" enrollment create --name quickstart --person "$(id -un)@localhost" --database "$database" > "$enrollment_file"
    chmod 600 "$enrollment_file"
fi
if [ ! -s "$read_token_file" ]; then
    "$bin/sensor-ingest" token create --name quickstart-reader --scope read --database "$database" > "$read_token_file"
    chmod 600 "$read_token_file"
fi
"$bin/sensor-ingest" serve --host 127.0.0.1 --port 0 --database "$database" > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    grep -q "listening on" "$work/server.log" 2>/dev/null && break
    sleep 0.1
done
endpoint=$(grep -o "http://127.0.0.1:[0-9]*" "$work/server.log" | head -1)
[ -n "$endpoint" ] || { echo "sensor-ingest did not start:"; cat "$work/server.log"; exit 1; }
echo "    $endpoint"

echo "==> scanning into it"
"$bin/sensor" scan --home "$home" --state-dir "$work/sensor-state" --endpoint "$endpoint" --enrollment-file "$enrollment_file"

echo "==> what was collected"
"$bin/sensor-ingest" stats --database "$database"
echo
echo "==> sessions, messages, tool calls and tokens per tool (normalised on the server)"
"$bin/sensor-ingest" sessions --database "$database"
echo
if [ "$serve" = 0 ]; then
    kill $server; wait $server 2>/dev/null || true
    trap - EXIT
    echo "==> to browse it: $bin/sensor-ingest serve --database $database"
    echo "    then sign in with the read token in $read_token_file (or: $bin/sensor open --endpoint URL --state-dir $work/sensor-state)"
    exit 0
fi

# A one-time link that signs you in to your own sessions. The server may still be normalising
# what it just received in one transaction: ask again for a few seconds.
for _ in 1 2 3 4 5 6 7 8 9 10; do
    link=$("$bin/sensor" open --home "$home" --state-dir "$work/sensor-state" --endpoint "$endpoint" 2> "$work/open.log" || true)
    [ -n "$link" ] && break
    sleep 1
done
echo "==> the explorer is running at $endpoint (Ctrl-C stops it)"
if [ -n "${link:-}" ]; then
    echo "    open this link to see your own sessions (it works once, within 5 minutes; \`sensor open\` makes another):"
    echo
    echo "        $link"
    echo
fi
[ -n "${link:-}" ] || echo "    (no sign-in link: $(cat "$work/open.log" 2>/dev/null))"
echo "    everyone's sessions: sign in with the read token in $read_token_file"
echo "    the JSON API: curl -H \"Authorization: Bearer \$(cat $read_token_file)\" $endpoint/api/v1/sessions"
wait $server
