/// How many secrets each rule replaced in a record: what `flags.redacted_by` says, so that a
/// security team learns which kinds of keys are pasted into AI tools without seeing one.
public struct RedactionCounts: Sendable, Equatable {
    /// Rule name and count, in the order the rules first matched.
    public private(set) var entries: [(rule: String, count: Int)] = []

    public init() {}

    public var total: Int { entries.reduce(0) { $0 + $1.count } }
    public var isEmpty: Bool { entries.isEmpty }

    public mutating func add(_ rule: String, _ count: Int = 1) {
        if let index = entries.firstIndex(where: { $0.rule == rule }) {
            entries[index].count += count
        } else {
            entries.append((rule, count))
        }
    }

    public mutating func add(_ other: RedactionCounts) {
        for entry in other.entries { add(entry.rule, entry.count) }
    }

    public static func == (a: RedactionCounts, b: RedactionCounts) -> Bool {
        a.entries.elementsEqual(b.entries) { $0.rule == $1.rule && $0.count == $1.count }
    }
}
