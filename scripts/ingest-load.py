#!/usr/bin/env python3
"""Load test of sensor-ingest on 127.0.0.1 (Python standard library only).

Posts N gzipped batches of generated valid envelopes from a few concurrent workers and
prints the envelopes stored per second. Bounded: --batches caps the count, --seconds the
time (whatever is left unsent then is dropped); only loopback endpoints are accepted.

Against a running server:

    scripts/ingest-load.py --endpoint http://127.0.0.1:PORT --token TOKEN

Or let it start one (a token is created, the server is stopped at the end):

    scripts/ingest-load.py --server .build/release/sensor-ingest --database /tmp/load.db
    scripts/ingest-load.py --server .build/release/sensor-ingest \\
        --database postgres://user:pass@127.0.0.1:5432/db

Envelopes carry a ~1 KB Claude-Code-like record of random words; every id is fresh, so every envelope is
new to the store. Bodies are generated and compressed before the clock starts.
"""
import argparse
import gzip
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--endpoint", help="a running server, e.g. http://127.0.0.1:8080")
parser.add_argument("--token", help="its bearer token")
parser.add_argument("--server", help="a sensor-ingest binary to start on 127.0.0.1 instead")
parser.add_argument("--database", help="--database for the started server (SQLite path or postgres:// URL)")
parser.add_argument("--batches", type=int, default=200, help="batches to post (default 200, at most 5000)")
parser.add_argument("--size", type=int, default=500, help="envelopes per batch (default 500, at most 5000)")
parser.add_argument("--workers", type=int, default=4, help="concurrent connections (default 4, at most 32)")
parser.add_argument("--seconds", type=float, default=120, help="stop after this long whatever is left (default 120)")
args = parser.parse_args()
if not (0 < args.batches <= 5000 and 0 < args.size <= 5000 and 0 < args.workers <= 32 and 0 < args.seconds <= 600):
    parser.error("bounds: --batches 1..5000, --size 1..5000, --workers 1..32, --seconds up to 600")
if bool(args.endpoint) == bool(args.server):
    parser.error("give either --endpoint and --token, or --server and --database")

# Words drawn at random: text that compresses about as well as real transcripts (3-5x).
WORDS = ["".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(random.randint(2, 9))) for _ in range(400)]


def record():
    return json.dumps({"type": "assistant", "uuid": os.urandom(16).hex(), "sessionId": "s-load",
                       "message": {"role": "assistant",
                                   "content": [{"type": "text", "text": " ".join(random.choices(WORDS, k=110))}],
                                   "usage": {"input_tokens": random.randint(1, 99999), "output_tokens": 345}}},
                      separators=(",", ":"))


def envelope(batch, index):
    text = record()
    return ('{"schema_version":1,"id":"%s","source":"load.transcripts","kind":"load.transcript","device":"d-load",'
            '"sensor":"0.1.0","collected_at":"2026-11-24T19:02:03.120Z",'
            '"locator":{"path":"~/.load/b%d.jsonl","file_id":"f%d","offset":%d,"length":%d},'
            '"encoding":"json","record":%s}' % (os.urandom(16).hex(), batch, batch, index * 1100, len(text), text))


def batch_body(number):
    records = ",".join(envelope(number, i) for i in range(args.size))
    body = '{"batch_id":"load-%d-%s","sensor":{"device":"d-load","version":"0.1.0"},"records":[%s]}' % (
        number, os.urandom(4).hex(), records)
    return len(body), gzip.compress(body.encode(), 1)


def start_server():
    """Creates a token and starts `serve --port 0`; returns (process, endpoint, token)."""
    created = subprocess.run([args.server, "token", "create", "--name", "load-test", "--database", args.database],
                             check=True, capture_output=True, text=True)
    token = created.stdout.strip()
    process = subprocess.Popen([args.server, "serve", "--host", "127.0.0.1", "--port", "0", "--database", args.database,
                                "--log-level", "warning"], stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
    if not match:
        process.terminate()
        sys.exit("sensor-ingest did not start: %r" % line)
    return process, match.group(1), token


server = None
if args.server:
    if not args.database:
        parser.error("--server needs --database")
    server, endpoint, token = start_server()
else:
    endpoint, token = args.endpoint.rstrip("/"), args.token
    if not token:
        parser.error("--endpoint needs --token")
host = urllib.parse.urlsplit(endpoint).hostname
if host not in ("127.0.0.1", "localhost", "::1"):
    sys.exit("loopback endpoints only, not %s" % host)

print("generating %d batches of %d envelopes..." % (args.batches, args.size), file=sys.stderr)
bodies = [batch_body(n) for n in range(args.batches)]
inflated_bytes = sum(size for size, _ in bodies)
wire_bytes = sum(len(body) for _, body in bodies)

lock = threading.Lock()
state = {"next": 0, "accepted": 0, "duplicates": 0, "rejected": 0, "busy": 0, "latencies": [], "errors": []}
deadline = None


def worker():
    while time.monotonic() < deadline:
        with lock:
            number = state["next"]
            if number >= len(bodies):
                return
            state["next"] += 1
        request = urllib.request.Request(endpoint + "/api/v1/ingest/local-sessions", data=bodies[number][1], method="POST",
                                         headers={"Authorization": "Bearer " + token, "Content-Encoding": "gzip",
                                                  "Content-Type": "application/json"})
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    answer = json.loads(response.read())
                with lock:
                    state["latencies"].append(time.monotonic() - started)
                    for key in ("accepted", "duplicates"):
                        state[key] += answer[key]
                    state["rejected"] += len(answer["rejected"])
                break
            except urllib.error.HTTPError as error:
                if error.code in (429, 503):
                    with lock:
                        state["busy"] += 1
                    time.sleep(float(error.headers.get("Retry-After") or 1) / 10)
                    continue
                with lock:
                    state["errors"].append("HTTP %d: %s" % (error.code, error.read()[:200]))
                return


try:
    deadline = time.monotonic() + args.seconds
    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
finally:
    if server:
        server.terminate()
        server.wait(timeout=30)

if state["errors"]:
    sys.exit("errors: %s" % state["errors"][:3])
latencies = sorted(state["latencies"])
p50 = statistics.median(latencies) * 1000 if latencies else 0
p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else 0
print("%d envelopes stored in %.2f s: %.0f envelopes/s, %.1f MB/s inflated (%.1f MB/s on the wire)"
      % (state["accepted"], elapsed, state["accepted"] / elapsed, inflated_bytes / elapsed / 1e6, wire_bytes / elapsed / 1e6))
print("%d batches of %d envelopes (~%d bytes each), %d workers; batch latency p50 %.0f ms, p95 %.0f ms; "
      "%d duplicates, %d rejected, %d busy answers"
      % (len(latencies), args.size, inflated_bytes // (len(bodies) * args.size), args.workers, p50, p95,
         state["duplicates"], state["rejected"], state["busy"]))
if state["accepted"] != len(latencies) * args.size:
    sys.exit("expected every envelope to be new and valid")
