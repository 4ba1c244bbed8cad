/// A redaction rule: secrets matching `pattern` are replaced before a record leaves the machine.
public struct RedactionRule: Sendable, Equatable {
    public var name: String
    public var pattern: String
    /// A literal every match starts with; records without it are never scanned by the pattern.
    public var prefix: String?
    public var replacement: String

    public init(name: String, pattern: String, prefix: String? = nil, replacement: String? = nil) {
        self.name = name
        self.pattern = pattern
        self.prefix = prefix
        self.replacement = replacement ?? "[REDACTED:\(name)]"
    }
}

/// How envelopes are batched and sent.
public struct UploadSettings: Sendable, Equatable {
    public var batchMaxRecords = 2000
    public var batchMaxBytes = 4 << 20
    public var batchMaxAgeMilliseconds = 200
    /// Envelope bytes read ahead of the server: two batches' worth keeps the reader and the
    /// uploader both busy; more only costs memory.
    public var bufferBytes = 8 << 20
    /// 0-3: ISA-L's igzip levels; 4-12: libdeflate's. igzip level 2 sends ~5% more bytes than
    /// zlib level 6 (before the envelope) at a twentieth of its CPU.
    public var gzipLevel = 2
    public var configPollInterval: Double = 300

    public init() {}
}

/// Settings that are not about one source.
public struct SensorSettings: Sendable, Equatable {
    public var upload = UploadSettings()
    /// Apply the built-in secret rules.
    public var builtinRedaction = true
    /// Rules from config layers (local files and the server), in layer order.
    public var redactionRules: [RedactionRule] = []
    /// Checkpoints of files gone this long are dropped.
    public var forgetAfterDays: Double = 30
    public var defaultMaxRecordBytes = 64 << 20
    public var defaultPollInterval: Double = 5
    /// The server document's `version` label, when a server layer is present.
    public var serverConfigVersion: String?

    public init() {}
}
