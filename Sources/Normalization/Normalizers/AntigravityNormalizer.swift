import Foundation
import IngestStore

/// Google Antigravity: CLI transcripts (`brain/<conversation>/.system_generated/logs/transcript.jsonl`)
/// and per-conversation SQLite stores (`conversations/<conversation>.db`).
///
/// - A step may be written RUNNING and again DONE: steps are keyed by (conversation,
///   `step_index`) and the finished version replaces the running one.
/// - Token usage lives only in `gen_metadata` rows (protobuf, read by field number).
/// - Encrypted conversations (`*.pb`) cannot be read: kept raw and counted as opaque.
public struct AntigravityNormalizer: RecordNormalizer {
    public let kinds: Set<String> = ["antigravity.transcript", "antigravity.gen-metadata"]
    public let rawOnlyKinds: Set<String> = ["antigravity.history", "antigravity.artifact", "antigravity.step"]
    public let opaqueKinds: Set<String> = ["antigravity.encrypted"]

    package static let fields: Set<String> = [
        "step_index", "source", "type", "status", "created_at", "content", "thinking", "tool_calls", "truncated_fields",
    ]
    static let statusRank: [String: Int64] = ["RUNNING": 1, "DONE": 2, "ERROR": 2, "CANCELED": 2, "CANCELLED": 2]

    public init() {}

    public func normalize(_ record: RawRecord, into context: inout NormalizationContext) {
        if record.kind == "antigravity.gen-metadata" { return generation(record, into: &context) }
        guard let step = record.object else { return context.unreadable(record, "not a JSON object") }
        context.unknownFields(record, version: nil, step, known: Self.fields)
        let components = record.pathComponents
        guard let brain = components.lastIndex(of: "brain"), brain + 1 < components.count,
              let index = JSON.int(step["step_index"]) else { return context.unreadable(record, "step_index") }
        let conversation = components[brain + 1]
        let sessionKey = NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: conversation)
        let created = JSON.timestamp(step["created_at"])
        context.batch.sessions.append(SessionRow(key: sessionKey, tool: record.tool, device: record.device, nativeID: conversation,
                                                 source: record.source, startedAt: created, endedAt: created, file: record.path))

        let type = step["type"] as? String ?? "STEP"
        let role: String
        switch step["source"] as? String {
        case "USER_EXPLICIT", "USER": role = "user"
        case "SYSTEM": role = "system"
        default: role = "assistant"
        }
        let status = step["status"] as? String ?? ""
        let key = NormalKey.make(record.scopedDevice, record.tool, "step", conversation, "\(index)")
        let text = JSON.string(step["content"]) ?? JSON.string(step["thinking"])
        context.batch.messages.append(MessageRow(
            key: key, sessionKey: sessionKey, role: role, kind: type == "CHECKPOINT" ? "compaction" : type.lowercased(), text: text,
            createdAt: created, ordinal: index, rank: Self.statusRank[status] ?? 0, source: record.source))
        for (number, call) in (step["tool_calls"] as? [Any] ?? []).enumerated() {
            guard let call = call as? [String: Any] else { continue }
            let callID = "\(conversation)/\(index)/\(number)"
            context.batch.toolCalls.append(ToolCallRow(
                key: NormalKey.make(record.scopedDevice, record.tool, "call", callID), sessionKey: sessionKey, messageKey: key, callID: callID,
                name: JSON.string(call["name"]), input: JSON.text(call["args"]), isError: status == "ERROR" ? true : nil,
                startedAt: created, source: record.source))
        }
    }

    /// `gen_metadata.data`: root #1 → usage #4 {#2 input, #3 output, #10 thinking}; #19 model,
    /// #21 the model's display name.
    private func generation(_ record: RawRecord, into context: inout NormalizationContext) {
        guard let row = record.object, let index = JSON.int(row["idx"]), let conversation = Self.conversation(record) else {
            return context.unreadable(record, "idx")
        }
        guard let encoded = row["data"] as? String, let data = Data(base64Encoded: encoded),
              let root = ProtobufFields(Array(data)[...]), let metadata = root.message(1) else {
            return context.unreadable(record, "data")
        }
        let sessionKey = NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: conversation)
        let model = metadata.string(19) ?? metadata.string(21)
        context.batch.sessions.append(SessionRow(key: sessionKey, tool: record.tool, device: record.device, nativeID: conversation,
                                                 source: record.source, model: model, file: record.path))
        guard let usage = metadata.message(4) else { return }
        var usageRow = UsageRow(key: NormalKey.make(record.scopedDevice, record.tool, "generation", conversation, "\(index)"),
                            sessionKey: sessionKey, model: model, source: record.source)
        usageRow.input = usage.int(2) ?? 0
        usageRow.output = usage.int(3) ?? 0
        usageRow.reasoning = usage.int(10) ?? 0
        context.batch.usage.append(usageRow)
        if let model { context.batch.models.insert([sessionKey, model, record.source]) }
    }

    /// `conversations/<id>.db` → the conversation id.
    package static func conversation(_ record: RawRecord) -> String? {
        guard let file = record.pathComponents.last, file.hasSuffix(".db") else { return nil }
        return String(file.dropLast(3))
    }
}
