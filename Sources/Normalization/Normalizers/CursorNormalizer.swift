import Foundation
import IngestStore
/// Cursor: the IDE's `state.vscdb` rows (global `cursorDiskKV`, `composerHeaders`, and the
/// chat keys of `ItemTable`) and the cursor-agent CLI's stores and transcripts.
///
/// - A composer (`composerData:<id>`) is a session; its bubbles (`bubbleId:<id>:<bubble>`) are
///   its messages, ordered as the composer's header lists them, whichever arrives first.
/// - Rows are updated in place: a later version of a bubble replaces the earlier one
///   (ranked by arrival), and token counts filled in later replace zeros.
/// - A composer whose value became NULL is a tombstone: the conversation ended (deleted).
/// - Legacy chat kept in `ItemTable` (`workbench.panel.aichat.view.aichat.chatdata` tabs,
///   `composer.composerData` with inline conversations) gives sessions and messages too.
public struct CursorNormalizer: RecordNormalizer {
    public let kinds: Set<String> = [
        "cursor.kv", "cursor.composer-header", "cursor.item", "cursor.workspace", "cursor-agent.transcript", "cursor-agent.blob",
        "cursor-agent.meta",
    ]

    static let understoodKeys = ["codeBlockDiff:", "agentKv:", "checkpointId:", "messageRequestContext:"]
    static let understoodItems: Set<String> = ["aiService.prompts", "aiService.generations", "composer.composerHeaders",
                                               "interactive.sessions"]
    static let agentLineFields: Set<String> = ["role", "message", "type", "status"]

    public init() {}

    public func normalize(_ record: RawRecord, into context: inout NormalizationContext) {
        switch record.kind {
        case "cursor.kv": keyValue(record, into: &context)
        case "cursor.composer-header": composerHeader(record, into: &context)
        case "cursor.workspace": workspace(record, into: &context)
        case "cursor.item": item(record, into: &context)
        case "cursor-agent.transcript": agentTranscript(record, into: &context)
        case "cursor-agent.blob": agentBlob(record, into: &context)
        case "cursor-agent.meta": agentMeta(record, into: &context)
        default: break
        }
    }

    // MARK: IDE

    private func keyValue(_ record: RawRecord, into context: inout NormalizationContext) {
        guard let key = record.object?["key"] as? String else { return context.unreadable(record, "key") }
        let value = record.column("value")
        if key.hasPrefix("composerData:") {
            let composerID = String(key.dropFirst("composerData:".count))
            composer(composerID, value as? [String: Any], record, tool: "cursor", into: &context)
        } else if key.hasPrefix("bubbleId:") {
            let parts = key.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3, let bubble = value as? [String: Any] else { return }
            let sessionKey = NormalKey.session(device: record.scopedDevice, tool: "cursor", nativeID: parts[1])
            context.batch.sessions.append(SessionRow(key: sessionKey, tool: "cursor", device: record.device, nativeID: parts[1],
                                                     source: record.source, file: record.path))
            self.bubble(bubble, id: parts[2], composerID: parts[1], sessionKey: sessionKey, position: nil, record, into: &context)
        } else if !Self.understoodKeys.contains(where: key.hasPrefix) {
            context.unknownType(record, version: nil, String(key.prefix { $0 != ":" }))
        }
    }

