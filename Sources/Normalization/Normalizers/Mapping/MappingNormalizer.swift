import Foundation
import IngestStore

/// The one normaliser that interprets mappings: a tool declared in `normalizers.d/` gets its
/// sessions, messages, tool calls and tokens from its mapping, with no code of its own.
///
/// For each record (or each item of a `split` record) the first rule that takes it applies:
/// it may remember values for the file, and gives a session row and, as declared, a message,
/// tool calls and usage. A record no rule takes and no `ignore` covers is counted as
/// `unknown_type` drift; a taken one without its session id as `unreadable`.
public struct MappingNormalizer: RecordNormalizer {
    public let mapping: NormalizerMapping

    public var kinds: Set<String> { mapping.kinds }
    public var rawOnlyKinds: Set<String> { mapping.rawOnly }
    public var opaqueKinds: Set<String> { mapping.opaque }
    /// Running totals are remembered by path: a document re-sent whole keeps them.
    public var remembersByPath: Bool { mapping.rules.contains { $0.usage.contains(where: \.cumulative) } }

    /// The mapping's messages are ordered four to a record (``NormalizerMapping/ordersSeveralPerRecord``).
    let severalPerRecord: Bool

    public init(_ mapping: NormalizerMapping) {
        self.mapping = mapping
        severalPerRecord = mapping.ordersSeveralPerRecord
    }

    public func normalize(_ record: RawRecord, into context: inout NormalizationContext) {
        // A line the sensor could not read as one JSON value (sent as text): two records a
        // writer glued together are taken one after the other; anything else is unreadable.
        if record.encoding == "text", let line = record.record as? String {
            guard let values = JSONReader.parseSequence(line), values.count > 1, values.allSatisfy({ $0 is [String: Any] }) else {
                return context.unreadable(record, "not JSON")
            }
            for value in values {
                var part = record
                part.record = value
                part.encoding = "json"
                normalize(part, into: &context)
            }
            return
        }
        let decoded = DecodedRecordValues()
        let scope = MappingScope(record: record, item: record.record, parent: nil, index: nil, memory: context.memory(of: record),
                                 recordValues: decoded)
        guard let split = mapping.splits.first(where: { $0.kinds.contains(record.kind) }) else { return take(scope, into: &context) }
        // Items in groups (`within`: a list of sessions, each with its messages) have their group
        // as `$parent`; otherwise the record is.
        let groups = split.within.map { elements($0, scope) } ?? [(record.record, nil)]
        var taken = false
        for (group, _) in groups {
            let groupScope = MappingScope(record: record, item: group, parent: record.record, index: nil, memory: scope.memory,
                                          recordValues: decoded)
            for (item, index) in elements(split.each, groupScope) {
                taken = true
                // The file's memory as the previous item left it.
                take(MappingScope(record: record, item: item, parent: group, index: index, memory: context.memory(of: record),
                                  recordValues: decoded), into: &context)
            }
        }
        if !taken && split.wholeWhenEmpty { take(scope, into: &context) }
    }

