import SensorModel

/// A record with its secrets replaced.
public struct Redaction: Sendable {
    /// The record's bytes after replacement.
    public var bytes: [UInt8]
    /// What each rule replaced.
    public var rules: RedactionCounts
    /// How many replacements were made.
    public var count: Int { rules.total }
}
