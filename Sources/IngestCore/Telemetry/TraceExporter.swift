import AsyncHTTPClient
import Crypto
import Foundation
import IngestStore
import Logging
import NIOCore
import OTLP
import SensorModel
import SQLiteDB

/// Pushes normalised sessions to an OTLP/HTTP endpoint as traces in the OpenTelemetry GenAI
/// semantic conventions: a session is an `invoke_agent` trace, each model response a `chat` span
/// (`gen_ai.usage.*`, the model), each tool call an `execute_tool` span; the tool, and with
/// `people` the person and their teams, as resource attributes. No words: no prompt, response,
/// tool input or output, title or path.
///
/// Sessions go once their last activity is `quiet` old, oldest first; what was sent to an
/// endpoint is kept in the store (`exported_sessions`): a restart resumes, a session that arrives
/// late or grows is sent (again). Ids come from the sessions' and rows' own keys, so a session
/// sent again (at least once) is the same trace with the same spans.
public struct TraceExporter: Sendable {
    public struct Settings: Sendable {
        /// The OTLP/HTTP base (`https://collector:4318`); traces go to `<base>/v1/traces`.
        public var endpoint: String
        public var headers: [(name: String, value: String)] = []
        public var tenant: Int64
        public var quiet: TimeInterval = 1800
        /// Name the person (email) and their teams on each trace.
        public var people = false
        public var sessionsPerRequest = 50
        public var maxTries = 8
        public var firstBackoff: TimeInterval = 1

        public init(endpoint: String, tenant: Int64) {
            self.endpoint = endpoint
            self.tenant = tenant
        }
    }

    public struct Outcome: Codable, Sendable, Equatable {
        public var sessions = 0
        public var spans = 0
        public var requests = 0
        public var retried = 0
        /// The last activity of the newest session sent.
        public var latest: String?
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    static let name = "otlp-traces"

    let store: any IngestStore
    let settings: Settings
    let http: HTTPClient
    let logger: Logger

    public init(store: any IngestStore, settings: Settings, http: HTTPClient = .shared, logger: Logger) {
        self.store = store
        self.settings = settings
        self.http = http
        self.logger = logger
    }

    /// Sends every session gone quiet that was not sent yet, or has grown since it was.
    public func export(now: Date = Date()) async throws -> Outcome {
        var outcome = Outcome()
        let horizon = DeviceDirectory.timestamp(now.addingTimeInterval(-settings.quiet))
        while true {
            let sessions = try await store.query(SQLStatement("""
                SELECT s.session_key, s.tool, s.native_id, s.model, s.started_at, s.ended_at, s.tool_version, p.email, s.device,
                       coalesce(s.ended_at, s.started_at) AS activity
                FROM norm_sessions s
                LEFT JOIN exported_sessions e ON e.exporter = $3 AND e.session_key = s.session_key
                LEFT JOIN device_people dp ON dp.tenant_id = s.tenant_id AND dp.device = s.device LEFT JOIN people p ON p.id = dp.person_id
                WHERE s.tenant_id = $1 AND s.source <> '(erased)' AND coalesce(s.ended_at, s.started_at) <= $2
                  AND (e.session_key IS NULL OR e.activity < coalesce(s.ended_at, s.started_at))
                ORDER BY coalesce(s.ended_at, s.started_at), s.session_key LIMIT \(settings.sessionsPerRequest)
                """, [.integer(settings.tenant), .text(horizon), .text(exporter)]))
            guard !sessions.isEmpty else { return outcome }
            let request = try await traces(for: sessions)
            outcome.spans += request.resourceSpans.reduce(0) { $0 + $1.scopeSpans.reduce(0) { $0 + $1.spans.count } }
            try await send(request, outcome: &outcome)
            outcome.sessions += sessions.count
            try await store.execute(sessions.map { session in
                SQLStatement("""
                    INSERT INTO exported_sessions(exporter, session_key, activity) VALUES ($1, $2, $3)
                    ON CONFLICT (exporter, session_key) DO UPDATE SET activity = excluded.activity
                    """, [.text(exporter), session[0], session[9]])
            })
            if let newest = sessions.last?[9].text, newest > (outcome.latest ?? "") { outcome.latest = newest }
        }
    }

    /// What sent sessions are kept under: this kind of export to this endpoint.
    var exporter: String { "\(Self.name):\(settings.endpoint)" }

    /// Forgets what was sent to this endpoint: the next export sends everything again (the same
    /// traces and spans).
    public func resend() async throws {
        try await store.execute([SQLStatement("DELETE FROM exported_sessions WHERE exporter = $1", [.text(exporter)])])
    }

