import IngestStore
/// OpenAI Codex rollouts (`~/.codex/sessions/…/rollout-*.jsonl`): one thread a file, named by
/// its first `session_meta`; later records do not repeat the thread id, so it is remembered
/// per file.
///
/// - Token counts are cumulative (`total_token_usage`) and often repeated: each new total
///   becomes a usage row holding the difference from the previous total of the file; an exact
///   repeat adds nothing.
/// - A fork or a spawned sub-agent starts with a copy of its parent's history, token counts
///   included. Its keys are scoped to the parent thread, so a copied message (same content,
///   same occurrence), tool call (same call id) or token total lands on the parent's row and
///   is not counted twice. (One level deep: a fork of a fork is scoped to its direct parent.)
/// - `compacted` records are kept as compaction messages.
public struct CodexNormalizer: RecordNormalizer {
    public let kinds: Set<String> = ["codex.rollout", "codex.session-index", "codex.legacy-session"]
    public let rawOnlyKinds: Set<String> = ["codex.history"]

    package static let types: Set<String> = ["session_meta", "response_item", "event_msg", "turn_context", "compacted"]
    package static let fields: Set<String> = ["timestamp", "type", "payload", "ordinal"]
    package static let toolCalls: Set<String> = [
        "function_call", "custom_tool_call", "local_shell_call", "web_search_call", "tool_search_call", "image_generation_call",
    ]
    static let toolOutputs: Set<String> = ["function_call_output", "custom_tool_call_output", "tool_search_output"]
    static let quietItems: Set<String> = ["reasoning", "ghost_snapshot"]
    package static let events: Set<String> = [
        "token_count", "turn.completed", "user_message", "agent_message", "agent_reasoning", "agent_reasoning_raw_content",
        "task_started", "task_complete", "turn_aborted", "context_compacted", "exec_command_begin", "exec_command_end",
        "patch_apply_begin", "patch_apply_end", "mcp_tool_call_begin", "mcp_tool_call_end", "web_search_begin", "web_search_end",
        "error", "stream_error", "entered_review_mode", "exited_review_mode", "thread_name_updated", "thread_settings_applied",
        "view_image_tool_call", "image_generation_end", "undo_completed", "turn_diff", "plan_update", "background_event",
        "item_completed", "sub_agent_activity", "thread_goal_updated", "guardian_assessment", "dynamic_tool_call_request",
        "dynamic_tool_call_response", "collab_agent_spawn_end", "collab_waiting_end", "collab_close_end",
        "collab_agent_interaction_end", "account/rateLimits/updated",
    ]

    public init() {}

    public func normalize(_ record: RawRecord, into context: inout NormalizationContext) {
        switch record.kind {
        case "codex.session-index": return sessionIndex(record, into: &context)
        case "codex.legacy-session": return legacySession(record, into: &context)
        default: break
        }
        guard let line = record.object else { return context.unreadable(record, "not a JSON object") }
        var memory = context.memory(of: record)
        let type = line["type"] as? String ?? ""
        let payload = line["payload"] as? [String: Any] ?? [:]
        guard Self.types.contains(type) else {
            return context.unknownType(record, version: memory.toolVersion, type.isEmpty ? "(none)" : type)
        }
        context.unknownFields(record, version: memory.toolVersion, line, known: Self.fields)

        if type == "session_meta", memory.sessionNativeID == nil, let id = JSON.string(payload["id"]) {
            memory.sessionNativeID = id
            memory.toolVersion = JSON.string(payload["cli_version"])
            memory.scope = Self.parent(of: payload)?.id ?? id
        }
        let nativeID = memory.sessionNativeID ?? "file:\(record.fileID ?? record.path)"
        let scope = memory.scope ?? nativeID
        let sessionKey = NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: nativeID)
        let timestamp = JSON.timestamp(line["timestamp"])
        var session = SessionRow(key: sessionKey, tool: record.tool, device: record.device, nativeID: nativeID, source: record.source,
                                 toolVersion: memory.toolVersion, startedAt: timestamp, endedAt: timestamp, file: record.path)
        if record.path.containsBytes("/archived_sessions/") { session.status = "archived" }