    /// A composer: header fields, bubble order, inline conversation (older builds), or a tombstone.
    private func composer(_ composerID: String, _ value: [String: Any]?, _ record: RawRecord, tool: String,
                          into context: inout NormalizationContext) {
        let sessionKey = NormalKey.session(device: record.scopedDevice, tool: tool, nativeID: composerID)
        var session = SessionRow(key: sessionKey, tool: tool, device: record.device, nativeID: composerID, source: record.source,
                                 file: record.path)
        guard let value else {
            session.status = "deleted"
            session.endedAt = record.collectedAt
            context.batch.sessions.append(session)
            return
        }
        session.title = JSON.string(value["name"])
        session.startedAt = JSON.timestamp(epoch: value["createdAt"])
        session.endedAt = JSON.timestamp(epoch: value["lastUpdatedAt"]) ?? session.startedAt
        // `_v` is the record's schema (9, 10…), not Cursor's version, which no composer records:
        // shown as a version it read "cursor _v9".
        if let model = JSON.string(JSON.at(value, "modelConfig.modelName")), model != "default" { session.model = model }
        session.status = (JSON.bool(value["isArchived"]) == true) ? "archived" : "active"
        context.batch.sessions.append(session)
        // Sub-agents run as composers of their own (3.x lists them with `isSubagent` in
        // `composerHeaders`); the parent names them.
        for case let child as String in value["subComposerIds"] as? [Any] ?? [] where !child.isEmpty {
            context.batch.links.append(SessionLinkRow(
                childKey: NormalKey.session(device: record.scopedDevice, tool: tool, nativeID: child), parentKey: sessionKey,
                relation: "subagent", source: record.source))
        }
        for (position, header) in (value["fullConversationHeadersOnly"] as? [Any] ?? []).enumerated() {
            guard let bubbleID = JSON.string((header as? [String: Any])?["bubbleId"]) else { continue }
            context.batch.positions.append(MessagePositionRow(messageKey: Self.bubbleKey(record, composerID, bubbleID),
                                                              position: Int64(position), source: record.source))
        }
        for (position, inline) in (value["conversation"] as? [Any] ?? []).enumerated() {
            guard let bubble = inline as? [String: Any], let bubbleID = JSON.string(bubble["bubbleId"]) ?? JSON.string(bubble["id"])
            else { continue }
            self.bubble(bubble, id: bubbleID, composerID: composerID, sessionKey: sessionKey, position: Int64(position), record,
                        into: &context)
        }
    }

    static func bubbleKey(_ record: RawRecord, _ composerID: String, _ bubbleID: String) -> String {
        NormalKey.make(record.scopedDevice, "cursor", "bubble", composerID, bubbleID)
    }

    /// One bubble: `type` 1 (or "user") is the user, 2 (or "ai") the assistant.
    private func bubble(_ bubble: [String: Any], id bubbleID: String, composerID: String, sessionKey: String, position: Int64?,
                        _ record: RawRecord, into context: inout NormalizationContext) {
        let key = Self.bubbleKey(record, composerID, bubbleID)
        let type = bubble["type"]
        let role = (JSON.int(type) == 1 || type as? String == "user") ? "user" : "assistant"
        let model = JSON.string(JSON.at(bubble, "modelInfo.modelName")) ?? JSON.string(bubble["modelType"])
        // Epoch milliseconds in older bubbles, an ISO time in newer ones (schema 3).
        let created = JSON.timestamp(epoch: bubble["createdAt"]) ?? JSON.timestamp(bubble["createdAt"])
            ?? JSON.timestamp(epoch: JSON.at(bubble, "timingInfo.clientRpcSendTime"))
        // A reasoning step is a bubble of its own with empty text (3.x); its signature is
        // opaque and not kept in the row.
        var text = JSON.string(bubble["text"]) ?? JSON.string(bubble["rawText"])
        var kind = "text"
        if text?.isEmpty ?? true, let thinking = JSON.string(JSON.at(bubble, "thinking.text")), !thinking.isEmpty {
            text = thinking
            kind = "thinking"
        }
        context.batch.messages.append(MessageRow(
            key: key, sessionKey: sessionKey, responseID: nil, role: role, kind: kind,
            text: text, model: model, createdAt: created,
            ordinal: position ?? record.position, rank: record.seq, source: record.source))
        if let position { context.batch.positions.append(MessagePositionRow(messageKey: key, position: position, source: record.source)) }
        if let model { context.batch.models.insert([sessionKey, model, record.source]) }
        if let tokens = bubble["tokenCount"] as? [String: Any] {
            var usage = UsageRow(key: key, sessionKey: sessionKey, messageKey: key, model: model, createdAt: created, source: record.source)
            usage.input = JSON.int(tokens["inputTokens"]) ?? 0
            usage.output = JSON.int(tokens["outputTokens"]) ?? 0
            if usage.total > 0 { context.batch.usage.append(usage) }
        }
        if let tool = bubble["toolFormerData"] as? [String: Any], let callID = JSON.string(tool["toolCallId"]) {
            context.batch.toolCalls.append(ToolCallRow(
                key: NormalKey.make(record.scopedDevice, "cursor", "call", callID), sessionKey: sessionKey, messageKey: key, callID: callID,
                name: JSON.string(tool["name"]) ?? JSON.string(tool["tool"]),
                input: JSON.string(tool["rawArgs"]) ?? JSON.text(tool["params"]), result: JSON.text(tool["result"]),
                isError: (tool["status"] as? String).map { $0 == "error" }, startedAt: created, source: record.source))
        }
    }