    /// One `ResourceSpans` per session.
    private func traces(for sessions: [[SQLiteValue]]) async throws -> Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest {
        let keys = sessions.compactMap { $0[0].text }
        var usage: [String: [[SQLiteValue]]] = [:]
        for row in try await store.query("""
            SELECT session_key, usage_key, model, created_at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                   reasoning_tokens, coalesce(cost, estimated_cost) FROM norm_usage WHERE session_key IN
            """, in: keys, then: "ORDER BY created_at, usage_key") {
            usage[row[0].text ?? "", default: []].append(row)
        }
        var calls: [String: [[SQLiteValue]]] = [:]
        for row in try await store.query("""
            SELECT session_key, call_key, call_id, name, is_error, started_at, ended_at, duration_ms FROM norm_tool_calls WHERE session_key IN
            """, in: keys, then: "ORDER BY started_at, call_key") {
            calls[row[0].text ?? "", default: []].append(row)
        }
        var teams: [String: [String]] = [:]
        if settings.people {
            for row in try await store.query(SQLStatement("""
                SELECT p.email, t.name FROM team_members m JOIN teams t ON t.id = m.team_id JOIN people p ON p.id = m.person_id
                WHERE t.tenant_id = $1 ORDER BY t.name
                """, [.integer(settings.tenant)])) {
                teams[row[0].text ?? "", default: []].append(row[1].text ?? "")
            }
        }
        var request = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest()
        for session in sessions {
            let key = session[0].text ?? "", tool = session[1].text ?? ""
            let traceID = Self.id(16, "trace|\(key)"), root = Self.id(8, "session|\(key)")
            let started = Self.nanoseconds(session[4].text), ended = Self.nanoseconds(session[5].text) ?? started
            var resource = Opentelemetry_Proto_Resource_V1_Resource()
            resource.attributes = [Self.attribute("service.name", tool), Self.attribute("session_sensor.tenant", settings.tenant)]
            if let version = session[6].text { resource.attributes.append(Self.attribute("service.version", version)) }
            if settings.people, let email = session[7].text {
                resource.attributes.append(Self.attribute("user.email", email))
                if let names = teams[email] { resource.attributes.append(Self.attribute("session_sensor.teams", names)) }
            }
            var spans: [Opentelemetry_Proto_Trace_V1_Span] = []
            var totals = (input: Int64(0), output: Int64(0))
            for row in usage[key] ?? [] {
                let model = row[2].text ?? session[3].text ?? ""
                let cacheRead = row[6].int ?? 0, cacheWrite = row[7].int ?? 0
                let input = (row[4].int ?? 0) + cacheRead + cacheWrite, output = row[5].int ?? 0
                totals.input += input
                totals.output += output
                let at = Self.nanoseconds(row[3].text) ?? started ?? 0
                var attributes = [Self.attribute("gen_ai.operation.name", "chat"), Self.attribute("gen_ai.provider.name", tool),
                                  Self.attribute("gen_ai.usage.input_tokens", input), Self.attribute("gen_ai.usage.output_tokens", output),
                                  Self.attribute("gen_ai.usage.cache_read.input_tokens", cacheRead),
                                  Self.attribute("gen_ai.usage.cache_creation.input_tokens", cacheWrite)]
                if !model.isEmpty {
                    attributes += [Self.attribute("gen_ai.request.model", model), Self.attribute("gen_ai.response.model", model)]
                }
                if let reasoning = row[8].int, reasoning > 0 { attributes.append(Self.attribute("gen_ai.usage.reasoning.output_tokens", reasoning)) }
                if let cost = row[9].double { attributes.append(Self.attribute("session_sensor.cost_usd", cost)) }
                spans.append(Self.span(trace: traceID, id: Self.id(8, "usage|\(row[1].text ?? "")"), parent: root,
                                       name: model.isEmpty ? "chat" : "chat \(model)", kind: .client, start: at, end: at, attributes: attributes))
            }
            for row in calls[key] ?? [] {
                let name = row[3].text ?? "tool"
                let start = Self.nanoseconds(row[5].text) ?? started ?? 0
                let end = Self.nanoseconds(row[6].text) ?? row[7].int.map { start + UInt64(max(0, $0)) * 1_000_000 } ?? start
                var span = Self.span(trace: traceID, id: Self.id(8, "call|\(row[1].text ?? "")"), parent: root, name: "execute_tool \(name)",
                                     kind: .internal, start: start, end: max(start, end),
                                     attributes: [Self.attribute("gen_ai.operation.name", "execute_tool"), Self.attribute("gen_ai.tool.name", name),
                                                  Self.attribute("gen_ai.tool.call.id", row[2].text ?? "")])
                if row[4].int == 1 { span.status.code = .error }
                spans.append(span)
            }
            var rootAttributes = [Self.attribute("gen_ai.operation.name", "invoke_agent"), Self.attribute("gen_ai.agent.name", tool),
                                  Self.attribute("gen_ai.conversation.id", session[2].text ?? ""), Self.attribute("session_sensor.session_id", key),
                                  Self.attribute("gen_ai.usage.input_tokens", totals.input), Self.attribute("gen_ai.usage.output_tokens", totals.output)]
            if let model = session[3].text { rootAttributes.append(Self.attribute("gen_ai.request.model", model)) }
            let first = ([started] + spans.map { Optional($0.startTimeUnixNano) }).compactMap { $0 }.min() ?? 0
            let lastEnd = ([ended] + spans.map { Optional($0.endTimeUnixNano) }).compactMap { $0 }.max() ?? first
            spans.insert(Self.span(trace: traceID, id: root, parent: nil, name: "invoke_agent \(tool)", kind: .internal,
                                   start: first, end: lastEnd, attributes: rootAttributes), at: 0)
            var scope = Opentelemetry_Proto_Trace_V1_ScopeSpans()
            scope.scope.name = "session-sensor"
            scope.scope.version = "0.1.0"
            scope.spans = spans
            var resourceSpans = Opentelemetry_Proto_Trace_V1_ResourceSpans()
            resourceSpans.resource = resource
            resourceSpans.scopeSpans = [scope]
            request.resourceSpans.append(resourceSpans)
        }
        return request
    }

