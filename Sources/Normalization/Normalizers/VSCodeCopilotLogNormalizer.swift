import Foundation
import IngestStore

/// Copilot Chat's session logs (VS Code ≥ 1.109, `chatSessions/<session>.jsonl`): a log of
/// patches to one session document, meaningful only replayed in order. `kind` 0 sets the whole
/// session (again mid-file after a failed write: the state starts over), 1 sets the value at
/// path `k`, 2 pushes `v`'s elements onto the array at `k` (after truncating it to `i`), 3
/// deletes. A Swift normaliser, not a mapping: a request's rows come from several records.
///
/// What is replayed is what rows need, kept per file: the session id, how many requests there
/// are and each one's id, the response text so far and the token counts. Each patch gives the
/// rows it changes: a pushed request its prompt and response; a response set or pushed to the
/// response's new text (a later version replaces the earlier); token counts a usage row.
public struct VSCodeCopilotLogNormalizer: RecordNormalizer {
    public let kinds: Set<String> = ["vscode-copilot.session-log"]

    public init() {}

    public func normalize(_ record: RawRecord, into context: inout NormalizationContext) {
        guard let patch = record.object, let kind = JSON.int(patch["kind"]) else { return context.unreadable(record, "not a patch") }
        var memory = context.memory(of: record)
        var state = memory.values ?? [:]
        defer {
            memory.values = state
            context.remember(memory, for: record)
        }
        let path = (patch["k"] as? [Any]) ?? []
        let value = patch["v"]
        var replay = Replay(record: record, state: state)
        switch kind {
        case 0:
            guard let session = value as? [String: Any] else { return context.unreadable(record, "kind 0 without a session") }
            replay.start(session, into: &context)
        case 1 where path.isEmpty:
            guard let session = value as? [String: Any] else { return }
            replay.start(session, into: &context)
        case 1, 2:
            guard replay.sessionID != nil else { return context.unreadable(record, "a patch before the session") }
            replay.apply(kind == 2 ? .push(truncateTo: JSON.int(patch["i"]).map(Int.init)) : .set, at: path, value, into: &context)
        case 3:
            break
        default:
            context.unknownType(record, version: nil, "kind \(kind)")
        }
        state = replay.state
    }

