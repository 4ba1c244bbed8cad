import IngestStore
/// Claude Code transcripts (`~/.claude/projects/<slug>/<session>.jsonl` and sub-agent files).
///
/// - A message is a line with a `uuid`; a line copied into a resumed or forked session keeps
///   its uuid, so it is stored once (in the session that was read first).
/// - One API response is streamed as one line per content block, all with the same
///   `message.id` and `requestId`: they share `responseID`, and the usage row, keyed by both,
///   keeps the snapshot with the most tokens (the final one).
/// - Sub-agent lines carry the parent's `sessionId` and their own `agentId`: the sub-agent is a
///   session of its own (`<sessionId>/<agentId>`) linked to the parent and to the `Task` tool
///   call that spawned it (from the parent's `agent_progress` lines or the tool result).
/// - `compact_boundary` lines and compact summaries are kept as messages of their own kind.
public struct ClaudeCodeNormalizer: RecordNormalizer {
    public let kinds: Set<String> = ["claude-code.transcript", "claude-code.subagent-meta"]
    public let rawOnlyKinds: Set<String> = ["claude-code.history"]

    package static let types: Set<String> = [
        "user", "assistant", "system", "progress", "queue-operation", "file-history-snapshot", "summary", "attachment",
        "custom-title", "ai-title", "last-prompt", "pr-link", "mode", "permission-mode", "tag",
    ]
    package static let fields: Set<String> = [
        "type", "uuid", "parentUuid", "logicalParentUuid", "isSidechain", "userType", "cwd", "sessionId", "version",
        "gitBranch", "slug", "agentId", "timestamp", "message", "requestId", "toolUseResult", "sourceToolAssistantUUID",
        "isMeta", "isCompactSummary", "isVisibleInTranscriptOnly", "thinkingMetadata", "todos", "permissionMode",
        "subtype", "content", "level", "compactMetadata", "durationMs", "hookCount", "hookInfos", "hookErrors",
        "preventedContinuation", "stopReason", "hasOutput", "toolUseID", "parentToolUseID", "data", "operation",
        "messageId", "snapshot", "isSnapshotUpdate", "summary", "leafUuid", "sessionKind", "promptSource",
        "isApiErrorMessage", "error", "attachment", "customTitle", "aiTitle", "lastPrompt", "mode", "tag", "prUrl",
        "prNumber", "prRepository", "apiError", "retryInMs", "retryAttempt", "maxRetries", "cause", "isCompactBoundary",
        "planContent", "imagePasteIds", "entrypoint", "teamName", "agentName", "origin",
    ]

    /// Transcript lines are read in place: most of their bytes are tool output the rows take
    /// whole or not at all.
    public let readsInPlace = true

    public init() {}

    public func normalize(_ record: RawRecord, into context: inout NormalizationContext) {
        if record.kind == "claude-code.subagent-meta" { return normalizeMeta(record, into: &context) }
        let read = record.withRecordInPlace { value -> Bool in
            guard let line = value.object else { return false }
            normalize(line, record, into: &context)
            return true
        }
        if read != true { context.unreadable(record, "not a JSON object") }
    }

    private func normalize(_ line: JSONSpanObject, _ record: RawRecord, into context: inout NormalizationContext) {
        let version = line["version"]?.string
        let type = line["type"]?.string ?? ""
        guard Self.types.contains(type) else { return context.unknownType(record, version: version, type.isEmpty ? "(none)" : type) }
        context.unknownFields(record, version: version, keys: line.keys(notIn: Self.fields), known: Self.fields)

        var memory = context.memory(of: record)
        guard let sessionID = line["sessionId"]?.nonEmptyString ?? memory.sessionNativeID else { return }
        let agentID = line["agentId"]?.nonEmptyString
        let nativeID = agentID.map { "\(sessionID)/\($0)" } ?? sessionID
        if memory.sessionNativeID == nil, line["sessionId"] != nil {
            memory.sessionNativeID = sessionID
            context.remember(memory, for: record)
        }
        let sessionKey = NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: nativeID)
        let timestamp = JSON.timestamp(line["timestamp"]?.string)

