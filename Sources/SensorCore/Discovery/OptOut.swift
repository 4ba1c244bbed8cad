import SensorModel

/// The paths the person opted out of in the local policy: files at or below a listed folder,
/// or matching a listed glob, are never opened, whatever any config layer says.
struct OptOut: Sendable {
    private var folders: [String] = []
    private var globs: [Glob] = []

    init(_ templates: [String], template: PathTemplate) {
        for entry in templates {
            guard let expanded = template.expand(entry) else { continue }
            let path = expanded.count > 1 && expanded.hasSuffix("/") ? String(expanded.dropLast()) : expanded
            if path.contains(where: { "*?[".contains($0) }) {
                if let glob = Glob(path) { globs.append(glob) }
            } else {
                folders.append(path)
            }
        }
    }

    var isEmpty: Bool { folders.isEmpty && globs.isEmpty }

    func covers(_ path: String) -> Bool {
        if folders.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) { return true }
        guard !globs.isEmpty else { return false }
        let segments = path.split(separator: "/")
        // A glob covers a file it matches and everything below a folder it matches.
        return globs.contains { glob in (1...segments.count).contains { glob.matches(Array(segments.prefix($0))) } }
    }
}