    private func take(_ scope: MappingScope, into context: inout NormalizationContext) {
        let record = scope.record
        guard let rule = mapping.rules.first(where: { rule in
            (rule.kinds?.contains(record.kind) ?? true) && (rule.when?.holds(in: scope) ?? true)
        }) else {
            if !mapping.ignore.contains(where: { $0.holds(in: scope) }) {
                let name = mapping.type?.string(scope) ?? "(none)"
                context.unknownType(record, version: mapping.version?.string(scope), name)
            }
            return
        }
        var scope = scope
        if !rule.remember.isEmpty {
            var memory = scope.memory
            var values = memory.values ?? [:]
            for (name, value) in rule.remember {
                if let remembered = value.string(scope) { values[name] = remembered }
            }
            memory.values = values
            context.remember(memory, for: record)
            scope = MappingScope(record: record, item: scope.item, parent: scope.parent, index: scope.index, memory: memory,
                                 recordValues: scope.recordValues)
        }
        let version = mapping.version?.string(scope)
        if let known = mapping.knownFields, let object = scope.item as? [String: Any] {
            context.unknownFields(record, version: version, object, known: known)
        }
        guard !rule.skip else { return }
        let block = rule.session.over(mapping.session)
        let tool = rule.tool?.string(scope) ?? record.forkTool ?? mapping.tool ?? record.tool
        accounts(rule.accounts, tool: tool, scope, into: &context)
        if !rule.accounts.isEmpty && rule.messages.isEmpty && rule.toolCalls.isEmpty && rule.usage.isEmpty && rule.session.id == nil {
            return
        }
        guard let sessionID = block.id?.string(scope) else { return context.unreadable(record, "session id") }

        let device = record.scopedDevice
        let sessionKey = NormalKey.session(device: device, tool: tool, nativeID: sessionID)
        let timestamp = rule.timestamp?.timestamp(scope)
        var session = SessionRow(key: sessionKey, tool: tool, device: record.device, nativeID: sessionID, source: record.source,
                                 toolVersion: block.version?.string(scope) ?? version,
                                 startedAt: block.startedAt?.timestamp(scope) ?? timestamp,
                                 endedAt: block.endedAt?.timestamp(scope) ?? timestamp, file: record.path)
        session.project = block.project?.string(scope)
        session.gitBranch = block.gitBranch?.string(scope)
        session.title = block.title?.text(scope)
        session.status = block.status?.string(scope)
        session.model = block.model?.string(scope)
        context.batch.sessions.append(session)
        if let parent = block.parent?.string(scope), parent != sessionID {
            context.batch.links.append(SessionLinkRow(
                childKey: sessionKey, parentKey: NormalKey.session(device: device, tool: tool, nativeID: parent),
                relation: "subagent", source: record.source))
        }

        // A session spread over several files is ordered by time (places in different files do
        // not compare); otherwise by the record's place, and the item's within it.
        var ordinal = record.position + Int64(scope.index ?? 0)
        if mapping.ordersByTime, let timestamp, let date = Self.instant(timestamp) {
            ordinal = Int64(date.timeIntervalSince1970 * 1000) * 64 + Int64((scope.index ?? 0) % 64)
        }
        let fallbackID = scope.index.map { "\(record.position)#\($0)" } ?? "\(record.position)"
        // The first message is the one tool calls and usage belong to.
        var messageKey: String?
        var messageModel: String?
        var messageTime = timestamp
        for (index, message) in rule.messages.enumerated() {
            if let when = message.when, !when.holds(in: scope) { continue }
            let id = message.id?.string(scope) ?? (index == 0 ? fallbackID : "\(fallbackID)/\(index)")
            let key = NormalKey.make(device, tool, "entry", sessionID, id)
            var text = message.text?.text(scope)
            var kind = message.kind?.string(scope) ?? "text"
            if text == nil, let thinking = message.thinking?.text(scope) {
                text = thinking
                if message.kind == nil { kind = "thinking" }
            }
            let model = message.model?.string(scope)
            let time = message.timestamp?.timestamp(scope) ?? timestamp
            // A later write outranks an earlier one by its place in the raw store.
            let rank = message.lastWriteWins ? record.seq << 16 + Int64(min(scope.index ?? 0, 0xFFFF)) : 0
            context.batch.messages.append(MessageRow(
                key: key, sessionKey: sessionKey, responseID: message.responseID?.string(scope),
                role: message.role?.string(scope) ?? "assistant", kind: kind, text: text, model: model,
                createdAt: time, ordinal: severalPerRecord ? ordinal * 4 + Int64(min(index, 3)) : ordinal, rank: rank,
                source: record.source, appends: message.appends))
            if messageKey == nil {
                messageKey = key
                messageTime = time
            }
            messageModel = messageModel ?? model
        }

        for call in rule.toolCalls {
            for (item, index) in elements(call.each, scope) {
                let callScope = call.each == nil ? scope : scope.with(item: item, index: index)
                if let when = call.when, !when.holds(in: callScope) { continue }
                guard let callID = call.id?.string(callScope) else { continue }
                context.batch.toolCalls.append(ToolCallRow(
                    key: NormalKey.make(device, tool, "call", sessionID, callID), sessionKey: sessionKey,
                    messageKey: call.ofMessage ? messageKey : nil, callID: callID, name: call.name?.string(callScope),
                    input: call.input?.json(callScope), result: call.result?.json(callScope), isError: call.error?.bool(callScope),
                    startedAt: call.startedAt?.timestamp(callScope), endedAt: call.endedAt?.timestamp(callScope),
                    durationMs: call.durationMs?.integer(callScope), source: record.source))
            }
        }

        for (index, usage) in rule.usage.enumerated() {
            for (item, itemIndex) in elements(usage.each, scope) {
                let usageScope = usage.each == nil ? scope : scope.with(item: item, index: itemIndex)
                if let when = usage.when, !when.holds(in: usageScope) { continue }
                let model = usage.model?.string(usageScope) ?? messageModel
                let id = usage.id?.string(usageScope)
                // Another record's message: this row is that message's own (its key, its message).
                var messageKey = messageKey
                if let ofMessage = usage.ofMessage {
                    guard let message = ofMessage.string(usageScope) else { continue }
                    messageKey = NormalKey.make(device, tool, "entry", sessionID, message)
                }
                var row = UsageRow(key: "", sessionKey: sessionKey, messageKey: messageKey, model: model,
                                   createdAt: usage.timestamp?.timestamp(usageScope) ?? messageTime, source: record.source)
                let counts = [usage.input, usage.output, usage.cacheRead, usage.cacheWrite, usage.reasoning].map { $0?.integer(usageScope) }
                row.input = max(0, counts[0] ?? 0)
                row.output = max(0, counts[1] ?? 0)
                row.cacheRead = max(0, counts[2] ?? 0)
                row.cacheWrite = max(0, counts[3] ?? 0)
                row.reasoning = max(0, counts[4] ?? 0)
                row.cost = usage.cost?.double(usageScope)
                row.requestID = usage.requestID?.string(usageScope)
                row.joinsTool = usage.joins
                // A response that counted nothing is still a response; a record with no counts at all is none.
                guard counts.contains(where: { $0 != nil }) || row.cost != nil else { continue }
                let name = id ?? (itemIndex.map { "\(index).\($0)" } ?? String(index))
                if usage.cumulative {
                    guard differenceFromLastTotals(&row, name: "usage|\(sessionID)|\(name)", record: record, into: &context) else { continue }
                    row.key = NormalKey.make(device, tool, "usage", sessionID, name, String(record.seq), fallbackID)
                } else if let id {
                    row.key = NormalKey.make(device, tool, "usage", sessionID, id)
                } else if let messageKey, usage.each == nil || usage.ofMessage != nil {
                    row.key = messageKey
                } else {
                    row.key = NormalKey.make(device, tool, "usage", sessionID, fallbackID, name)
                }
                context.batch.usage.append(row)
                if let model { context.batch.models.insert([sessionKey, model, record.source]) }
            }
        }
    }

