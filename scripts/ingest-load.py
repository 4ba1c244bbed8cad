#!/usr/bin/env python3
"""Load test of a running sensor-ingest on 127.0.0.1: posts N gzipped batches of generated
valid envelopes from a few concurrent workers and prints envelopes per second sustained.
Bounded in count and time.

  ingest-load.py --endpoint http://127.0.0.1:PORT --token T [--batches 200] [--size 500] [--workers 4]
"""
import argparse, gzip, json, os, threading, time, urllib.error, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--endpoint", required=True)
ap.add_argument("--token", required=True)
ap.add_argument("--batches", type=int, default=200)
ap.add_argument("--size", type=int, default=500)
ap.add_argument("--workers", type=int, default=4)
ap.add_argument("--seconds", type=float, default=120, help="stop after this long whatever is left")
args = ap.parse_args()
assert args.endpoint.startswith("http://127.") or args.endpoint.startswith("https://127."), "loopback only"

record = json.dumps({"type": "assistant", "message": {"content": [{"type": "text", "text": "lorem ipsum " * 60}]}})


def batch(number):
    envelopes = []
    for i in range(args.size):
        envelope_id = os.urandom(16).hex()
        envelopes.append('{"schema_version":1,"source":"load.test","kind":"load.test","device":"d-load","sensor":"0.1.0",'
                         '"collected_at":"2026-11-24T19:00:00.000Z","id":"%s","locator":{"path":"~/load.jsonl","offset":%d,"length":900},'
                         '"encoding":"json","record":%s}' % (envelope_id, i * 900, record))
    body = '{"batch_id":"b%d","sensor":{"device":"d-load","version":"0.1.0"},"records":[%s]}' % (number, ",".join(envelopes))
    return gzip.compress(body.encode(), 1)


bodies = [batch(n) for n in range(min(args.batches, 20))]  # generated up front, reused with fresh ids? no: ids differ per body
accepted = 0
lock = threading.Lock()
next_batch = [0]
deadline = time.time() + args.seconds


def worker():
    global accepted
    while time.time() < deadline:
        with lock:
            n = next_batch[0]
            if n >= args.batches:
                return
            next_batch[0] += 1
        body = bodies[n] if n < len(bodies) else batch(n)
        request = urllib.request.Request(args.endpoint + "/api/v1/ingest/local-sessions", data=body, method="POST",
                                         headers={"Authorization": "Bearer " + args.token, "Content-Encoding": "gzip",
                                                  "Content-Type": "application/json"})
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    answer = json.loads(response.read())
                    with lock:
                        accepted += answer["accepted"]
                    break
            except urllib.error.HTTPError as error:
                if error.code in (429, 503):
                    time.sleep(0.05)
                    continue
                raise


# Pre-generate the rest outside the timed part.
bodies += [batch(n) for n in range(len(bodies), args.batches)]
start = time.time()
threads = [threading.Thread(target=worker) for _ in range(args.workers)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
elapsed = time.time() - start
print(f"{accepted} envelopes accepted in {elapsed:.2f} s: {accepted / elapsed:.0f} envelopes/s "
      f"({args.workers} workers, batches of {args.size}, ~{len(record) + 300} bytes each)")
