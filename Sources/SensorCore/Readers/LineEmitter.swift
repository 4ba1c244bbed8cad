import Foundation
import SensorModel

/// Makes a line of a file one envelope: trims its blanks, gives it the id its place and bytes
/// make, and the locator of its file. Shared by the plain and the zstd-framed line readers, so
/// that a line is the same envelope however its file holds it.
struct LineEmitter {
    let context: ReadContext
    let fingerprint: String
    /// `"path":…,"file_id":…,"device_inode":…`: the locator's first fields.
    let locatorPrefix: [UInt8]
    let stripNul: Bool
    /// A private key split over lines is redacted in each of them.
    var redactionCarry = RedactionCarry()

    init(file: MatchedFile, fingerprint: String, context: ReadContext) {
        self.context = context
        self.fingerprint = fingerprint
        self.stripNul = context.declaration.stripNul
        self.locatorPrefix = FileLocator.prefix(path: context.displayPath(file.path), fileID: fingerprint,
                                                deviceInode: file.stat.deviceInode)
    }

    /// What is trimmed around a record: spaces, tabs, carriage returns, and NULs when the
    /// source says `strip_nul`.
    func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || (stripNul && byte == 0)
    }

    /// The locator of the line at `offset`, `length` bytes long (newline excluded).
    func locator(offset: Int64, length: Int) -> [UInt8] {
        var locator = locatorPrefix
        locator.append(",\"offset\":")
        locator.appendDecimal(offset)
        locator.append(",\"length\":")
        locator.appendDecimal(length)
        return locator
    }

    /// Appends `line` (at `offset`, `length` bytes long in the file) to `chunk`; a blank line
    /// is no record.
    mutating func emit(_ line: UnsafeRawBufferPointer, offset: Int64, length: Int, flags: RecordFlags,
                       into chunk: inout EnvelopeChunk) {
        var flags = flags
        var lower = 0
        var upper = line.count
        while lower < upper, isBlank(line[lower]) {
            if line[lower] == 0 { flags.nulStripped = true }
            lower += 1
        }
        while upper > lower, isBlank(line[upper - 1]) {
            if line[upper - 1] == 0 { flags.nulStripped = true }
            upper -= 1
        }
        guard lower < upper else { return }

        var id = RecordID(device: context.writer.device, scope: fingerprint)
        id.update(offset)
        id.update(line)
        context.writer.appendRaw(to: &chunk, id: id.finalize(), locator: locator(offset: offset, length: length),
                                 bytes: UnsafeRawBufferPointer(rebasing: line[lower..<upper]),
                                 expectJSON: context.declaration.format != .text,
                                 flags: flags, redactor: context.redactor, carry: &redactionCarry)
    }
}