    private func composerHeader(_ record: RawRecord, into context: inout NormalizationContext) {
        guard let row = record.object, let composerID = JSON.string(row["composerId"]) else { return context.unreadable(record, "composerId") }
        let value = row["value"] as? [String: Any] ?? [:]
        let sessionKey = NormalKey.session(device: record.scopedDevice, tool: "cursor", nativeID: composerID)
        let started = JSON.timestamp(epoch: row["createdAt"])
        var session = SessionRow(
            key: sessionKey, tool: "cursor", device: record.device, nativeID: composerID, source: record.source,
            title: JSON.string(value["name"]), status: JSON.int(row["isArchived"]) == 1 ? "archived" : nil, startedAt: started,
            endedAt: started, file: record.path)
        // The project: the folder of the workspace the header names, known once its
        // workspace.json has been read; until then the composer waits for it.
        if let workspaceKey = sharedMemoryKeys(of: record).first {
            var memory = context.memory(forKey: workspaceKey)
            var values = memory.values ?? [:]
            if let folder = values["folder"] {
                session.project = folder
            } else if !(values["waiting"] ?? "").split(separator: "\n").contains(Substring(composerID)) {
                values["waiting"] = [values["waiting"], composerID].compactMap { $0 }.joined(separator: "\n")
                memory.values = values
                context.remember(memory, forKey: workspaceKey)
            }
        }
        context.batch.sessions.append(session)
    }

    /// A workspace's `workspace.json` (`{"folder": "file:///…"}`, or `"workspace"` for a
    /// multi-root one): its folder is the project of the composers whose headers name it, those
    /// read before it included.
    private func workspace(_ record: RawRecord, into context: inout NormalizationContext) {
        guard let workspaceKey = sharedMemoryKeys(of: record).first,
              let folder = Self.folder(JSON.string(record.object?["folder"]) ?? JSON.string(record.object?["workspace"]))
        else { return context.unreadable(record, "folder") }
        var memory = context.memory(forKey: workspaceKey)
        var values = memory.values ?? [:]
        values["folder"] = folder
        for composerID in (values.removeValue(forKey: "waiting") ?? "").split(separator: "\n").map(String.init) {
            context.batch.sessions.append(SessionRow(
                key: NormalKey.session(device: record.scopedDevice, tool: "cursor", nativeID: composerID), tool: "cursor",
                device: record.device, nativeID: composerID, source: record.source, project: folder))
        }
        memory.values = values
        context.remember(memory, forKey: workspaceKey)
    }

    /// A workspace's folder as a path (`file:///home/me/app` → `/home/me/app`); a remote one
    /// (`vscode-remote://…`) as written.
    static func folder(_ uri: String?) -> String? {
        guard let uri, !uri.isEmpty else { return nil }
        guard uri.hasPrefix("file://"), let url = URL(string: uri), !url.path.isEmpty else { return uri }
        return url.path
    }

    /// A header names its workspace by id; a workspace.json is in the folder named by it.
    public func sharedMemoryKeys(of record: RawRecord) -> [String] {
        let workspaceID: String? = switch record.kind {
        case "cursor.composer-header": JSON.string(record.object?["workspaceId"])
        case "cursor.workspace": record.path.split(whereSeparator: { $0 == "/" || $0 == "\\" }).dropLast().last.map(String.init)
        default: nil
        }
        guard let workspaceID, !workspaceID.isEmpty else { return [] }
        return ["\(record.scopedDevice)|cursor-workspace:\(workspaceID)"]
    }