    /// The accounts a rule's `accounts` blocks read from the record.
    private func accounts(_ blocks: [NormalizerMapping.AccountBlock], tool: String, _ scope: MappingScope, into context: inout NormalizationContext) {
        let record = scope.record
        for block in blocks {
            for (item, index) in elements(block.each, scope) {
                let itemScope = block.each == nil ? scope : scope.with(item: item, index: index)
                if let when = block.when, !when.holds(in: itemScope) { continue }
                let email = block.email?.string(itemScope)
                let login = block.login?.string(itemScope)
                guard let account = block.id?.string(itemScope) ?? email?.lowercased() ?? login else { continue }
                context.batch.accounts.append(AccountRow(
                    key: NormalKey.make(record.scopedDevice, tool, "account", account), tool: tool, device: record.device,
                    account: account, email: email, login: login, name: block.name?.string(itemScope),
                    organization: block.organization?.string(itemScope), plan: block.plan?.string(itemScope),
                    personal: block.personal?.bool(itemScope), active: block.active?.bool(itemScope),
                    firstSeen: record.collectedAt, lastSeen: record.collectedAt, source: record.source, tenant: record.tenant))
            }
        }
    }

    /// The elements `each` reaches (each with its index), or the scope's own item.
    /// The moment a time a mapping gives names: RFC 3339 with or without fractional seconds, or
    /// the same written with a space or without a zone (kept as the tool wrote it; read as UTC,
    /// which orders one tool's times alike).
    package static func instant(_ text: String) -> Date? {
        var text = text
        if text.count > 10, text[text.index(text.startIndex, offsetBy: 10)] == " " {
            text.replaceSubrange(text.index(text.startIndex, offsetBy: 10)...text.index(text.startIndex, offsetBy: 10), with: "T")
        }
        if !(text.hasSuffix("Z") || text.dropFirst(19).contains("+") || text.dropFirst(19).contains("-")) { text += "Z" }
        return (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) ?? (try? Date(text, strategy: .iso8601))
    }

    private func elements(_ each: MappingPath?, _ scope: MappingScope) -> [(Any, Int?)] {
        guard let each else { return [(scope.item, nil)] }
        guard let found = each.evaluate(in: scope) else { return [] }
        return ((found as? [Any]) ?? [found]).enumerated().map { ($1, $0) }
    }

    /// Turns running totals into what was added since the file's previous totals (all of them
    /// when a total went down: the tool started counting again). False when nothing was added.
    private func differenceFromLastTotals(_ row: inout UsageRow, name: String, record: RawRecord,
                                          into context: inout NormalizationContext) -> Bool {
        var memory = context.memory(forKey: record.pathKey)
        var values = memory.values ?? [:]
        let now = [row.input, row.output, row.cacheRead, row.cacheWrite, row.reasoning]
        let nowCost = row.cost ?? 0
        let before = values[name].map { $0.split(separator: ",").map { Double($0) ?? 0 } } ?? []
        values[name] = (now.map { String($0) } + [String(nowCost)]).joined(separator: ",")
        memory.values = values
        context.remember(memory, forKey: record.pathKey)
        guard before.count == 6 else { return true }
        let restarted = zip(now, before).contains { Double($0) < $1 } || nowCost < before[5]
        guard !restarted else { return true }
        row.input -= Int64(before[0])
        row.output -= Int64(before[1])
        row.cacheRead -= Int64(before[2])
        row.cacheWrite -= Int64(before[3])
        row.reasoning -= Int64(before[4])
        row.cost = row.cost.map { $0 - before[5] }
        return row.total > 0 || (row.cost ?? 0) > 0
    }
}
