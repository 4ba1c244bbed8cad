import Crypto
import Foundation
import IngestStore
import SensorModel

/// One coding session (a conversation, a thread, a sub-agent run), whatever tool wrote it.
/// Several records describe a session; each says what it knows and the store merges them:
/// a field already known is kept, `title`, `status`, `model` take the newest value, and
/// `started_at`/`ended_at` widen.
public struct SessionRow: Sendable, Equatable {
    public var key: String
    public var tool: String
    public var device: String
    /// The tool's own id for it (Claude `sessionId`, Codex thread id, Cursor composer id…).
    public var nativeID: String
    public var source: String
    public var project: String?
    public var gitBranch: String?
    public var title: String?
    /// `active`, `reset`, `deleted`, `archived`…
    public var status: String?
    public var toolVersion: String?
    public var model: String?
    public var startedAt: String?
    public var endedAt: String?
    /// The file the record came from.
    public var file: String?
    /// The tenant the session belongs to (set from its records, never by a normaliser).
    public var tenant: Int64 = Tenant.defaultID
}

/// A message: a prompt, a response (Claude's streamed blocks share `responseID`), a tool
/// result, a compaction boundary or summary.
public struct MessageRow: Sendable, Equatable {
    public var key: String
    public var sessionKey: String
    public var responseID: String?
    /// `user`, `assistant`, `system`, `tool`, `developer`.
    public var role: String
    /// `text`, `tool_result`, `compaction`, `summary`, `thinking`, or the tool's own step type.
    public var kind: String
    public var text: String?
    public var model: String?
    public var createdAt: String?
    /// Order within the session (byte offset, row cursor, step index).
    public var ordinal: Int64
    /// A later version replaces an earlier one only when its rank is higher (a step DONE after
    /// RUNNING; a Cursor row updated in place); equal ranks keep the first.
    public var rank: Int64
    public var source: String
    /// A part of a message streamed over several records: its text goes on the end of the
    /// stored text (the row's other fields are those of the first part).
    public var appends = false
}

/// A tool call and, once known, its result. Call and result often arrive in different
/// records; each fills in what it knows.
public struct ToolCallRow: Sendable, Equatable {
    public var key: String
    public var sessionKey: String
    public var messageKey: String?
    public var callID: String
    public var name: String?
    public var input: String?
    public var result: String?
    public var isError: Bool?
    public var startedAt: String?
    public var endedAt: String?
    public var durationMs: Int64?
    public var source: String
}

/// Tokens of one model response (or one turn, where the tool only records turns). When the
/// same response is seen again the row with more tokens wins (a streamed response's final
/// usage).
public struct UsageRow: Sendable, Equatable {
    public var key: String
    public var sessionKey: String
    public var messageKey: String?
    public var model: String?
    public var createdAt: String?
    // Every count is held within `0...BoundedNumber.tokenLimit` as it is set, whatever a record
    // says, so that a row's total and the sums of rows never overflow.

    /// Input tokens not read from the cache.
    public var input: Int64 = 0 { didSet { input = BoundedNumber.tokens(input) } }
    public var output: Int64 = 0 { didSet { output = BoundedNumber.tokens(output) } }
    public var cacheRead: Int64 = 0 { didSet { cacheRead = BoundedNumber.tokens(cacheRead) } }
    public var cacheWrite: Int64 = 0 { didSet { cacheWrite = BoundedNumber.tokens(cacheWrite) } }
    /// Reasoning (thinking) tokens: a part of `output`, shown apart where the tool counts them.
    public var reasoning: Int64 = 0 { didSet { reasoning = BoundedNumber.tokens(reasoning) } }
    /// Cost in US dollars, where the tool records it (held within `0...BoundedNumber.costLimit`).
    public var cost: Double? { didSet { cost = BoundedNumber.cost(cost) } }
    public var source: String
    /// The vendor's id of the request that this response answered (Anthropic's `req_…`), where
    /// known: a request's telemetry event and its transcript line are joined by it.
    public var requestID: String?
    /// A tool whose conversation, collected on a device of the same person and spanning this
    /// row's time, this row belongs in (a vendor's usage report, whose events name no session).
    public var joinsTool: String?

    public var total: Int64 { input + output + cacheRead + cacheWrite }
}

/// A file written or edited by a tool call, with whatever the tool kept of the change.
public struct FileChangeRow: Sendable, Equatable {
    public var key: String
    public var sessionKey: String
    public var callKey: String?
    public var path: String
    public var diff: String?
    public var oldText: String?
    public var newText: String?
    public var createdAt: String?
    public var source: String
}

/// A session started by another one: a sub-agent, a fork.
public struct SessionLinkRow: Sendable, Equatable {
    public var childKey: String
    public var parentKey: String
    /// The parent's tool call that spawned the child, when known.
    public var toolCallID: String?
    /// `subagent`, `fork`.
    public var relation: String
    public var source: String
}

/// Where a message belongs in its conversation when the tool keeps the order apart from the
/// messages (Cursor's composer header lists its bubbles).
public struct MessagePositionRow: Sendable, Equatable {
    public var messageKey: String
    public var position: Int64
    public var source: String
}

