import Foundation
import IngestStore
import SensorModel

/// One tool's normaliser written as data: a YAML file of `normalizers.d/`, checked against
/// `schemas/normalizer.schema.json`, interpreted by ``MappingNormalizer``. See
/// `docs/normalizer-mappings.md` for the language.
public struct NormalizerMapping: Sendable {
    /// The file it was read from (`my-tool.yaml`): an operator's file of the same name
    /// replaces a built-in one.
    public var name: String
    /// The tool named on its sessions; by default the kind's first label.
    package var tool: String?
    public var kinds: Set<String> = []
    public var rawOnly: Set<String> = []
    public var opaque: Set<String> = []
    package var version: MappingValue?
    /// Names a record's type in the drift report when no rule takes it.
    package var type: MappingValue?
    /// A session's messages are ordered by their time, not their place in the file (`order: time`,
    /// for a session spread over several files).
    var ordersByTime = false
    /// Fields of a taken item that are known; any other is counted as `unknown_field` drift.
    var knownFields: Set<String>?
    package var splits: [Split] = []
    package var ignore: [MappingCondition] = []
    package var session = SessionBlock()
    package var rules: [Rule] = []
    /// Kinds written in another tool's format (a fork that kept its parent's files): each is
    /// read by the normaliser of the kind it maps to, its sessions named after ``tool``.
    public var readAs: [String: String] = [:]
    /// Where each of ``readAs`` is written, for the problems found once every normaliser is known.
    var readAsLocations: [String: SourceLocation] = [:]
    /// Where each of ``rules`` is written, for the problems found once a fork's rules meet the
    /// mapping they are laid over.
    var ruleLocations: [SourceLocation] = []

    /// Whether a rule makes several messages of one record (`messages:`): then every rule's
    /// messages are ordered four to a record, so that the messages of one record sort between
    /// those of the records around it whichever rule took each.
    var ordersSeveralPerRecord: Bool { rules.contains { $0.messages.count > 1 } }

    /// Records of these kinds hold many items (a document's messages): each item is taken by
    /// the rules on its own, `$record` still being the whole record.
    package struct Split: Sendable {
        package var kinds: Set<String>
        package var each: MappingPath
        /// Groups of items (a list of sessions, each holding its messages): `each` is read in
        /// each group, which is then the items' `$parent`.
        package var within: MappingPath?
        /// A record whose `each` finds no item is taken whole by the rules.
        package var wholeWhenEmpty = false
    }

    package struct Rule: Sendable {
        package var kinds: Set<String>?
        package var when: MappingCondition?
        /// Understood, and nothing to keep (besides `remember`).
        package var skip = false
        package var remember: [(String, MappingValue)] = []
        package var timestamp: MappingValue?
        /// The tool named on this rule's sessions, read from the record (telemetry names its
        /// tool: `service.name`); else the mapping's.
        package var tool: MappingValue?
        package var session = SessionBlock()
        /// `message`, or the `messages` of a record holding several (a request and its response).
        package var messages: [MessageBlock] = []
        package var toolCalls: [CallBlock] = []
        package var usage: [UsageBlock] = []
        /// Accounts the record says the tool is signed in to (identity sources).
        package var accounts: [AccountBlock] = []

        /// Whether what the rule writes belongs to a session, whose id it must find (a rule of
        /// accounts alone, or one that skips, writes none).
        var needsSession: Bool {
            let onlyAccounts = !accounts.isEmpty && messages.isEmpty && toolCalls.isEmpty && usage.isEmpty && session.id == nil
            return !skip && !onlyAccounts
        }
    }

    package struct SessionBlock: Sendable {
        package var id, project, gitBranch, title, status, model, version, startedAt, endedAt, parent: MappingValue?

        /// These fields, each falling back to `defaults`'.
        package func over(_ defaults: SessionBlock) -> SessionBlock {
            SessionBlock(id: id ?? defaults.id, project: project ?? defaults.project, gitBranch: gitBranch ?? defaults.gitBranch,
                         title: title ?? defaults.title, status: status ?? defaults.status, model: model ?? defaults.model,
                         version: version ?? defaults.version, startedAt: startedAt ?? defaults.startedAt,
                         endedAt: endedAt ?? defaults.endedAt, parent: parent ?? defaults.parent)
        }
    }

    package struct MessageBlock: Sendable {
        package var when: MappingCondition?
        package var id, role, kind, text, thinking, model, timestamp, responseID: MappingValue?
        /// A message written again with the same id replaces the earlier version.
        var lastWriteWins = false
        /// A message streamed over several records: each one's text goes on the end of it.
        var appends = false
    }

    package struct CallBlock: Sendable {
        package var each: MappingPath?
        package var when: MappingCondition?
        package var id, name, input, result, error, startedAt, endedAt, durationMs: MappingValue?
        /// Whether the call belongs to the rule's message (a result arriving on its own does not).
        var ofMessage = true
    }

