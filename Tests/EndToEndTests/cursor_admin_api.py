#!/usr/bin/env python3
"""A loopback stand-in for Cursor's Admin API usage endpoint, in its documented shapes, for
the connector tests.

  cursor_admin_api.py --port P --key KEY --events FILE --stats FILE [--rate-limit-every N] [--fail-first K]

POST /teams/filtered-usage-events with Basic auth (KEY as the user name, no password) and a
JSON body {startDate, endDate (epoch ms), page (from 1), pageSize} answers the events of FILE
(a JSON list, each with a string `timestamp` in epoch ms) inside [startDate, endDate], newest
first, a page at a time: {totalUsageEventsCount, pagination: {numPages, currentPage, pageSize,
hasNextPage, hasPreviousPage}, usageEvents, period}. A wrong key gets 401; of the requests with
the right key, every Nth gets 429 with Retry-After: 1 and the first K get 500. Counts requests and answers into FILE.
"""
import argparse, base64, json, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
stats = {"requests": 0, "authorized": 0, "statuses": {}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--events", required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--rate-limit-every", type=int, default=0)
    ap.add_argument("--fail-first", type=int, default=0)
    args = ap.parse_args()
    events = sorted(json.load(open(args.events)), key=lambda e: -int(e["timestamp"]))
    expected = "Basic " + base64.b64encode((args.key + ":").encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def answer(self, status, body=None, headers=()):
            with lock:
                stats["statuses"][str(status)] = stats["statuses"].get(str(status), 0) + 1
                json.dump(stats, open(args.stats, "w"))
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            with lock:
                stats["requests"] += 1
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            if self.path != "/teams/filtered-usage-events":
                return self.answer(404, {"error": "not found"})
            if self.headers.get("Authorization") != expected:
                return self.answer(401, {"error": "Unauthorized"})
            with lock:
                stats["authorized"] += 1
                number = stats["authorized"]
            if number <= args.fail_first:
                return self.answer(500, {"error": "internal"})
            if args.rate_limit_every and number % args.rate_limit_every == 0:
                return self.answer(429, {"error": "Too many requests"}, [("Retry-After", "1")])
            start, end = int(request.get("startDate", 0)), int(request.get("endDate", 2**62))
            page, size = int(request.get("page", 1)), int(request.get("pageSize", 10))
            chosen = [e for e in events if start <= int(e["timestamp"]) <= end]
            pages = max(1, -(-len(chosen) // size))
            self.answer(200, {
                "totalUsageEventsCount": len(chosen),
                "pagination": {"numPages": pages, "currentPage": page, "pageSize": size,
                               "hasNextPage": page < pages, "hasPreviousPage": page > 1},
                "usageEvents": chosen[(page - 1) * size: page * size],
                "period": {"startDate": start, "endDate": end},
            })

        def log_message(self, *_):
            pass

    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
