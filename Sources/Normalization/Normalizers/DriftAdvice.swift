/// What a maintainer does about a line of the drift report: which normaliser met the records
/// (a mapping's file, or a Swift normaliser) and the change that would take them.
public enum DriftAdvice {
    /// The normaliser of `kind` in `registry`: `normalizers.d/<file>` for a mapping, the Swift
    /// type's name otherwise; nil when none takes the kind.
    public static func origin(of kind: String, in registry: NormalizerRegistry) -> String? {
        guard let index = registry.byKind[kind] else { return nil }
        let normalizer = registry.normalizers[index]
        if let mapping = normalizer as? MappingNormalizer { return "normalizers.d/" + mapping.mapping.name }
        return "\(type(of: normalizer)) (Swift)"
    }

    /// The change that takes what `reason` says was not understood.
    public static func action(reason: String, kind: String, name: String, origin: String?) -> String {
        let mapping = origin?.hasPrefix("normalizers.d/") == true
        switch reason {
        case "unknown_kind":
            return "No normaliser takes kind \(kind): add a mapping whose kinds name it to normalizers.d/, or list it under raw_only "
                + "in the tool's mapping to keep it raw without counting it here."
        case "unknown_type":
            return mapping
                ? "No rule of \(origin ?? "") takes records of type \(name): add a rule whose when names the type, mapping what it holds "
                    + "(or skip: true when it holds nothing to keep), then run sensor-ingest reparse --source for the records already stored."
                : "\(origin ?? "The normaliser") does not know records of type \(name): map the kind in normalizers.d/ or extend it, "
                    + "then reparse the source."
        case "unknown_field":
            return mapping
                ? "Field \(name) is not among the known_fields of \(origin ?? ""): map it where it carries meaning, then add it to known_fields."
                : "\(origin ?? "The normaliser") does not know field \(name): see whether it carries what a session shows, then teach it."
        case "unreadable":
            return "Records that could not be read as the format says: open the example; the tool may have changed its format "
                + "(its declaration in sources.d/\(origin.map { " or \($0)" } ?? ""))."
        case "opaque":
            return "Unreadable by design (encrypted by the tool): counted, kept raw, nothing to do."
        default:
            return "Open the example record."
        }
    }
}
