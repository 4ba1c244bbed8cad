#!/usr/bin/env python3
"""A loopback webhook receiver for the alert tests.

  webhook_receiver.py --port P --log F --secret S [--answers 500,500,200]

Answers each POST with the next status of --answers (the last one repeats), checks the
X-Sensor-Signature header (t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">) with the secret the
way a receiver would (Python's own hmac, not the server's code), and appends one JSON line per
request to the log: the status answered, whether the signature held, the delivery key and the
body. 127.0.0.1 only.
"""
import argparse, hashlib, hmac, json, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
count = 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--answers", default="200")
    args = ap.parse_args()
    answers = [int(a) for a in args.answers.split(",")]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            global count
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            signature = dict(part.split("=", 1) for part in self.headers.get("X-Sensor-Signature", "").split(",") if "=" in part)
            expected = hmac.new(args.secret.encode(), signature.get("t", "").encode() + b"." + body, hashlib.sha256).hexdigest()
            valid = hmac.compare_digest(expected, signature.get("v1", ""))
            with lock:
                status = answers[min(count, len(answers) - 1)]
                count += 1
                with open(args.log, "a") as log:
                    log.write(json.dumps({"status": status, "valid": valid, "delivery": self.headers.get("X-Sensor-Delivery"),
                                          "body": json.loads(body or b"{}")}) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_):
            pass

    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
