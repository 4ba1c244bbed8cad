@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization

/// The Swift normaliser OpenClaw had before its mapping (normalizers.d/openclaw.yaml), kept as
/// the reference the port is compared with, row for row. One change was made with the port, in
/// both: a tool call is keyed within its session (as every mapping keys them).
///
/// OpenClaw transcripts: JSONL files (`agents/<agent>/sessions/<session>.jsonl`, and their
/// `.reset.<ts>` / `.deleted.<ts>` archives) and, in database-first releases, the same lines
/// as rows of `transcript_events`.
///
/// - The header line (`type: session`) names the session; entries only carry their own `id`,
///   so the session is remembered per file. An archive is the renamed live file: the same
///   session, now marked `reset` or `deleted`; the new live file after a reset is a new session.
/// - Entries are keyed by (session id, entry id): a checkpoint copy, a byte prefix of the live
///   file, lands on the same rows and never double counts.
/// - Usage and cost are per assistant message; gateway-injected and delivery-mirror messages
///   are not model calls and carry no usage.
struct OpenClawReference: RecordNormalizer {
    let kinds: Set<String> = ["openclaw.transcript", "openclaw.transcript-event"]
    let rawOnlyKinds: Set<String> = ["openclaw.trajectory", "openclaw.sessions-index", "openclaw.session-node"]

    static let tool = "openclaw"
    static let types: Set<String> = [
        "session", "message", "model_change", "thinking_level_change", "custom", "custom_message", "compaction",
        "branch_summary", "label", "session_info",
    ]
    static let fields: Set<String> = [
        "type", "version", "id", "parentId", "timestamp", "cwd", "message", "provider", "modelId", "thinkingLevel",
        "customType", "data", "content", "display", "details", "summary", "firstKeptEntryId", "tokensBefore", "fromHook",
        "label", "targetId", "name", "fromId", "parentSession",
    ]
    static let syntheticModels: Set<String> = ["gateway-injected", "delivery-mirror"]

    init() {}

    func normalize(_ record: RawRecord, into context: inout NormalizationContext) {
        let entry: [String: Any]
        var nativeID: String?
        if record.kind == "openclaw.transcript-event" {
            guard let row = record.object else { return context.unreadable(record, "not a row") }
            nativeID = JSON.string(row["session_id"])
            guard let event = (row["event_json"] as? [String: Any]) ?? (row["event_json"] as? String).flatMap({ JSON.parse($0) as? [String: Any] })
            else { return context.unreadable(record, "event_json") }
            entry = event
        } else {
            guard let line = record.object else { return context.unreadable(record, "not a JSON object") }
            entry = line
        }
        var memory = context.memory(of: record)
        let type = entry["type"] as? String ?? ""
        if type == "session", let id = JSON.string(entry["id"]), record.kind == "openclaw.transcript" {
            memory.sessionNativeID = id
            memory.toolVersion = JSON.int(entry["version"]).map { "v\($0)" }
            context.remember(memory, for: record)
        }
        let version = memory.toolVersion
        guard Self.types.contains(type) else { return context.unknownType(record, version: version, type.isEmpty ? "(none)" : type) }
        context.unknownFields(record, version: version, entry, known: Self.fields)
        guard let sessionID = nativeID ?? memory.sessionNativeID else { return context.unreadable(record, "no session header") }

        let sessionKey = NormalKey.session(device: record.scopedDevice, tool: Self.tool, nativeID: sessionID)
        let timestamp = JSON.timestamp(entry["timestamp"])
        var session = SessionRow(key: sessionKey, tool: Self.tool, device: record.device, nativeID: sessionID, source: record.source,
                                 toolVersion: version, startedAt: timestamp, endedAt: timestamp, file: record.path)
        if record.path.contains(".jsonl.reset.") { session.status = "reset" }
        if record.path.contains(".jsonl.deleted.") { session.status = "deleted" }
        if type == "session" { session.project = JSON.string(entry["cwd"]) }
        if type == "model_change", let model = JSON.string(entry["modelId"]) {
            session.model = model
            memory.model = model
            context.remember(memory, for: record)
        }
        context.batch.sessions.append(session)

        let entryID = JSON.string(entry["id"]) ?? "\(record.position)"
        let messageKey = NormalKey.make(record.scopedDevice, Self.tool, "entry", sessionID, entryID)
        switch type {
        case "message":
            message(entry["message"] as? [String: Any] ?? [:], record, sessionID: sessionID, sessionKey: sessionKey, messageKey: messageKey,
                    timestamp: timestamp, into: &context)
        case "compaction", "branch_summary":
            context.batch.messages.append(MessageRow(
                key: messageKey, sessionKey: sessionKey, role: "system", kind: type == "compaction" ? "compaction" : "summary",
                text: JSON.string(entry["summary"]), createdAt: timestamp, ordinal: record.position, rank: 0, source: record.source))
        default: break
        }
    }

    private func message(_ message: [String: Any], _ record: RawRecord, sessionID: String, sessionKey: String, messageKey: String, timestamp: String?,
                         into context: inout NormalizationContext) {
        let role = message["role"] as? String ?? "assistant"
        let model = JSON.string(message["model"])
        var texts: [String] = []
        var kind = role == "toolResult" ? "tool_result" : "text"
        for case let block as [String: Any] in (message["content"] as? [Any]) ?? [] {
            switch block["type"] as? String {
            case "text": JSON.string(block["text"]).map { texts.append($0) }
            case "thinking": if texts.isEmpty { kind = "thinking" }
            case "toolCall":
                guard let callID = JSON.string(block["id"]) else { continue }
                context.batch.toolCalls.append(ToolCallRow(
                    key: NormalKey.make(record.scopedDevice, Self.tool, "call", sessionID, callID), sessionKey: sessionKey, messageKey: messageKey,
                    callID: callID, name: JSON.string(block["name"]), input: JSON.text(block["arguments"]), startedAt: timestamp,
                    source: record.source))
            default: break
            }
        }
        if let text = message["content"] as? String { texts.append(text) }
        let text = texts.isEmpty ? nil : texts.joined(separator: "\n")
        if role == "toolResult", let callID = JSON.string(message["toolCallId"]) {
            context.batch.toolCalls.append(ToolCallRow(
                key: NormalKey.make(record.scopedDevice, Self.tool, "call", sessionID, callID), sessionKey: sessionKey, callID: callID,
                name: JSON.string(message["toolName"]), result: text, isError: JSON.bool(message["isError"]), endedAt: timestamp,
                source: record.source))
        }
        context.batch.messages.append(MessageRow(
            key: messageKey, sessionKey: sessionKey, responseID: JSON.string(message["responseId"]),
            role: role == "toolResult" ? "tool" : role, kind: kind, text: text, model: model, createdAt: timestamp,
            ordinal: record.position, rank: 0, source: record.source))

        guard role == "assistant", let usage = message["usage"] as? [String: Any],
              JSON.string(message["provider"]) != "openclaw", !Self.syntheticModels.contains(model ?? "") else { return }
        var row = UsageRow(key: messageKey, sessionKey: sessionKey, messageKey: messageKey, model: model, createdAt: timestamp,
                           source: record.source)
        row.input = JSON.int(usage["input"]) ?? 0
        row.output = JSON.int(usage["output"]) ?? 0
        row.cacheRead = JSON.int(usage["cacheRead"]) ?? 0
        row.cacheWrite = JSON.int(usage["cacheWrite"]) ?? 0
        row.cost = JSON.double(JSON.at(usage, "cost.total"))
        context.batch.usage.append(row)
        if let model { context.batch.models.insert([sessionKey, model, record.source]) }
    }
}
