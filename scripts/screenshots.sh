#!/usr/bin/env bash
# Saves a PNG of every explorer page, rendered by headless Chromium: the demo home
# (scripts/demo-home.py) scanned by the real sensor into a real sensor-ingest on SQLite.
#
#   scripts/screenshots.sh [OUT_DIR] [HEIGHT]   # default: ./screenshots, pages up to 4000 px tall
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-screenshots}"
height="${2:-4000}"
work=$(mktemp -d "${TMPDIR:-/tmp}/sensor-screenshots.XXXXXX")
server=""
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

swift build --product sensor >&2
swift build --product sensor-ingest >&2
bin="$(swift build --show-bin-path)"
python3 scripts/demo-home.py "$work/home" > /dev/null
database="$work/ingest.db"
"$bin/sensor-ingest" token create --name screenshots --database "$database" > "$work/token" 2> /dev/null
chmod 600 "$work/token"
"$bin/sensor-ingest" token create --name reader --scope read --database "$database" > "$work/read" 2> /dev/null
"$bin/sensor-ingest" serve --port 0 --database "$database" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
endpoint=$(grep -o "http://127.0.0.1:[0-9]*" "$work/server.log" | head -1)
SENSOR_MACHINE_ID=screenshots "$bin/sensor" scan --home "$work/home" --state-dir "$work/state" --endpoint "$endpoint" \
    --token-file "$work/token" --quiet
sleep 2
# The session with the most messages, and a word of it to search for.
read -r session word < <(python3 - "$endpoint" "$(cat "$work/read")" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def get(path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    return json.load(urllib.request.urlopen(request))
sessions = get("/api/v1/sessions?limit=1000")["sessions"]
best = max(sessions, key=lambda s: (s["tool_calls"], s["messages"]))
text = next(m["text"] for m in get("/api/v1/sessions/" + best["id"])["messages"] if m.get("text"))
print(best["id"], max(text.split(), key=len).strip(".,"))
PY
)
mkdir -p "$out"
python3 scripts/browser.py "$endpoint" --token "$(cat "$work/read")" --screenshots "$out" --height "$height" \
    "/?days=all" "/sessions" "/sessions/$session" "/search?q=$word" "/devices" "/drift" > /dev/null
ls "$out"