    /// POSTs the request as protobuf, tried again on 429, 5xx and no answer.
    private func send(_ request: Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest, outcome: inout Outcome) async throws {
        let url = settings.endpoint.hasSuffix("/") ? settings.endpoint + "v1/traces" : settings.endpoint + "/v1/traces"
        let body: Data = try request.serializedData()
        var backoff = settings.firstBackoff
        for attempt in 1...settings.maxTries {
            var post = HTTPClientRequest(url: url)
            post.method = .POST
            post.headers.add(name: "Content-Type", value: "application/x-protobuf")
            for header in settings.headers { post.headers.add(name: header.name, value: header.value) }
            post.body = .bytes(ByteBuffer(bytes: body))
            outcome.requests += 1
            var failure: String
            var wait = backoff
            do {
                let response = try await http.execute(post, timeout: .seconds(30))
                let answer = try await response.body.collect(upTo: 1 << 20)
                let status = Int(response.status.code)
                if (200..<300).contains(status) { return }
                failure = "HTTP \(status): \(String(buffer: answer).prefix(200))"
                guard status == 429 || status >= 500 else { throw Failure(description: "\(url): \(failure)") }
                if let after = RetryAfter.seconds(response.headers.first(name: "Retry-After")) { wait = after }
            } catch let error as Failure {
                throw error
            } catch {
                failure = "\(error)"
            }
            guard attempt < settings.maxTries else { throw Failure(description: "\(url): \(failure) after \(attempt) tries") }
            logger.warning("OTLP export: trying again", metadata: ["error": "\(failure)", "in": "\(wait) s"])
            outcome.retried += 1
            try await Task.sleep(for: .seconds(wait))
            backoff = min(backoff * 2, 300)
        }
    }

    static func id(_ length: Int, _ text: String) -> Data {
        Data(SHA256.hash(data: Data(text.utf8)).prefix(length))
    }

    static func nanoseconds(_ time: String?) -> UInt64? {
        guard let time, let date = ISO8601DateFormatter.fractional.date(from: time) ?? ISO8601DateFormatter.whole.date(from: time) else { return nil }
        return UInt64(max(0, date.timeIntervalSince1970 * 1_000_000_000))
    }

    static func span(trace: Data, id: Data, parent: Data?, name: String, kind: Opentelemetry_Proto_Trace_V1_Span.SpanKind, start: UInt64?,
                     end: UInt64?, attributes: [Opentelemetry_Proto_Common_V1_KeyValue]) -> Opentelemetry_Proto_Trace_V1_Span {
        var span = Opentelemetry_Proto_Trace_V1_Span()
        span.traceID = trace
        span.spanID = id
        if let parent { span.parentSpanID = parent }
        span.name = name
        span.kind = kind
        span.startTimeUnixNano = start ?? 0
        span.endTimeUnixNano = end ?? start ?? 0
        span.attributes = attributes
        return span
    }

    static func attribute(_ key: String, _ value: some AttributeValue) -> Opentelemetry_Proto_Common_V1_KeyValue {
        var pair = Opentelemetry_Proto_Common_V1_KeyValue()
        pair.key = key
        pair.value = value.anyValue
        return pair
    }
}

/// What an attribute's value can be.
protocol AttributeValue { var anyValue: Opentelemetry_Proto_Common_V1_AnyValue { get } }

extension String: AttributeValue {
    var anyValue: Opentelemetry_Proto_Common_V1_AnyValue { var value = Opentelemetry_Proto_Common_V1_AnyValue(); value.stringValue = self; return value }
}

extension Int64: AttributeValue {
    var anyValue: Opentelemetry_Proto_Common_V1_AnyValue { var value = Opentelemetry_Proto_Common_V1_AnyValue(); value.intValue = self; return value }
}

extension Double: AttributeValue {
    var anyValue: Opentelemetry_Proto_Common_V1_AnyValue { var value = Opentelemetry_Proto_Common_V1_AnyValue(); value.doubleValue = self; return value }
}

extension Array: AttributeValue where Element == String {
    var anyValue: Opentelemetry_Proto_Common_V1_AnyValue {
        var list = Opentelemetry_Proto_Common_V1_ArrayValue()
        list.values = map(\.anyValue)
        var value = Opentelemetry_Proto_Common_V1_AnyValue()
        value.arrayValue = list
        return value
    }
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let fractional: ISO8601DateFormatter = {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return format
    }()
    nonisolated(unsafe) static let whole = ISO8601DateFormatter()
}
