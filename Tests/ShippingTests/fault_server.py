#!/usr/bin/env python3
"""A loopback ingest server that misbehaves on purpose, for the shipping tests.

  fault_server.py --port P --stats F [--fail-every K] [--drop-every K] [--slow S]
                  [--retry-after VALUE --retry-after-every K] [--max-records N]
                  [--poison MARKER] [--status CODE] [--answer KIND [--answer-times N]] [--strict-flags]

--retry-after: the header's value as given, or `date+N`: an HTTP-date N seconds after the moment
the 429 is answered (so the wait it asks for does not shrink while the test starts up).
--poison: records containing MARKER are rejected by id in an otherwise good acknowledgement.
--answer: what a misconfigured path answers instead of an acknowledgement (redirect: 302 to
/login, whose GET is an HTML page; 404; bad-ack: 200 with a JSON body that is not the ack;
short-ack: 200 with counts that do not add up), for the first N requests (0: always).

--strict-flags: as the first servers did, a record whose flags hold a field beyond the first
version's is rejected ("flags.NAME: unknown field"); rejected ones are counted in "rejected".

Counts requests, records received and distinct record ids (gunzipping the body), and the
arrival time of each request, into the stats file after every request. 127.0.0.1 only.
"""
import argparse, email.utils, gzip, json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
stats = {"requests": 0, "records": 0, "ids": 0, "accepted_batches": 0, "times": [], "statuses": [], "rejected": 0}
FIRST_FLAGS = {"truncated", "original_length", "redactions", "nul_stripped", "not_json"}
seen = set()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--fail-every", type=int, default=0)
    ap.add_argument("--drop-every", type=int, default=0)
    ap.add_argument("--slow", type=float, default=0)
    ap.add_argument("--retry-after")
    ap.add_argument("--retry-after-every", type=int, default=0)
    ap.add_argument("--max-records", type=int, default=0)
    ap.add_argument("--poison")
    ap.add_argument("--status", type=int, default=0)
    ap.add_argument("--answer", choices=["redirect", "404", "bad-ack", "short-ack"])
    ap.add_argument("--answer-times", type=int, default=0)
    ap.add_argument("--strict-flags", action="store_true")
    args = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, status, body=b"", headers=()):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            with lock:
                stats["statuses"].append(status)
                with open(args.stats, "w") as f:
                    json.dump(stats, f)

        def do_GET(self):
            if self.path == "/login":
                return self.answer(200, b"<html><body>Sign in</body></html>", [("Content-Type", "text/html")])
            self.answer(404)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                stats["requests"] += 1
                k = stats["requests"]
                stats["times"].append(time.time())
            if args.slow:
                time.sleep(args.slow)
            if args.drop_every and k % args.drop_every == 0:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if args.status:
                return self.answer(args.status, b'{"error":"forced"}')
            if args.answer and (args.answer_times == 0 or k <= args.answer_times):
                if args.answer == "redirect":
                    return self.answer(302, headers=[("Location", "/login")])
                if args.answer == "404":
                    return self.answer(404, b"<html>Not Found</html>", [("Content-Type", "text/html")])
                if args.answer == "bad-ack":
                    return self.answer(200, b'{"ok":true}', [("Content-Type", "application/json")])
                return self.answer(200, b'{"accepted":1,"duplicates":0,"rejected":[]}', [("Content-Type", "application/json")])
            if args.fail_every and k % args.fail_every == 0:
                return self.answer(503)
            if args.retry_after and args.retry_after_every and k % args.retry_after_every == 1:
                value = args.retry_after
                if value.startswith("date+"):
                    value = email.utils.formatdate(time.time() + float(value[5:]), usegmt=True)
                return self.answer(429, headers=[("Retry-After", value)])
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            records = json.loads(body)["records"]
            if args.max_records and len(records) > args.max_records:
                return self.answer(413)
            def refusal(r):
                if args.poison and args.poison in json.dumps(r):
                    return "poison"
                unknown = sorted(set(r.get("flags", {})) - FIRST_FLAGS) if args.strict_flags else []
                return f"flags.{unknown[0]}: unknown field" if unknown else None
            rejected = [{"id": r["id"], "reason": refusal(r)} for r in records if refusal(r)]
            kept = [r for r in records if not refusal(r)]
            with lock:
                stats["records"] += len(kept)
                stats["accepted_batches"] += 1
                stats["rejected"] += len(rejected)
                for r in kept:
                    seen.add(r["id"])
                stats["ids"] = len(seen)
            self.answer(200, json.dumps({"accepted": len(kept), "duplicates": 0, "rejected": rejected}).encode(),
                        [("Content-Type", "application/json")])

    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
