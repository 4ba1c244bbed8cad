#!/usr/bin/env bash
# Peak server memory under the probe's F8 load and under the heaviest batches a server still
# takes: a release `sensor-ingest` on a fresh SQLite store on 127.0.0.1, eight batches posted at
# once from four tokens of four tenants (two slots each), the process's peak RSS (VmHWM) read
# after each load from a server started afresh for it.
#
#   Benchmarks/ingest-memory.sh            # builds the release binary if missing
#
# Loads:
#   probe-f8   320,000 minimal envelopes a batch (0.9 MiB gzip, 88 MiB inflated): refused now
#   cap        20,000 envelopes of ~4.3 KB a batch (the envelope cap, ~86 MiB inflated)
#   large      one envelope of ~88 MiB a batch (a record near the inflated cap)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/sensor-ingest
[ -x "$bin" ] || swift build -c release --product sensor-ingest >&2
work=$(mktemp -d "${TMPDIR:-/tmp}/ingest-memory.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

python3 - "$bin" "$work" <<'PY'
import gzip, json, os, random, re, subprocess, sys, threading, time, urllib.request

bin, work = sys.argv[1], sys.argv[2]

def envelope(i, record):
    return ('{"schema_version":1,"id":"%032x","source":"m.logs","kind":"m.log","device":"d-m","sensor":"0.1.0",'
            '"collected_at":"2026-12-06T00:00:00.000Z","locator":{"path":"~/m.jsonl","file_id":"f","offset":%d},'
            '"encoding":"json","record":%s}') % (random.getrandbits(128), i, record)

def batch(records):
    return gzip.compress(('{"batch_id":"%032x","sensor":{"device":"d-m","version":"0.1.0"},"records":[%s]}'
                          % (random.getrandbits(128), ",".join(records))).encode(), 6)

words = "the a of to in and is for on that with as it was be by this are at from".split()
loads = {
    "probe-f8": lambda: batch([envelope(i, '{"t":1}') for i in range(320_000)]),
    "cap": lambda: batch([envelope(i, json.dumps({"text": " ".join(random.choice(words) for _ in range(1000))})) for i in range(20_000)]),
    "large": lambda: batch([envelope(0, json.dumps({"text": os.urandom(44 << 20).hex()}))]),
}

def run(name, make):
    database = os.path.join(work, name + ".db")
    tokens = []
    for tenant in range(4):
        subprocess.run([bin, "tenant", "create", f"t{tenant}", "--database", database], check=True, capture_output=True)
        out = subprocess.run([bin, "token", "create", "--name", f"m{tenant}", "--tenant", f"t{tenant}", "--database", database],
                             check=True, capture_output=True, text=True)
        tokens.append(out.stdout.strip())
    server = subprocess.Popen([bin, "serve", "--port", "0", "--host", "127.0.0.1", "--database", database],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = re.search(r"listening on (\S+)", server.stdout.readline()).group(1)
    bodies = [make()] * 8 if name == "large" else [make() for _ in range(8)]  # (one 88 MiB body, sent by every token)
    def rss(field):
        for line in open(f"/proc/{server.pid}/status"):
            if line.startswith(field):
                return int(line.split()[1]) // 1024
    idle = rss("VmRSS")
    statuses = []
    def post(body, token):
        request = urllib.request.Request(url + "/api/v1/ingest/local-sessions", data=body, method="POST",
                                         headers={"Authorization": "Bearer " + token, "Content-Encoding": "gzip",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=600) as answer:
                statuses.append(answer.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    threads = [threading.Thread(target=post, args=(body, tokens[i % 4])) for i, body in enumerate(bodies)]
    start = time.time()
    for thread in threads: thread.start()
    for thread in threads: thread.join()
    elapsed = time.time() - start
    peak = rss("VmHWM")
    server.terminate()
    server.wait()
    wire = sum(len(b) for b in bodies) / len(bodies) / (1 << 20)
    print(f"{name:9s} wire {wire:6.2f} MiB/batch  answers {sorted(set(statuses))}  idle {idle} MiB  peak RSS {peak} MiB  {elapsed:.1f} s", flush=True)

for name, make in loads.items():
    run(name, make)
PY