        var session = SessionRow(key: sessionKey, tool: record.tool, device: record.device, nativeID: nativeID, source: record.source,
                                 project: line["cwd"]?.nonEmptyString, gitBranch: line["gitBranch"]?.nonEmptyString,
                                 toolVersion: version, startedAt: timestamp, endedAt: timestamp, file: record.path)
        if type == "custom-title" || type == "ai-title" {
            session.title = line["customTitle"]?.nonEmptyString ?? line["aiTitle"]?.nonEmptyString ?? line["title"]?.nonEmptyString
        }
        context.batch.sessions.append(session)
        if agentID != nil {
            let parentKey = NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: sessionID)
            context.batch.links.append(SessionLinkRow(childKey: sessionKey, parentKey: parentKey, toolCallID: nil, relation: "subagent",
                                                      source: record.source))
        }

        switch type {
        case "user", "assistant": message(line, type: type, record, sessionKey: sessionKey, timestamp: timestamp, into: &context)
        case "system": system(line, record, sessionKey: sessionKey, timestamp: timestamp, into: &context)
        case "progress": progress(line, record, sessionID: sessionID, into: &context)
        default: break
        }
    }

    private func message(_ line: JSONSpanObject, type: String, _ record: RawRecord, sessionKey: String, timestamp: String?,
                         into context: inout NormalizationContext) {
        guard let uuid = line["uuid"]?.nonEmptyString, let message = line["message"]?.object else { return }
        let messageKey = NormalKey.make(record.scopedDevice, record.tool, "line", uuid)
        let model = message["model"]?.nonEmptyString
        let responseID = type == "assistant" ? message["id"]?.nonEmptyString : nil
        var kind = "text"
        var texts: [String] = []
        if let content = message["content"] {
            if let text = content.string { texts.append(text) }
            for element in content.elements ?? [] {
                guard let block = element.object else { continue }
                switch block["type"]?.string {
                case "text": block["text"]?.nonEmptyString.map { texts.append($0) }
                case "thinking":
                    if texts.isEmpty { kind = "thinking" }
                    block["thinking"]?.nonEmptyString.map { texts.append($0) }
                case "tool_use":
                    guard let callID = block["id"]?.nonEmptyString else { continue }
                    if texts.isEmpty { kind = "tool_use" }
                    context.batch.toolCalls.append(ToolCallRow(
                        key: NormalKey.make(record.scopedDevice, record.tool, "call", callID), sessionKey: sessionKey, messageKey: messageKey,
                        callID: callID, name: block["name"]?.nonEmptyString, input: JSON.text(block["input"]?.decoded),
                        startedAt: timestamp, source: record.source))
                case "tool_result":
                    kind = "tool_result"
                    let result = Self.text(of: block["content"])
                    result.map { texts.append($0) }
                    if let callID = block["tool_use_id"]?.nonEmptyString {
                        toolResult(callID: callID, block: block, result: result, line: line, record, sessionKey: sessionKey,
                                   timestamp: timestamp, into: &context)
                    }
                default: break
                }
            }
        }
        if line["isCompactSummary"]?.bool == true { kind = "summary" }
        context.batch.messages.append(MessageRow(
            key: messageKey, sessionKey: sessionKey, responseID: responseID, role: type, kind: kind,
            text: texts.isEmpty ? nil : texts.joined(separator: "\n"), model: model, createdAt: timestamp,
            ordinal: record.position, rank: 0, source: record.source))

        if type == "assistant", let usage = message["usage"]?.object, let responseID {
            let requestID = line["requestId"]?.nonEmptyString ?? ""
            var row = UsageRow(key: NormalKey.make(record.scopedDevice, record.tool, "usage", responseID, requestID), sessionKey: sessionKey,
                               messageKey: messageKey, model: model, createdAt: timestamp, source: record.source)
            row.input = usage["input_tokens"]?.int ?? 0
            row.output = usage["output_tokens"]?.int ?? 0
            row.cacheRead = usage["cache_read_input_tokens"]?.int ?? 0
            row.cacheWrite = usage["cache_creation_input_tokens"]?.int ?? 0
            row.requestID = requestID.isEmpty ? nil : requestID
            context.batch.usage.append(row)
            if let model, model != "<synthetic>" { context.batch.models.insert([sessionKey, model, record.source]) }
        }
    }

    private func toolResult(callID: String, block: JSONSpanObject, result: String?, line: JSONSpanObject, _ record: RawRecord,
                            sessionKey: String, timestamp: String?, into context: inout NormalizationContext) {
        let callKey = NormalKey.make(record.scopedDevice, record.tool, "call", callID)
        let structured = line["toolUseResult"]?.object
        context.batch.toolCalls.append(ToolCallRow(
            key: callKey, sessionKey: sessionKey, callID: callID, result: result, isError: block["is_error"]?.bool,
            endedAt: timestamp, durationMs: structured?["durationMs"]?.int ?? structured?["totalDurationMs"]?.int,
            source: record.source))
        guard let structured else { return }
        if let agentID = structured["agentId"]?.nonEmptyString, let sessionID = line["sessionId"]?.nonEmptyString {
            context.batch.links.append(SessionLinkRow(
                childKey: NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: "\(sessionID)/\(agentID)"),
                parentKey: sessionKey, toolCallID: callID, relation: "subagent", source: record.source))
        }
        if let path = structured["filePath"]?.nonEmptyString {
            let patch = structured["structuredPatch"]?.decoded as? [Any]
            context.batch.fileChanges.append(FileChangeRow(
                key: NormalKey.make(record.scopedDevice, record.tool, "change", callID), sessionKey: sessionKey, callKey: callKey, path: path,
                diff: patch.flatMap(Self.unifiedDiff), oldText: structured["oldString"]?.nonEmptyString,
                newText: structured["newString"]?.nonEmptyString ?? structured["content"]?.nonEmptyString,
                createdAt: timestamp, source: record.source))
        }
    }

    private func system(_ line: JSONSpanObject, _ record: RawRecord, sessionKey: String, timestamp: String?,
                        into context: inout NormalizationContext) {
        guard line["subtype"]?.string == "compact_boundary", let uuid = line["uuid"]?.nonEmptyString else { return }
        context.batch.messages.append(MessageRow(
            key: NormalKey.make(record.scopedDevice, record.tool, "line", uuid), sessionKey: sessionKey, role: "system", kind: "compaction",
            text: line["content"]?.nonEmptyString, createdAt: timestamp, ordinal: record.position, rank: 0, source: record.source))
    }

    /// A parent's `agent_progress` line names the sub-agent and the tool call that runs it.
    private func progress(_ line: JSONSpanObject, _ record: RawRecord, sessionID: String, into context: inout NormalizationContext) {
        guard let data = line["data"]?.object, data["type"]?.string == "agent_progress", line["agentId"]?.nonEmptyString == nil,
              let agentID = data["agentId"]?.nonEmptyString, let callID = line["parentToolUseID"]?.nonEmptyString
        else { return }
        context.batch.links.append(SessionLinkRow(
            childKey: NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: "\(sessionID)/\(agentID)"),
            parentKey: NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: sessionID),
            toolCallID: callID, relation: "subagent", source: record.source))
    }

    /// `agent-<id>.meta.json` beside a sub-agent transcript: its type and the spawning call.
    private func normalizeMeta(_ record: RawRecord, into context: inout NormalizationContext) {
        let components = record.pathComponents
        guard let file = components.last, file.hasPrefix("agent-"), let subagents = components.lastIndex(of: "subagents"),
              subagents >= 1 else { return }
        let sessionID = components[subagents - 1]
        let agentID = String(file.dropFirst("agent-".count).prefix { $0 != "." })
        let meta = record.object ?? [:]
        let toolCall = JSON.string(meta["toolUseId"]) ?? JSON.string(meta["toolUseID"])
        context.batch.links.append(SessionLinkRow(
            childKey: NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: "\(sessionID)/\(agentID)"),
            parentKey: NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: sessionID),
            toolCallID: toolCall, relation: "subagent", source: record.source))
    }

    /// A tool result's text: a string, or the text blocks of an array.
    package static func text(of content: JSONSpan?) -> String? {
        guard let content else { return nil }
        if let string = content.string { return string }
        guard let blocks = content.elements else { return nil }
        let texts = blocks.compactMap { $0.object?["text"]?.nonEmptyString }
        return texts.isEmpty ? nil : texts.joined(separator: "\n")
    }

    /// `structuredPatch` hunks as a unified diff.
    static func unifiedDiff(_ hunks: [Any]) -> String? {
        var diff = ""
        for case let hunk as [String: Any] in hunks {
            let oldStart = JSON.int(hunk["oldStart"]) ?? 0, oldLines = JSON.int(hunk["oldLines"]) ?? 0
            let newStart = JSON.int(hunk["newStart"]) ?? 0, newLines = JSON.int(hunk["newLines"]) ?? 0
            diff += "@@ -\(oldStart),\(oldLines) +\(newStart),\(newLines) @@\n"
            for case let line as String in hunk["lines"] as? [Any] ?? [] { diff += line + "\n" }
        }
        return diff.isEmpty ? nil : diff
    }
}