        switch type {
        case "session_meta" where JSON.string(payload["id"]) == memory.sessionNativeID:
            session.project = JSON.string(payload["cwd"])
            session.gitBranch = JSON.string(JSON.at(payload, "git.branch"))
            if let parent = Self.parent(of: payload) {
                context.batch.links.append(SessionLinkRow(
                    childKey: sessionKey, parentKey: NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: parent.id),
                    toolCallID: nil, relation: parent.relation, source: record.source))
            }
        case "session_meta":
            break  // a parent's header copied into a fork
        case "turn_context":
            if let model = JSON.string(payload["model"]) {
                memory.model = model
                session.model = model
                context.batch.models.insert([sessionKey, model, record.source])
            }
            session.project = JSON.string(payload["cwd"])
        case "response_item":
            responseItem(payload, record, sessionKey: sessionKey, scope: scope, timestamp: timestamp, memory: &memory,
                         into: &context)
        case "event_msg":
            event(payload, record, sessionKey: sessionKey, scope: scope, timestamp: timestamp, memory: &memory, into: &context)
        case "compacted":
            let text = JSON.string(payload["message"]) ?? ""
            let key = occurrenceKey(record, scope: scope, parts: ["compacted", text, "\((payload["replacement_history"] as? [Any])?.count ?? 0)"],
                                    memory: &memory)
            context.batch.messages.append(MessageRow(
                key: key, sessionKey: sessionKey, role: "system", kind: "compaction", text: text.isEmpty ? nil : text,
                model: memory.model, createdAt: timestamp, ordinal: record.position, rank: 0, source: record.source))
        default: break
        }
        context.batch.sessions.append(session)
        context.remember(memory, for: record)
    }

    /// The thread a fork or sub-agent came from.
    package static func parent(of meta: [String: Any]) -> (id: String, relation: String)? {
        if let id = JSON.string(meta["forked_from_id"]) { return (id, "fork") }
        if let id = JSON.string(JSON.at(meta, "source.subagent.thread_spawn.parent_thread_id")) ?? JSON.string(meta["parent_thread_id"]) {
            return (id, "subagent")
        }
        return nil
    }

    /// A key for content without an id: the scope, the content, and how often the same content
    /// occurred before in this file.
    private func occurrenceKey(_ record: RawRecord, scope: String, parts: [String], memory: inout FileMemory) -> String {
        let digest = NormalKey.make(parts)
        var occurrences = memory.occurrences ?? [:]
        let occurrence = (occurrences[digest] ?? 0) + 1
        occurrences[digest] = occurrence
        memory.occurrences = occurrences
        return NormalKey.make(record.scopedDevice, record.tool, "item", scope, digest, "\(occurrence)")
    }

    private func responseItem(_ payload: [String: Any], _ record: RawRecord, sessionKey: String, scope: String, timestamp: String?,
                              memory: inout FileMemory, into context: inout NormalizationContext) {
        let itemType = payload["type"] as? String ?? ""
        if itemType == "message" {
            let role = payload["role"] as? String ?? "assistant"
            let text = Self.text(of: payload["content"])
            let key = occurrenceKey(record, scope: scope, parts: ["message", role, text ?? ""], memory: &memory)
            context.batch.messages.append(MessageRow(
                key: key, sessionKey: sessionKey, role: role, kind: "text", text: text, model: role == "assistant" ? memory.model : nil,
                createdAt: timestamp, ordinal: record.position, rank: 0, source: record.source))
        } else if Self.toolCalls.contains(itemType) {
            let callID = JSON.string(payload["call_id"]) ?? JSON.string(payload["id"])
                ?? occurrenceKey(record, scope: scope, parts: ["call", itemType, JSON.text(payload) ?? ""], memory: &memory)
            let input = JSON.string(payload["arguments"]) ?? JSON.string(payload["input"]) ?? JSON.text(payload["action"])
            let callKey = NormalKey.make(record.scopedDevice, record.tool, "call", callID)
            context.batch.toolCalls.append(ToolCallRow(
                key: callKey, sessionKey: sessionKey, callID: callID, name: JSON.string(payload["name"]) ?? itemType, input: input,
                startedAt: timestamp, source: record.source))
            if JSON.string(payload["name"]) == "apply_patch", let patch = input {
                for (index, change) in Self.patchedFiles(patch).enumerated() {
                    context.batch.fileChanges.append(FileChangeRow(
                        key: NormalKey.make(record.scopedDevice, record.tool, "change", callID, "\(index)"), sessionKey: sessionKey,
                        callKey: callKey, path: change.path, diff: change.diff, createdAt: timestamp, source: record.source))
                }
            }
        } else if Self.toolOutputs.contains(itemType), let callID = JSON.string(payload["call_id"]) {
            let output = JSON.string(payload["output"]) ?? JSON.text(payload["output"]) ?? JSON.text(payload["tools"])
            context.batch.toolCalls.append(ToolCallRow(
                key: NormalKey.make(record.scopedDevice, record.tool, "call", callID), sessionKey: sessionKey, callID: callID,
                result: output, endedAt: timestamp, source: record.source))
        } else if !Self.quietItems.contains(itemType) {
            context.unknownType(record, version: memory.toolVersion, "response_item/\(itemType)")
        }
    }

    private func event(_ payload: [String: Any], _ record: RawRecord, sessionKey: String, scope: String, timestamp: String?,
                       memory: inout FileMemory, into context: inout NormalizationContext) {
        let eventType = payload["type"] as? String ?? ""
        guard Self.events.contains(eventType) else {
            return context.unknownType(record, version: memory.toolVersion, "event_msg/\(eventType)")
        }
        let cumulative: [String: Any]?
        switch eventType {
        case "token_count": cumulative = JSON.at(payload, "info.total_token_usage") as? [String: Any]
        case "turn.completed": cumulative = payload["usage"] as? [String: Any]
        default: return
        }
        if let cumulative {
            let totals = ["input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens", "cache_write_input_tokens"]
                .map { BoundedNumber.tokens(JSON.int(cumulative[$0]) ?? 0) }
            guard totals != memory.totals else { return }  // an exact repeat
            let previous = memory.totals ?? Array(repeating: 0, count: totals.count)
            // Totals only grow; one that shrank starts a new count.
            let delta = zip(totals, previous).allSatisfy { $0 >= $1 } ? zip(totals, previous).map { $0 - $1 } : totals
            memory.totals = totals
            var row = UsageRow(key: NormalKey.make([record.scopedDevice, record.tool, "usage", scope] + totals.map(String.init)),
                               sessionKey: sessionKey, model: memory.model, createdAt: timestamp, source: record.source)
            row.input = max(0, delta[0] - delta[1])
            row.cacheRead = delta[1]
            row.output = delta[2]
            row.reasoning = delta[3]
            row.cacheWrite = delta[4]
            context.batch.usage.append(row)
        } else if let info = payload["info"] as? [String: Any], info["prompt"] != nil || info["completion"] != nil {
            // 0.50-era counts of one turn.
            var row = UsageRow(key: NormalKey.make(record.scopedDevice, record.tool, "usage", scope, timestamp ?? "", "\(record.position)"),
                               sessionKey: sessionKey, model: memory.model, createdAt: timestamp, source: record.source)
            row.input = JSON.int(info["prompt"]) ?? 0
            row.output = JSON.int(info["completion"]) ?? 0
            context.batch.usage.append(row)
        }
    }

    /// `session_index.jsonl`: a thread's name, last line per id wins.
    private func sessionIndex(_ record: RawRecord, into context: inout NormalizationContext) {
        guard let line = record.object, let id = JSON.string(line["id"]) else { return context.unreadable(record, "no id") }
        context.batch.sessions.append(SessionRow(
            key: NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: id), tool: record.tool, device: record.device,
            nativeID: id, source: record.source, title: JSON.string(line["thread_name"])))
    }

    /// The TypeScript CLI's whole-file `rollout-*.json`: `{session, items}`.
    private func legacySession(_ record: RawRecord, into context: inout NormalizationContext) {
        guard let document = record.object, let id = JSON.string(JSON.at(document, "session.id")) else {
            return context.unreadable(record, "no session.id")
        }
        let sessionKey = NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: id)
        let started = JSON.timestamp(JSON.at(document, "session.timestamp"))
        context.batch.sessions.append(SessionRow(
            key: sessionKey, tool: record.tool, device: record.device, nativeID: id, source: record.source,
            startedAt: started, endedAt: started, file: record.path))
        for (index, item) in (document["items"] as? [Any] ?? []).enumerated() {
            guard let item = item as? [String: Any], item["type"] as? String == "message" else { continue }
            context.batch.messages.append(MessageRow(
                key: NormalKey.make(record.scopedDevice, record.tool, "legacy", id, "\(index)"), sessionKey: sessionKey,
                role: item["role"] as? String ?? "assistant", kind: "text", text: Self.text(of: item["content"]),
                createdAt: nil, ordinal: Int64(index), rank: 0, source: record.source))
        }
    }

    /// The text parts of a message's content.
    package static func text(of content: Any?) -> String? {
        if let string = content as? String { return string }
        let texts = (content as? [Any] ?? []).compactMap { ($0 as? [String: Any]).flatMap { JSON.string($0["text"]) } }
        return texts.isEmpty ? nil : texts.joined(separator: "\n")
    }

    /// The files an `apply_patch` input touches, each with its part of the patch.
    static func patchedFiles(_ patch: String) -> [(path: String, diff: String)] {
        var files: [(path: String, diff: String)] = []
        for line in patch.split(separator: "\n", omittingEmptySubsequences: false) {
            if let marker = ["*** Update File: ", "*** Add File: ", "*** Delete File: "].first(where: { line.hasPrefix($0) }) {
                files.append((String(line.dropFirst(marker.count)), String(line) + "\n"))
            } else if line.hasPrefix("*** End Patch") {
                break
            } else if !files.isEmpty {
                files[files.count - 1].diff += line + "\n"
            }
        }
        return files
    }
}