    package struct AccountBlock: Sendable {
        /// One account per element; paths then start at the element.
        package var each: MappingPath?
        package var when: MappingCondition?
        package var id, email, login, name, organization, plan, personal, active: MappingValue?
    }

    package struct UsageBlock: Sendable {
        /// One row per element (a rollup per model); paths then start at the element.
        package var each: MappingPath?
        package var when: MappingCondition?
        package var id, model, timestamp, input, output, cacheRead, cacheWrite, reasoning, cost, requestID: MappingValue?
        /// The message (its id in the session) whose usage this is, when another record gives it.
        package var ofMessage: MappingValue?
        /// The tool whose conversation at the row's time, on its person's devices, the row moves into.
        package var joins: String?
        /// The record holds running totals: rows are the differences from the file's previous totals.
        package var cumulative = false
    }
}

// MARK: - Reading

extension NormalizerMapping {
    /// Reads a mapping already checked against its schema; the problems are what the schema
    /// cannot say (paths, regular expressions, kinds named twice).
    package static func decode(_ node: ConfigNode, name: String) -> (NormalizerMapping?, [ConfigProblem]) {
        var problems: [ConfigProblem] = []
        var mapping = NormalizerMapping(name: name)
        func value(_ node: ConfigNode?, _ field: String) -> MappingValue? {
            node.flatMap { MappingValue.decode($0, field: field, problems: &problems) }
        }
        func condition(_ node: ConfigNode?, _ field: String) -> MappingCondition? {
            node.flatMap { MappingCondition.decode($0, field: field, problems: &problems) }
        }
        func path(_ node: ConfigNode?, _ field: String) -> MappingPath? {
            guard let node, let text = node.string else { return nil }
            do {
                return try MappingPath(text)
            } catch {
                problems.append(ConfigProblem(node.location, field: field, "path '\(text)': \(error)"))
                return nil
            }
        }
        func session(_ node: ConfigNode?, _ field: String) -> SessionBlock {
            guard let node else { return SessionBlock() }
            return SessionBlock(id: value(node["id"], field + ".id"), project: value(node["project"], field + ".project"),
                                gitBranch: value(node["git_branch"], field + ".git_branch"), title: value(node["title"], field + ".title"),
                                status: value(node["status"], field + ".status"), model: value(node["model"], field + ".model"),
                                version: value(node["version"], field + ".version"),
                                startedAt: value(node["started_at"], field + ".started_at"),
                                endedAt: value(node["ended_at"], field + ".ended_at"), parent: value(node["parent"], field + ".parent"))
        }

        mapping.tool = node["tool"]?.string
        mapping.kinds = Set(node["kinds"]?.strings ?? [])
        mapping.rawOnly = Set(node["raw_only"]?.strings ?? [])
        mapping.opaque = Set(node["opaque"]?.strings ?? [])
        mapping.version = value(node["version"], "version")
        mapping.type = value(node["type"], "type")
        mapping.knownFields = node["known_fields"].map { Set($0.strings) }
        mapping.session = session(node["session"], "session")
        mapping.ordersByTime = node["order"]?.string == "time"
        for (index, split) in (node["split"]?.elements ?? []).enumerated() {
            if let each = path(split["each"], "split[\(index)].each") {
                mapping.splits.append(Split(kinds: Set(split["kinds"]?.strings ?? []), each: each,
                                            within: path(split["within"], "split[\(index)].within"),
                                            wholeWhenEmpty: split["whole_when_empty"]?.bool ?? false))
            }
        }
        for (index, element) in (node["ignore"]?.elements ?? []).enumerated() {
            if let ignored = condition(element, "ignore[\(index)]") { mapping.ignore.append(ignored) }
        }
        for (index, element) in (node["rules"]?.elements ?? []).enumerated() {
            let field = "rules[\(index)]"
            var rule = Rule()
            rule.kinds = element["kinds"].map { Set($0.strings) }
            rule.when = condition(element["when"], field + ".when")
            rule.skip = element["skip"]?.bool ?? false
            for entry in element["remember"]?.entries ?? [] {
                if let remembered = value(entry.node, "\(field).remember.\(entry.key)") { rule.remember.append((entry.key, remembered)) }
            }
            rule.timestamp = value(element["timestamp"], field + ".timestamp")
            rule.tool = value(element["tool"], field + ".tool")
            rule.session = session(element["session"], field + ".session")
            let messages = element["message"].map { [($0, field + ".message")] }
                ?? (element["messages"]?.elements ?? []).enumerated().map { ($1, "\(field).messages[\($0)]") }
            for (message, at) in messages {
                if message["append"]?.bool == true, message["last_write_wins"]?.bool == true {
                    problems.append(ConfigProblem(message["append"]!.location, field: at + ".append",
                                                  "a message is either appended to or replaced, not both (drop last_write_wins)"))
                }
                rule.messages.append(MessageBlock(
                    when: condition(message["when"], at + ".when"),
                    id: value(message["id"], at + ".id"), role: value(message["role"], at + ".role"), kind: value(message["kind"], at + ".kind"),
                    text: value(message["text"], at + ".text"), thinking: value(message["thinking"], at + ".thinking"),
                    model: value(message["model"], at + ".model"), timestamp: value(message["timestamp"], at + ".timestamp"),
                    responseID: value(message["response_id"], at + ".response_id"),
                    lastWriteWins: message["last_write_wins"]?.bool ?? false, appends: message["append"]?.bool ?? false))
            }
            for (callIndex, call) in (element["tool_calls"]?.elements ?? []).enumerated() {
                let at = "\(field).tool_calls[\(callIndex)]"
                rule.toolCalls.append(CallBlock(
                    each: path(call["each"], at + ".each"), when: condition(call["when"], at + ".when"), id: value(call["id"], at + ".id"),
                    name: value(call["name"], at + ".name"), input: value(call["input"], at + ".input"),
                    result: value(call["result"], at + ".result"), error: value(call["error"], at + ".error"),
                    startedAt: value(call["started_at"], at + ".started_at"), endedAt: value(call["ended_at"], at + ".ended_at"),
                    durationMs: value(call["duration_ms"], at + ".duration_ms"), ofMessage: call["of_message"]?.bool ?? true))
            }
            for (usageIndex, usage) in (element["usage"]?.elements ?? []).enumerated() {
                let at = "\(field).usage[\(usageIndex)]"
                rule.usage.append(UsageBlock(
                    each: path(usage["each"], at + ".each"), when: condition(usage["when"], at + ".when"), id: value(usage["id"], at + ".id"), model: value(usage["model"], at + ".model"),
                    timestamp: value(usage["timestamp"], at + ".timestamp"), input: value(usage["input"], at + ".input"),
                    output: value(usage["output"], at + ".output"), cacheRead: value(usage["cache_read"], at + ".cache_read"),
                    cacheWrite: value(usage["cache_write"], at + ".cache_write"), reasoning: value(usage["reasoning"], at + ".reasoning"),
                    cost: value(usage["cost"], at + ".cost"), requestID: value(usage["request_id"], at + ".request_id"),
                    ofMessage: value(usage["of_message"], at + ".of_message"),
                    joins: usage["joins"]?.string, cumulative: usage["mode"]?.string == "cumulative"))
            }
            for (accountIndex, account) in (element["accounts"]?.elements ?? []).enumerated() {
                let at = "\(field).accounts[\(accountIndex)]"
                rule.accounts.append(AccountBlock(
                    each: path(account["each"], at + ".each"), when: condition(account["when"], at + ".when"),
                    id: value(account["id"], at + ".id"), email: value(account["email"], at + ".email"),
                    login: value(account["login"], at + ".login"), name: value(account["name"], at + ".name"),
                    organization: value(account["organization"], at + ".organization"), plan: value(account["plan"], at + ".plan"),
                    personal: value(account["personal"], at + ".personal"), active: value(account["active"], at + ".active")))
            }
            // A fork's rules take the session id of the mapping they are laid over (checked there).
            if rule.needsSession && node["read_as"] == nil && rule.session.over(mapping.session).id == nil {
                problems.append(ConfigProblem(element.location, field: field,
                                              "no session id: give session.id here or at the top of the mapping"))
            }
            mapping.rules.append(rule)
            mapping.ruleLocations.append(element.location)
        }
        let handled = mapping.kinds.union(mapping.rawOnly).union(mapping.opaque)
        let ruleKinds = node["read_as"] == nil ? mapping.kinds : Set((node["read_as"]?.entries ?? []).map(\.key))
        for (index, rule) in mapping.rules.enumerated() {
            for kind in rule.kinds ?? [] where !ruleKinds.contains(kind) {
                problems.append(ConfigProblem(node["rules"]?.elements[index]["kinds"]?.location ?? node.location,
                                              field: "rules[\(index)].kinds", "'\(kind)' is not one of this mapping's kinds"))
            }
        }
        for entry in node["read_as"]?.entries ?? [] {
            guard let target = entry.node.string else { continue }
            if entry.key == target {
                problems.append(ConfigProblem(entry.node.location, field: "read_as.\(entry.key)", "a kind cannot be read as itself"))
            }
            mapping.readAs[entry.key] = target
            mapping.readAsLocations[entry.key] = entry.node.location
        }
        if node["read_as"] != nil {
            // A file of kinds read as others' says only that, the tool to name, and rules of its
            // own tried before those of the mapping it reads them with.
            for field in ["kinds", "raw_only", "opaque", "split", "ignore", "session", "version", "type", "known_fields", "order"]
            where node[field] != nil {
                problems.append(ConfigProblem(node[field]?.location ?? node.location, field: field,
                                              "not with read_as: the kinds it names are read by their format's own normaliser"))
            }
            if mapping.readAs.isEmpty {
                problems.append(ConfigProblem(node.location, field: "read_as", "names no kind"))
            }
        } else if handled.isEmpty {
            problems.append(ConfigProblem(node.location, field: "kinds", "the mapping takes no kind"))
        }
        return (problems.isEmpty ? mapping : nil, problems)
    }
}
