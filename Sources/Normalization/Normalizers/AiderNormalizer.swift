import Foundation
import IngestStore

/// Aider's chat history: `.aider.chat.history.md` in each repository, Markdown appended run
/// after run, read one line a record (`format: text`, `offset: byte`). A Swift normaliser, not
/// a mapping: a run starts at a `# aider chat started at …` line, a reply spans every line
/// up to the next prompt (so a message is built from many records), and tokens are only in
/// rounded text (`> Tokens: 2.3k sent, 1.1k cache hit, 150 received. Cost: $0.01 message…`).
///
/// - A run is a session, known by the file and the run's start time.
/// - `#### ` lines are the user's prompt; plain lines the assistant's reply; `> ` lines are
///   Aider's own notes, of which `Tokens:` gives a usage row and `Applied edit to` a file change.
public struct AiderNormalizer: RecordNormalizer {
    public let kinds: Set<String> = ["aider.chat-history"]
    public let rawOnlyKinds: Set<String> = ["aider.input-history"]

    package static let header = "# aider chat started at "

    public init() {}

    public func normalize(_ record: RawRecord, into context: inout NormalizationContext) {
        guard let line = record.record as? String else { return context.unreadable(record, "not a text line") }
        var memory = context.memory(of: record)
        var state = memory.values ?? [:]
        defer {
            memory.values = state
            context.remember(memory, for: record)
        }
        if line.hasPrefix(Self.header) {
            let started = Self.utc(String(line.dropFirst(Self.header.count)).trimmingCharacters(in: .whitespaces))
            state = ["run": started]
            session(record, started: started, into: &context)
            return
        }
        guard let run = state["run"] else { return context.unreadable(record, "no run header") }
        let sessionKey = session(record, started: run, into: &context)
        let device = record.scopedDevice

        if line.hasPrefix(">") {
            state["block"] = nil
            let note = line.dropFirst().trimmingCharacters(in: .whitespaces)
            if note.hasPrefix("Tokens:"), var usage = Self.usage(note) {
                usage.key = NormalKey.make(device, record.tool, "usage", run, record.path, String(record.position))
                usage.sessionKey = sessionKey
                usage.source = record.source
                usage.createdAt = JSON.timestamp(run)
                context.batch.usage.append(usage)
            } else if note.hasPrefix("Applied edit to ") {
                let path = String(note.dropFirst("Applied edit to ".count))
                context.batch.fileChanges.append(FileChangeRow(
                    key: NormalKey.make(device, record.tool, "change", run, record.path, String(record.position)), sessionKey: sessionKey,
                    path: path, createdAt: JSON.timestamp(run), source: record.source))
            }
            return
        }
        let isPrompt = line.hasPrefix("####")
        let role = isPrompt ? "user" : "assistant"
        let text = isPrompt ? String(line.dropFirst(4)).trimmingCharacters(in: .whitespaces) : line
        if state["block"] != role {
            state["block"] = role
            state["blockStart"] = String(record.position)
            state["blockText"] = text
        } else {
            state["blockText"] = (state["blockText"] ?? "") + "\n" + text
        }
        // The message so far; each later line of it outranks the one before.
        context.batch.messages.append(MessageRow(
            key: NormalKey.make(device, record.tool, "entry", run, record.path, state["blockStart"] ?? "0"), sessionKey: sessionKey,
            role: role, kind: "text", text: state["blockText"], createdAt: JSON.timestamp(run),
            ordinal: Int64(state["blockStart"] ?? "") ?? record.position, rank: record.seq, source: record.source))
    }

    @discardableResult
    private func session(_ record: RawRecord, started: String, into context: inout NormalizationContext) -> String {
        let nativeID = "\(record.path)@\(started)"
        let key = NormalKey.session(device: record.scopedDevice, tool: record.tool, nativeID: nativeID)
        var row = SessionRow(key: key, tool: record.tool, device: record.device, nativeID: nativeID, source: record.source,
                             startedAt: JSON.timestamp(started), endedAt: JSON.timestamp(started), file: record.path)
        row.project = record.path.split(separator: "/").dropLast().joined(separator: "/")
        row.title = nil
        context.batch.sessions.append(row)
        return key
    }

    /// `Tokens: 2.3k sent, 1.1k cache write, 1.1k cache hit, 150 received. Cost: $0.01 message, $0.05 session.`
    /// "sent" counts the prompt with what was written to the cache.
    package static func usage(_ note: String) -> UsageRow? {
        var usage = UsageRow(key: "", sessionKey: "", source: "")
        var sent: Int64 = 0
        let body = note.dropFirst("Tokens:".count)
        let tokens = body.range(of: ". Cost:").map { body[..<$0.lowerBound] } ?? body
        for part in tokens.split(separator: ",") {
            let words = part.split(separator: " ")
            guard let first = words.first, let count = count(first) else { continue }
            switch words.dropFirst().joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: ".")) {
            case "sent": sent = count
            case "cache write": usage.cacheWrite = count
            case "cache hit": usage.cacheRead = count
            case "received": usage.output = count
            default: break
            }
        }
        usage.input = max(0, sent - usage.cacheWrite)
        if let costPart = note.range(of: "Cost: $") {
            let digits = note[costPart.upperBound...].prefix { $0.isNumber || $0 == "." || $0 == "," }
            usage.cost = Double(digits.replacingOccurrences(of: ",", with: ""))
        }
        return usage.total > 0 ? usage : nil
    }

    /// The header's local time, written without a zone, read as UTC (as agentsview does):
    /// `2026-06-09 14:01:00` → `2026-06-09T14:01:00Z`.
    static func utc(_ time: String) -> String {
        guard time.utf8.count == 19, JSON.timestamp(time) != nil else { return time }
        return time.replacingOccurrences(of: " ", with: "T") + "Z"
    }

    /// `2.3k` → 2300, `1.2M` → 1200000, `150` → 150.
    package static func count(_ text: Substring) -> Int64? {
        let multiplier: Double = text.hasSuffix("k") ? 1_000 : text.hasSuffix("M") ? 1_000_000 : 1
        let digits = multiplier == 1 ? text : text.dropLast()
        guard let value = Double(digits.replacingOccurrences(of: ",", with: "")) else { return nil }
        return BoundedNumber.integer(value * multiplier, within: 0...BoundedNumber.tokenLimit)
    }
}