/// An account a tool is signed in to on a device (from an identity source: email, login,
/// organisation, plan), with when the tool's file said so first and last. Rows of one account
/// merge: a value already known is kept unless a later record gives another.
public struct AccountRow: Sendable, Equatable {
    public var key: String
    public var tool: String
    public var device: String
    /// What tells the tool's accounts on the device apart (the email, the login, or one fixed
    /// name where the tool keeps one account whose fields arrive in records of their own).
    public var account: String
    public var email: String?
    public var login: String?
    public var name: String?
    public var organization: String?
    public var plan: String?
    /// Whether the tool's own record says it is a personal account (a personal plan); nil when
    /// it cannot tell, and then the email's domain decides.
    public var personal: Bool?
    /// Whether it is the account signed in now (a tool listing earlier accounts says false).
    public var active: Bool?
    /// When the tool's file said so first and last (the records' collection times).
    public var firstSeen: String
    public var lastSeen: String
    public var source: String
    public var tenant: Int64 = Tenant.defaultID

    /// The domain of the email, lower-cased: what a tenant's domains are matched against.
    public var domain: String? {
        guard let email, let at = email.lastIndex(of: "@") else { return nil }
        let domain = email[email.index(after: at)...].lowercased()
        return domain.isEmpty ? nil : domain
    }
}

/// Something not understood, counted: a record kind without a normaliser, a record type or
/// field a normaliser does not know, or an opaque record kept only raw.
public struct DriftKey: Hashable, Sendable, Codable {
    public var source: String
    public var tool: String
    public var toolVersion: String
    public var kind: String
    /// `unknown_kind`, `unknown_type`, `unknown_field`, `opaque`, `unreadable`.
    public var reason: String
    /// The record type or field name.
    public var name: String
    /// The tenant whose records were not understood (set by ``NormalizedBatch/count(_:)``).
    public var tenant: Int64 = Tenant.defaultID
}

/// When a drift was seen (the records' collection times) and the id of a raw envelope showing it.
public struct DriftSighting: Sendable, Equatable {
    public var first: String?
    public var last: String?
    public var example: String?
}

/// What normalising a run of records produced, ready to be written in one transaction.
public struct NormalizedBatch: Sendable {
    public var sessions: [SessionRow] = []
    public var messages: [MessageRow] = []
    public var toolCalls: [ToolCallRow] = []
    public var usage: [UsageRow] = []
    public var fileChanges: [FileChangeRow] = []
    public var links: [SessionLinkRow] = []
    public var positions: [MessagePositionRow] = []
    public var accounts: [AccountRow] = []
    /// (session key, model, source) triples.
    public var models: Set<[String]> = []
    public var drift: [DriftKey: Int] = [:]

    public init() {}

    /// The model each session of the batch names, the last one named winning (as when its rows
    /// are merged): what prices the batch's usage rows that name none.
    var sessionModels: [String: String] {
        var models: [String: String] = [:]
        for session in sessions { if let model = session.model { models[session.key] = model } }
        return models
    }

    public var isEmpty: Bool {
        sessions.isEmpty && messages.isEmpty && toolCalls.isEmpty && usage.isEmpty && fileChanges.isEmpty
            && links.isEmpty && positions.isEmpty && accounts.isEmpty && drift.isEmpty
    }

    /// The tenant of the record being normalised: drift counted now is its.
    public var tenant: Int64 = Tenant.defaultID
    /// The envelope id and collection time of the record being normalised: drift counted now
    /// was seen then, in it.
    public var recordID: String?
    public var recordTime: String?
    /// When each drift was first and last seen in this batch, and a record that shows it.
    public var driftSightings: [DriftKey: DriftSighting] = [:]

    public mutating func count(_ key: DriftKey) {
        var key = key
        key.tenant = tenant
        drift[key, default: 0] += 1
        // The example is the earliest record's (the smallest id among equally early ones): the
        // same whatever order the records are normalised in, and however they are split into steps.
        var sighting = driftSightings[key] ?? DriftSighting()
        let earlier = recordTime.map { time in sighting.first.map { time < $0 } ?? true } ?? false
        let asEarly = recordTime == sighting.first
        if earlier || (asEarly && (sighting.example.map { recordID ?? $0 < $0 } ?? true)) { sighting.example = recordID ?? sighting.example }
        if let time = recordTime {
            if sighting.first.map({ time < $0 }) ?? true { sighting.first = time }
            if sighting.last.map({ time > $0 }) ?? true { sighting.last = time }
        }
        driftSightings[key] = sighting
    }
}

/// Stable keys for normalised rows: SHA-256 over the parts, 32 hex digits. The same record
/// seen twice (a re-upload, a copied line in a forked session) gives the same key.
public enum NormalKey {
    public static func make(_ parts: String...) -> String {
        make(parts)
    }

    /// The parts, each followed by U+001F, hashed in one call (a call per part and a hex digit
    /// array per key were a fortieth of a reparse).
    public static func make(_ parts: [String]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(parts.reduce(0) { $0 + $1.utf8.count + 1 })
        for part in parts {
            bytes.append(contentsOf: part.utf8)
            bytes.append(0x1F)
        }
        return SHA256.hash(data: bytes).withUnsafeBytes { Hex.lowercase(UnsafeRawBufferPointer(rebasing: $0.prefix(16))) }
    }

    /// The key of a session: device, tool and the tool's own session id.
    public static func session(device: String, tool: String, nativeID: String) -> String {
        make("session", device, tool, nativeID)
    }
}