    /// Chat kept as whole JSON values in `ItemTable`.
    private func item(_ record: RawRecord, into context: inout NormalizationContext) {
        guard let key = record.object?["key"] as? String else { return context.unreadable(record, "key") }
        let value = record.column("value")
        switch key {
        case "workbench.panel.aichat.view.aichat.chatdata":
            for case let tab as [String: Any] in JSON.at(value, "tabs") as? [Any] ?? [] {
                guard let tabID = JSON.string(tab["tabId"]) else { continue }
                let sessionKey = NormalKey.session(device: record.scopedDevice, tool: "cursor", nativeID: tabID)
                let bubbles = tab["bubbles"] as? [Any] ?? []
                let last = JSON.timestamp(epoch: tab["lastSendTime"])
                context.batch.sessions.append(SessionRow(
                    key: sessionKey, tool: "cursor", device: record.device, nativeID: tabID, source: record.source,
                    title: JSON.string(tab["chatTitle"]), status: "active", startedAt: last, endedAt: last, file: record.path))
                for (position, bubble) in bubbles.enumerated() {
                    guard let bubble = bubble as? [String: Any], let bubbleID = JSON.string(bubble["id"]) else { continue }
                    self.bubble(bubble, id: bubbleID, composerID: tabID, sessionKey: sessionKey, position: Int64(position), record,
                                into: &context)
                }
            }
        case "composer.composerData":
            for case let composer as [String: Any] in JSON.at(value, "allComposers") as? [Any] ?? [] {
                guard let composerID = JSON.string(composer["composerId"]) else { continue }
                // Empty drafts (no conversation, no name) are not sessions.
                let conversation = composer["conversation"] as? [Any] ?? []
                guard !conversation.isEmpty || composer["fullConversationHeadersOnly"] != nil else { continue }
                self.composer(composerID, composer, record, tool: "cursor", into: &context)
            }
        default:
            if !Self.understoodItems.contains(key) { context.unknownType(record, version: nil, key) }
        }
    }

    // MARK: cursor-agent CLI

    /// `agent-transcripts/<id>/<id>.jsonl` (and `subagents/<id>.jsonl`): role lines, no ids,
    /// no timestamps; a line's place in the file is its identity.
    private func agentTranscript(_ record: RawRecord, into context: inout NormalizationContext) {
        guard let line = record.object else { return context.unreadable(record, "not a JSON object") }
        context.unknownFields(record, version: nil, line, known: Self.agentLineFields)
        let components = record.pathComponents
        guard let file = components.last else { return }
        let nativeID = String(file.prefix { $0 != "." })
        let sessionKey = NormalKey.session(device: record.scopedDevice, tool: "cursor-agent", nativeID: nativeID)
        context.batch.sessions.append(SessionRow(key: sessionKey, tool: "cursor-agent", device: record.device, nativeID: nativeID,
                                                 source: record.source, file: record.path))
        if components.count >= 3, components[components.count - 2] == "subagents" {
            context.batch.links.append(SessionLinkRow(
                childKey: sessionKey,
                parentKey: NormalKey.session(device: record.scopedDevice, tool: "cursor-agent", nativeID: components[components.count - 3]),
                toolCallID: nil, relation: "subagent", source: record.source))
        }
        guard let role = line["role"] as? String else {
            if line["type"] as? String != "turn_ended" { context.unknownType(record, version: nil, line["type"] as? String ?? "(none)") }
            return
        }
        let key = NormalKey.make(record.scopedDevice, "cursor-agent", "line", nativeID, "\(record.position)")
        agentMessage(role: role, content: JSON.at(line, "message.content"), key: key, sessionKey: sessionKey, model: nil, record,
                     into: &context)
    }

