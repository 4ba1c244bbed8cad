import Foundation
import IngestStore

/// Names, sizes and modification times of a set of files: changes when one is edited, added
/// or removed. Watchers of config folders (mappings, server config) compare it between polls.
package enum FileFingerprint {
    package static func of(_ files: [URL]) -> String {
        files.map { file in
            let attributes = (try? FileManager.default.attributesOfItem(atPath: file.path)) ?? [:]
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(file.lastPathComponent) \(attributes[.size] ?? 0) \(modified)"
        }.joined(separator: "\n")
    }
}
