import Foundation

/// One acknowledged checkpoint update as a line of the checkpoint journal: between two full
/// saves, each acknowledged batch appends what it changed instead of rewriting every file's
/// position (megabytes on a machine with thousands of transcripts).
struct CheckpointJournalEntry: Codable {
    var file: String?
    var table: String?
    var document: String?
    var forget: String?
    var filePosition: FilePosition?
    var tablePosition: TablePosition?
    var documentPosition: DocumentPosition?
    var changedHashes: [String: String]?

    init(_ update: CheckpointUpdate) {
        switch update {
        case .file(let key, let position):
            file = key
            filePosition = position
        case .table(let key, let position, let changedHashes):
            table = key
            tablePosition = position
            self.changedHashes = changedHashes
        case .document(let key, let position):
            document = key
            documentPosition = position
        case .forgetFile(let key):
            forget = key
        }
    }

    /// The update this line records, or nil when it is not one (a damaged line).
    var update: CheckpointUpdate? {
        if let file, let filePosition { return .file(key: file, filePosition) }
        if let table, let tablePosition { return .table(key: table, tablePosition, changedHashes: changedHashes) }
        if let document, let documentPosition { return .document(key: document, documentPosition) }
        if let forget { return .forgetFile(key: forget) }
        return nil
    }
}