    /// `store.db` blobs: content-addressed JSON messages (protobuf tree nodes are kept raw).
    private func agentBlob(_ record: RawRecord, into context: inout NormalizationContext) {
        guard let row = record.object, let blobID = JSON.string(row["id"]), let chatID = Self.chatID(record) else { return }
        guard let data = (row["data"] as? [String: Any]) ?? (row["data"] as? String).flatMap({ JSON.parse($0) as? [String: Any] }),
              let role = data["role"] as? String else { return }
        let sessionKey = NormalKey.session(device: record.scopedDevice, tool: "cursor-agent", nativeID: chatID)
        context.batch.sessions.append(SessionRow(key: sessionKey, tool: "cursor-agent", device: record.device, nativeID: chatID,
                                                 source: record.source, file: record.path))
        let model = JSON.string(JSON.at(data, "providerOptions.cursor.modelName"))
        agentMessage(role: role, content: data["content"], key: NormalKey.make(record.scopedDevice, "cursor-agent", "blob", blobID),
                     sessionKey: sessionKey, model: model, record, into: &context)
    }

    /// `store.db` meta: the chat's name, creation time and model.
    private func agentMeta(_ record: RawRecord, into context: inout NormalizationContext) {
        guard let chatID = Self.chatID(record), let meta = record.column("value") as? [String: Any] else { return }
        let sessionKey = NormalKey.session(device: record.scopedDevice, tool: "cursor-agent", nativeID: chatID)
        let started = JSON.timestamp(epoch: meta["createdAt"])
        let model = JSON.string(meta["lastUsedModel"])
        context.batch.sessions.append(SessionRow(
            key: sessionKey, tool: "cursor-agent", device: record.device, nativeID: chatID, source: record.source,
            title: JSON.string(meta["name"]), model: model, startedAt: started, endedAt: started, file: record.path))
        if let model { context.batch.models.insert([sessionKey, model, record.source]) }
    }

    /// `chats/<cwd hash>/<chat id>/store.db` → the chat id.
    static func chatID(_ record: RawRecord) -> String? {
        let components = record.pathComponents
        return components.count >= 2 ? components[components.count - 2] : nil
    }

    private func agentMessage(role: String, content: Any?, key: String, sessionKey: String, model: String?, _ record: RawRecord,
                              into context: inout NormalizationContext) {
        var texts: [String] = []
        var kind = role == "tool" ? "tool_result" : "text"
        if let string = content as? String { texts.append(string) }
        for (index, block) in (content as? [Any] ?? []).enumerated() {
            guard let block = block as? [String: Any] else { continue }
            switch block["type"] as? String {
            case "text": JSON.string(block["text"]).map { texts.append($0) }
            case "tool_use", "tool-call":
                if texts.isEmpty { kind = "tool_use" }
                let callID = JSON.string(block["id"]) ?? JSON.string(block["toolCallId"]) ?? "\(key)#\(index)"
                context.batch.toolCalls.append(ToolCallRow(
                    key: NormalKey.make(record.scopedDevice, "cursor-agent", "call", callID), sessionKey: sessionKey, messageKey: key,
                    callID: callID, name: JSON.string(block["name"]) ?? JSON.string(block["toolName"]),
                    input: JSON.text(block["input"] ?? block["args"]), source: record.source))
            case "tool_result", "tool-result":
                kind = "tool_result"
                if let callID = JSON.string(block["tool_use_id"]) ?? JSON.string(block["toolCallId"]) {
                    context.batch.toolCalls.append(ToolCallRow(
                        key: NormalKey.make(record.scopedDevice, "cursor-agent", "call", callID), sessionKey: sessionKey, callID: callID,
                        result: JSON.text(block["content"] ?? block["result"]), source: record.source))
                }
            default: break
            }
        }
        context.batch.messages.append(MessageRow(
            key: key, sessionKey: sessionKey, role: role, kind: kind, text: texts.isEmpty ? nil : texts.joined(separator: "\n"),
            model: model, createdAt: nil, ordinal: record.position, rank: 0, source: record.source))
        if let model { context.batch.models.insert([sessionKey, model, record.source]) }
    }
}
