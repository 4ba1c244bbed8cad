#!/usr/bin/env python3
"""A loopback OTLP/HTTP trace receiver that decodes what it gets with the official
OpenTelemetry protobuf definitions (PyPI opentelemetry-proto), for the export tests.

    scripts/otlp-receiver.py --port P --log FILE [--fail-first K]

POST /v1/traces (application/x-protobuf): the body parsed as an ExportTraceServiceRequest; one
JSON line per request appended to FILE: per span its trace and span id (hex), parent, name,
kind, start and end (ns) and attributes; per resource its attributes. Answers an empty
ExportTraceServiceResponse, or 503 for the first K requests.
Needs opentelemetry-proto (scripts/python-tools.sh).
"""
import argparse, json, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse

lock = threading.Lock()
count = 0


def value(any_value):
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    return getattr(any_value, kind) if kind else None


def attributes(items):
    return {item.key: value(item.value) for item in items}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    args = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            global count
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                count += 1
                failing = count <= args.fail_first
            if failing or self.path != "/v1/traces" or self.headers.get("Content-Type") != "application/x-protobuf":
                self.send_response(503 if failing else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            resources = []
            for resource_spans in request.resource_spans:
                spans = []
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        spans.append({"trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                                      "parent_span_id": span.parent_span_id.hex(), "name": span.name, "kind": span.kind,
                                      "start": span.start_time_unix_nano, "end": span.end_time_unix_nano,
                                      "status": span.status.code, "scope": scope_spans.scope.name,
                                      "attributes": attributes(span.attributes)})
                resources.append({"attributes": attributes(resource_spans.resource.attributes), "spans": spans})
            with lock, open(args.log, "a") as log:
                log.write(json.dumps({"authorization": self.headers.get("Authorization"), "resources": resources}) + "\n")
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_):
            pass

    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