    /// The state of one file's replay, and the rows each patch gives.
    package struct Replay {
        package enum Operation { case set, push(truncateTo: Int?) }

        package let record: RawRecord
        package var state: [String: String]

        package init(record: RawRecord, state: [String: String]) {
            self.record = record
            self.state = state
        }

        package var sessionID: String? { state["session"] }
        package var count: Int {
            get { Int(state["count"] ?? "") ?? 0 }
            set { state["count"] = String(newValue) }
        }

        package mutating func start(_ session: [String: Any], into context: inout NormalizationContext) {
            let stem = String(record.path.split(separator: "/").last?.prefix { $0 != "." } ?? "")
            state = ["session": JSON.string(session["sessionId"]) ?? stem, "count": "0"]
            if let created = JSON.timestamp(epoch: session["creationDate"]) { state["created"] = created }
            if let title = JSON.string(session["customTitle"]) { state["title"] = title }
            sessionRow(into: &context)
            for request in (session["requests"] as? [Any]) ?? [] { pushRequest(request, into: &context) }
        }

        package mutating func apply(_ operation: Operation, at path: [Any], _ value: Any?, into context: inout NormalizationContext) {
            let keys = path.map { ($0 as? String) ?? JSON.int($0).map { String($0) } ?? "" }
            sessionRow(into: &context)
            switch (operation, keys.first) {
            case (.push(let truncate), "requests") where keys.count == 1:
                if let truncate { count = min(count, truncate) }
                for request in (value as? [Any]) ?? [] { pushRequest(request, into: &context) }
            case (.set, "requests") where keys.count == 1:
                count = 0
                for request in (value as? [Any]) ?? [] { pushRequest(request, into: &context) }
            case (_, "requests"):
                guard keys.count >= 2, let index = Int(keys[1]), (0..<(1 << 24)).contains(index) else { return }
                requestPatch(index, Array(keys.dropFirst(2)), operation, value, into: &context)
            case (.set, "customTitle"):
                state["title"] = JSON.string(value)
                sessionRow(into: &context)
            default:
                break
            }
        }

        private mutating func requestPatch(_ index: Int, _ rest: [String], _ operation: Operation, _ value: Any?,
                                           into context: inout NormalizationContext) {
            switch (operation, rest.first) {
            case (.set, nil):
                if let request = value as? [String: Any] { take(index, request, into: &context) }
            case (.set, "response"):
                state["r\(index).text"] = nil
                response(index, value as? [Any] ?? [], into: &context)
            case (.push(let truncate), "response"):
                if truncate == 0 { state["r\(index).text"] = nil }
                response(index, value as? [Any] ?? [], into: &context)
            case (.set, "result"):
                tokens(index, from: (value as? [String: Any])?["metadata"] as? [String: Any] ?? [:], into: &context)
            case (.set, "promptTokens"), (.set, "completionTokens"), (.set, "outputTokens"):
                tokens(index, from: [rest[0]: value ?? NSNull()], into: &context)
            default:
                break
            }
        }

        private mutating func pushRequest(_ value: Any, into context: inout NormalizationContext) {
            let index = count
            count = index + 1
            state["r\(index).text"] = nil
            if let request = value as? [String: Any] { take(index, request, into: &context) }
        }

        private mutating func take(_ index: Int, _ request: [String: Any], into context: inout NormalizationContext) {
            if let id = JSON.string(request["requestId"]) { state["r\(index).id"] = id }
            if let model = JSON.string(request["modelId"]) { state["r\(index).model"] = model }
            if let time = JSON.timestamp(epoch: request["timestamp"]) { state["r\(index).time"] = time }
            let message = request["message"] as? [String: Any]
            let prompt = JSON.string(message?["text"])
            context.batch.messages.append(MessageRow(
                key: key(index, "prompt"), sessionKey: sessionKey, role: "user", kind: "text", text: prompt,
                createdAt: state["r\(index).time"], ordinal: Int64(index) * 2, rank: 0, source: record.source))
            if let parts = request["response"] as? [Any] { response(index, parts, into: &context) }
            var counts = (request["result"] as? [String: Any])?["metadata"] as? [String: Any] ?? [:]
            for name in ["promptTokens", "completionTokens", "outputTokens"] where request[name] != nil { counts[name] = request[name] }
            tokens(index, from: counts, into: &context)
        }

        /// Response parts appended: markdown fragments joined as they are, tool invocations as calls.
        private mutating func response(_ index: Int, _ parts: [Any], into context: inout NormalizationContext) {
            var text = state["r\(index).text"] ?? ""
            for case let part as [String: Any] in parts {
                let kind = part["kind"] as? String
                if kind == nil || kind == "markdownContent" {
                    text += JSON.string(part["value"]) ?? JSON.string((part["content"] as? [String: Any])?["value"]) ?? ""
                } else if kind == "toolInvocationSerialized" || kind == "toolInvocation", let callID = JSON.string(part["toolCallId"]) {
                    context.batch.toolCalls.append(ToolCallRow(
                        key: NormalKey.make(record.scopedDevice, record.tool, "call", sessionID ?? "", callID),
                        sessionKey: sessionKey, messageKey: key(index, "response"), callID: callID, name: JSON.string(part["toolId"]),
                        input: JSON.string((part["invocationMessage"] as? [String: Any])?["value"]) ?? JSON.string(part["invocationMessage"]),
                        result: JSON.text(part["resultDetails"]), source: record.source))
                }
            }
            state["r\(index).text"] = text
            guard !text.isEmpty else { return }
            context.batch.messages.append(MessageRow(
                key: key(index, "response"), sessionKey: sessionKey, role: "assistant", kind: "text", text: text,
                model: state["r\(index).model"], createdAt: state["r\(index).time"], ordinal: Int64(index) * 2 + 1,
                rank: record.seq, source: record.source))
        }

        /// Token counts set in pieces are kept together: the row carries all of them.
        private mutating func tokens(_ index: Int, from counts: [String: Any], into context: inout NormalizationContext) {
            if let prompt = JSON.int(counts["promptTokens"]) { state["r\(index).in"] = String(prompt) }
            if let output = JSON.int(counts["outputTokens"]) ?? JSON.int(counts["completionTokens"]) { state["r\(index).out"] = String(output) }
            if let model = JSON.string(counts["resolvedModel"]) { state["r\(index).model"] = model }
            let input = BoundedNumber.tokens(Int64(state["r\(index).in"] ?? "") ?? 0)
            let output = BoundedNumber.tokens(Int64(state["r\(index).out"] ?? "") ?? 0)
            guard input + output > 0 else { return }
            var usage = UsageRow(key: key(index, "usage"), sessionKey: sessionKey, messageKey: key(index, "response"),
                                 model: state["r\(index).model"], createdAt: state["r\(index).time"], source: record.source)
            usage.input = input
            usage.output = output
            context.batch.usage.append(usage)
            if let model = usage.model { context.batch.models.insert([sessionKey, model, record.source]) }
        }

        private var sessionKey: String {
            NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: sessionID ?? "")
        }

        private func key(_ index: Int, _ part: String) -> String {
            NormalKey.make(record.scopedDevice, record.tool, "entry", sessionID ?? "",
                           state["r\(index).id"] ?? "#\(index)", part)
        }

        private func sessionRow(into context: inout NormalizationContext) {
            guard let sessionID else { return }
            var row = SessionRow(key: sessionKey, tool: record.tool, device: record.device, nativeID: sessionID,
                                 source: record.source, startedAt: state["created"], endedAt: state["created"], file: record.path)
            row.title = state["title"]
            context.batch.sessions.append(row)
        }
    }
}
