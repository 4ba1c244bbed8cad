import Access
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import IngestStore
import NIOCore
import Normalization
import OTLP
import SensorModel
import SwiftProtobuf

/// OTLP/HTTP intake (`POST /v1/logs`, `POST /v1/metrics`; protobuf or JSON, gzip or not), for
/// the tools that export OpenTelemetry themselves (Claude Code's events and metrics). An `ingest`
/// token gets in, as for batches.
///
/// Every log record and every metric point is kept raw, like a sensor's envelope: source `otlp`,
/// kind `otlp.log-record` or `otlp.metric-point`, the record a JSON object of its event name,
/// time, severity, body and attributes and its resource's attributes; its id derived from that
/// object, so an exporter's retry stores nothing twice; its device one per user (the resource's
/// `user.email`, else `user.id` or `service.instance.id`). `normalizers.d/otel.yaml` turns
/// Claude Code's `api_request` events into usage, joined to the transcript's responses by the
/// request id (``OneUsagePerRequest``); metrics are kept raw only (they count what the events
/// count).
struct TelemetryIntake: Sendable {
    let store: any IngestStore
    let authenticator: BearerAuthenticator
    let normalizer: Normalizer
    let maxBytes: Int
    /// Records (log records, metric points) one export may hold, as batches hold envelopes.
    let maxRecords: Int

    func logs(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await receive(request, context: context) { body, json in
            let export: Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest = try Self.decode(body, json: json)
            var records: [(kind: String, device: String, record: [String: Any])] = []
            for resourceLogs in export.resourceLogs {
                let resource = Self.attributes(resourceLogs.resource.attributes)
                for scopeLogs in resourceLogs.scopeLogs {
                    for log in scopeLogs.logRecords {
                        let attributes = Self.attributes(log.attributes)
                        let body = Self.value(log.body)
                        var record: [String: Any] = ["attributes": attributes, "resource": resource, "scope": scopeLogs.scope.name]
                        record["event"] = [log.eventName, attributes["event.name"] as? String, body as? String]
                            .compactMap { $0 }.first { !$0.isEmpty }
                        if let body { record["body"] = body }
                        if log.timeUnixNano > 0 || log.observedTimeUnixNano > 0 {
                            record["time"] = Self.time(log.timeUnixNano > 0 ? log.timeUnixNano : log.observedTimeUnixNano)
                        }
                        if !log.severityText.isEmpty { record["severity"] = log.severityText }
                        records.append(("otlp.log-record", Self.device(resource, attributes), record))
                    }
                }
            }
            return (records, json ? Data("{}".utf8) : try Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceResponse().serializedData())
        }
    }

    func metrics(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await receive(request, context: context) { body, json in
            let export: Opentelemetry_Proto_Collector_Metrics_V1_ExportMetricsServiceRequest = try Self.decode(body, json: json)
            var records: [(kind: String, device: String, record: [String: Any])] = []
            for resourceMetrics in export.resourceMetrics {
                let resource = Self.attributes(resourceMetrics.resource.attributes)
                for scopeMetrics in resourceMetrics.scopeMetrics {
                    for metric in scopeMetrics.metrics {
                        let (type, points): (String, [Opentelemetry_Proto_Metrics_V1_NumberDataPoint]) = switch metric.data {
                        case .sum(let sum)?: ("sum", sum.dataPoints)
                        case .gauge(let gauge)?: ("gauge", gauge.dataPoints)
                        default: ("other", [])
                        }
                        for point in points {
                            let attributes = Self.attributes(point.attributes)
                            var record: [String: Any] = ["metric": metric.name, "unit": metric.unit, "type": type, "attributes": attributes,
                                                         "resource": resource, "scope": scopeMetrics.scope.name, "time": Self.time(point.timeUnixNano)]
                            switch point.value {
                            case .asDouble(let value)?: record["value"] = value
                            case .asInt(let value)?: record["value"] = value
                            case nil: break
                            }
                            records.append(("otlp.metric-point", Self.device(resource, attributes), record))
                        }
                    }
                }
            }
            return (records, json ? Data("{}".utf8) : try Opentelemetry_Proto_Collector_Metrics_V1_ExportMetricsServiceResponse().serializedData())
        }
    }

