#!/usr/bin/env python3
"""Sends log records to sensor-ingest's OTLP intake the way an instrumented tool does, with the
OpenTelemetry Python SDK and its OTLP/HTTP exporter (PyPI opentelemetry-sdk,
opentelemetry-exporter-otlp-proto-http: software nobody here wrote), for the intake tests.

    scripts/otel-send.py protobuf BASE_URL TOKEN RESOURCE EVENTS
    scripts/otel-send.py json BASE_URL TOKEN RESOURCE EVENTS
    scripts/otel-send.py metrics BASE_URL TOKEN RESOURCE POINTS

RESOURCE is a JSON object of resource attributes; EVENTS a JSON list of {body, attributes,
time_ns}. `protobuf` emits them through the SDK's LoggerProvider and OTLPLogExporter (gzip);
`json` builds the same ExportLogsServiceRequest with the official definitions
(opentelemetry-proto) and posts its OTLP/JSON form; `metrics` posts an
ExportMetricsServiceRequest of counters (POINTS: a JSON list of {name, value, attributes,
time_ns}) as protobuf. Prints the HTTP status of each export.
"""
import json
import sys
import urllib.request

from google.protobuf import json_format


def main():
    mode, base, token, resource, events = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), json.loads(sys.argv[5])
    if mode == "protobuf":
        from opentelemetry._logs import LogRecord, SeverityNumber
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
        from opentelemetry.sdk.resources import Resource

        exporter = OTLPLogExporter(endpoint=base + "/v1/logs", headers={"Authorization": f"Bearer {token}"},
                                   compression=Compression.Gzip)
        provider = LoggerProvider(resource=Resource.create(resource))
        provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
        logger = provider.get_logger("com.anthropic.claude_code.events")
        for event in events:
            logger.emit(LogRecord(timestamp=event["time_ns"], observed_timestamp=event["time_ns"], body=event["body"],
                                  severity_text="INFO", severity_number=SeverityNumber.INFO, attributes=event["attributes"]))
        provider.force_flush()
        provider.shutdown()
        print("sent")
        return
    if mode == "metrics":
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
        request = ExportMetricsServiceRequest()
        resource_metrics = request.resource_metrics.add()
        for key, value in resource.items():
            attribute = resource_metrics.resource.attributes.add()
            attribute.key = key
            attribute.value.string_value = str(value)
        scope_metrics = resource_metrics.scope_metrics.add()
        scope_metrics.scope.name = "com.anthropic.claude_code"
        for point in events:
            metric = scope_metrics.metrics.add()
            metric.name = point["name"]
            metric.sum.is_monotonic = True
            data = metric.sum.data_points.add()
            data.time_unix_nano = point["time_ns"]
            data.as_double = point["value"]
            for key, value in point["attributes"].items():
                attribute = data.attributes.add()
                attribute.key = key
                attribute.value.string_value = str(value)
        post = urllib.request.Request(base + "/v1/metrics", data=request.SerializeToString(), method="POST",
                                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-protobuf"})
        with urllib.request.urlopen(post) as answer:
            print(answer.status)
        return
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    for key, value in resource.items():
        attribute = resource_logs.resource.attributes.add()
        attribute.key = key
        attribute.value.string_value = str(value)
    scope_logs = resource_logs.scope_logs.add()
    scope_logs.scope.name = "com.anthropic.claude_code.events"
    for event in events:
        record = scope_logs.log_records.add()
        record.time_unix_nano = event["time_ns"]
        record.body.string_value = event["body"]
        for key, value in event["attributes"].items():
            attribute = record.attributes.add()
            attribute.key = key
            if isinstance(value, bool):
                attribute.value.bool_value = value
            elif isinstance(value, int):
                attribute.value.int_value = value
            elif isinstance(value, float):
                attribute.value.double_value = value
            else:
                attribute.value.string_value = str(value)
    body = json_format.MessageToJson(request).encode()
    post = urllib.request.Request(base + "/v1/logs", data=body, method="POST",
                                  headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(post) as answer:
        print(answer.status, answer.read().decode())


if __name__ == "__main__":
    main()
