/// The configuration the engine runs with: every layer merged, validated, with the origin of
/// every value.
public struct EffectiveConfig: Sendable {
    /// Every declared source in declaration order, disabled ones included.
    public var sources: [SourceDeclaration] = []
    public var settings = SensorSettings()
    /// Source id → field path (`sqlite.query`) → where the value came from.
    public var provenance: [String: [String: Provenance]] = [:]
    /// Everything wrong, each naming file, line, column and field.
    public var problems: [ConfigProblem] = []
    /// Ids of sources that have problems of their own; the engine skips them.
    public var invalidSourceIDs: Set<String> = []

    public init() {}

    public var isValid: Bool { problems.isEmpty }

    /// Sources the engine should run: enabled and free of problems, highest priority first.
    public var runnableSources: [SourceDeclaration] {
        sources.enumerated()
            .filter { $0.element.enabled && !invalidSourceIDs.contains($0.element.id) }
            .sorted { ($0.element.priority, -$0.offset) > ($1.element.priority, -$1.offset) }
            .map(\.element)
    }

    public func source(_ id: String) -> SourceDeclaration? {
        sources.first { $0.id == id }
    }
}