    /// Reads, decodes and stores; answers as OTLP does (200 with an empty response message, or
    /// 400 naming what is wrong).
    private func receive(_ request: Request, context: IngestRequestContext,
                         _ decode: ([UInt8], Bool) throws -> (records: [(kind: String, device: String, record: [String: Any])], answer: Data)) async throws -> Response {
        let token: TokenRecord
        switch await authenticator.authorize(request, context: context, scope: .ingest) {
        case .failure(let refusal): return refusal.response
        case .success(let found): token = found
        }
        let type = request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard type == "application/x-protobuf" || type == "application/json" else {
            return JSONAnswer.error(.unsupportedMediaType, "Content-Type: application/x-protobuf or application/json")
        }
        var body = Array(buffer: try await request.body.collect(upTo: maxBytes))
        if request.headers[.contentEncoding]?.lowercased() == "gzip" {
            do {
                let inflater = try GzipInflater(limit: maxBytes)
                try body.withUnsafeBytes { try inflater.append($0) }
                body = try inflater.finish()
            } catch {
                return JSONAnswer.error(.badRequest, "the body says gzip but is not (or inflates past \(maxBytes) bytes)")
            }
        }
        let decoded: (records: [(kind: String, device: String, record: [String: Any])], answer: Data)
        do {
            decoded = try decode(body, type == "application/json")
        } catch {
            return JSONAnswer.error(.badRequest, "not an OTLP export request (\(type)): \(error)")
        }
        guard decoded.records.count <= maxRecords else {
            return JSONAnswer.error(.contentTooLarge, "an export of \(decoded.records.count) records exceeds \(maxRecords); export in smaller batches")
        }
        let envelopes = try decoded.records.map { try envelope($0.kind, device: $0.device, record: $0.record, tenant: token.tenantID) }
        if !envelopes.isEmpty {
            let outcome = try await store.insert(envelopes, from: BatchOrigin(tokenID: token.id, tenantID: token.tenantID,
                                                                            batchID: "otlp-\(UUID().uuidString)"))
            if outcome.accepted > 0 { normalizer.wake() }
        }
        var headers = HTTPFields()
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: decoded.answer)))
    }

    static func decode<Message: SwiftProtobuf.Message>(_ body: [UInt8], json: Bool) throws -> Message {
        if json {
            var options = JSONDecodingOptions()
            options.ignoreUnknownFields = true
            return try Message(jsonUTF8Bytes: body, options: options)
        }
        return try Message(serializedBytes: body)
    }

    /// One envelope of the record, its id derived from the record (a retry is a repeat).
    func envelope(_ kind: String, device: String, record: [String: Any], tenant: Int64) throws -> ValidEnvelope {
        let json = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .withoutEscapingSlashes])
        // The id leaves out what names the exporting process rather than the event (an SDK draws a
        // new service.instance.id at each start): the same event sent again is a repeat.
        var identity = record
        if var resource = identity["resource"] as? [String: Any] {
            resource["service.instance.id"] = nil
            identity["resource"] = resource
        }
        let key = try JSONSerialization.data(withJSONObject: identity, options: [.sortedKeys, .withoutEscapingSlashes])
        return ValidEnvelope(made: json, identity: key, source: "otlp", kind: kind, device: device, path: "otlp/\(kind)")
    }

    /// A device per user of the exporting tool: whoever the resource (or the record) names.
    static func device(_ resource: [String: Any], _ attributes: [String: Any]) -> String {
        let who = ["user.email", "user.id", "user.account_uuid", "service.instance.id"].lazy
            .compactMap { (resource[$0] ?? attributes[$0]) as? String }.first { !$0.isEmpty } ?? "anonymous"
        return "otel-" + Hex.lowercase(SHA256.hash(data: Data(who.lowercased().utf8)).prefix(8))
    }

    static func time(_ nanoseconds: UInt64) -> String {
        let date = Date(timeIntervalSince1970: Double(nanoseconds) / 1_000_000_000)
        return ISO8601DateFormatter.fractional.string(from: date)
    }

    static func attributes(_ pairs: [Opentelemetry_Proto_Common_V1_KeyValue]) -> [String: Any] {
        var attributes: [String: Any] = [:]
        for pair in pairs { if let value = value(pair.value) { attributes[pair.key] = value } }
        return attributes
    }

    static func value(_ any: Opentelemetry_Proto_Common_V1_AnyValue) -> Any? {
        switch any.value {
        case .stringValue(let text)?: text
        case .boolValue(let flag)?: flag
        case .intValue(let number)?: number
        case .doubleValue(let number)?: number.isFinite ? number : nil
        case .arrayValue(let list)?: list.values.compactMap(value)
        case .kvlistValue(let list)?: attributes(list.values)
        case .bytesValue(let data)?: data.base64EncodedString()
        case nil: nil
        }
    }
}
