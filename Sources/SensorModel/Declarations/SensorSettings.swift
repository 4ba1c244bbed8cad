/// A redaction rule: secrets matching `pattern` are replaced before a record leaves the machine.
public struct RedactionRule: Sendable, Equatable {
    public var name: String
    public var pattern: String
    /// A literal every match starts with; records without it are never scanned by the pattern.
    public var prefix: String?
    public var replacement: String
    /// Which part of a match is the secret, replaced (the rest, `PASSWORD=`, stays).
    public var secret = SecretPart.whole
    /// Replace only what the pattern's first capture group matched (the value after a name
    /// such as `PASSWORD=`), not the whole match.
    public var redactsGroup: Bool {
        get { secret != .whole }
        set { secret = newValue ? .group(1) : .whole }
    }
    /// Words (any case) one of which a record must hold for a rule without a prefix to run
    /// over it (gitleaks' `keywords`); a rule with neither runs over every record.
    public var keywords: [String] = []
    /// Matches that are not secrets after all (gitleaks' `[[rules.allowlists]]`).
    public var allowlists: [RedactionAllowlist] = []
    /// Where the rule comes from: `built-in`, a rules file, the server's sensor-config.
    public var origin = "built-in"
    /// When set, a match is a secret only if the replaced bytes carry at least this many bits
    /// of Shannon entropy per byte (`.env`-style assignments: `TOKEN=changeme` is not one).
    public var minimumEntropy: Double?
    /// Require that the prefix does not continue a word (`sk-` in `task-list` is not a key).
    /// A JSON escape before it (`\n`, `\t`, `\u000a`) counts as a boundary.
    public var wordBoundary = true
    /// The longest match, in bytes, the pattern is run over from a prefix.
    public var maxLength = 256
    /// The prefix is a name a value is assigned to (`client_secret = …`): the scan runs the
    /// expression only where an assignment with a value of 8 bytes or more follows the name.
    public var valueAfterName = false

    public init(name: String, pattern: String, prefix: String? = nil, replacement: String? = nil,
                redactsGroup: Bool = false, minimumEntropy: Double? = nil, wordBoundary: Bool = true,
                maxLength: Int = 256) {
        self.name = name
        self.pattern = pattern
        self.prefix = prefix
        self.replacement = replacement ?? "[REDACTED:\(name)]"
        self.secret = redactsGroup ? .group(1) : .whole
        self.minimumEntropy = minimumEntropy
        self.wordBoundary = wordBoundary
        self.maxLength = maxLength
    }
}

/// Which part of a rule's match is replaced.
public enum SecretPart: Sendable, Hashable {
    case whole
    /// Capture group `n` (1 and up).
    case group(Int)
    /// The first capture group that matched something (gitleaks' rule without `secretGroup`).
    case firstGroup
}

/// When a match of a rule is not a secret: its secret (or the whole match, or the whole
/// record) matches one of `regexes`, or the secret holds one of `stopwords` (any case).
/// With `requiresAll`, every kind of check listed must say so (gitleaks' `condition = "AND"`).
public struct RedactionAllowlist: Sendable, Equatable {
    public enum Target: String, Sendable {
        case secret, match, line
    }
    public var regexes: [String] = []
    public var target = Target.secret
    public var stopwords: [String] = []
    public var requiresAll = false

    public init(regexes: [String] = [], target: Target = .secret, stopwords: [String] = [], requiresAll: Bool = false) {
        self.regexes = regexes
        self.target = target
        self.stopwords = stopwords
        self.requiresAll = requiresAll
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
    /// zstd's level, for a server that takes zstd (1-19).
    public var zstdLevel = 3
    public var configPollInterval: Double = 300

    public init() {}
}

/// Settings that are not about one source.
public struct SensorSettings: Sendable, Equatable {
    public var upload = UploadSettings()
    /// Apply the built-in secret rules.
    public var builtinRedaction = true
    /// Where compiled forms that are costly to build (the redaction rules' literal matcher) are
    /// kept between runs, by a hash of what they were compiled from; nil: built every time.
    public var compiledCacheDirectory: String?
    /// Rules from config layers (local files and the server), in layer order.
    public var redactionRules: [RedactionRule] = []
    /// Checkpoints of files gone this long are dropped.
    public var forgetAfterDays: Double = 30
    public var defaultMaxRecordBytes = 64 << 20
    public var defaultPollInterval: Double = 5
    /// The server document's `version` label, when a server layer is present.
    public var serverConfigVersion: String?
    /// Path templates or globs the local policy says are never read (set by the policy only).
    public var optOutPaths: [String] = []

    public init() {}
}
