import Foundation
import SensorModel

/// Turns a record too large to hold in memory into a ``SpooledEnvelope``, reading it a window
/// at a time: redaction, the JSON check and the encoding all run on windows, so memory is a
/// few windows whatever the record's size.
///
/// The record is written as it is while being checked (a record that claims to be JSON
/// almost always is); if it turns out not to be, it is written again as a string or base64.
struct RecordSpooler {
    let directory: URL
    let writer: EnvelopeWriter
    let redactor: Redactor
    static let windowBytes = 1 << 20

    /// Reads the record's bytes from `offset` (counted from the record's start) into the
    /// buffer; returns how many, 0 only past the end.
    typealias Read = (_ offset: Int, _ into: UnsafeMutableRawBufferPointer) throws -> Int

    /// - Parameters:
    ///   - source: the file the record is read from, for errors.
    ///   - length: how many bytes of it make the record.
    func spool(source: String, id: String, locator: [UInt8], length: Int, expectJSON: Bool, flags: RecordFlags,
               read: Read) throws -> SpooledEnvelope {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ReadError(path: source, reason: "a record too long to hold cannot be spooled to \(directory.path): \(error)",
                            isTransient: true)
        }
        let path = directory.appendingPathComponent("\(id)-\(UUID().uuidString.prefix(8)).record").path
        let file = try SpoolFile(path: path)
        var flags = flags
        do {
            var validator = JSONStreamValidator()
            var utf8 = UTF8StreamCheck()
            var redactions = try redacted(source: source, length: length, read: read) { bytes in
                validator.feed(bytes)
                utf8.feed(bytes)
                try file.write(bytes)
            }
            var encoding = RecordEncoding.json
            if !(expectJSON && !flags.truncated && validator.finish()) {
                if expectJSON && !flags.truncated { flags.notJSON = true }
                try file.restart()
                encoding = utf8.finish() ? .text : .base64
                var encoded: [UInt8] = []
                var carry: [UInt8] = []
                try file.write([UInt8(ascii: "\"")])
                redactions = try redacted(source: source, length: length, read: read) { bytes in
                    encoded.removeAll(keepingCapacity: true)
                    if encoding == .text {
                        encoded.appendJSONStringContent(bytes)
                    } else {
                        // Whole groups of three bytes now; up to two wait for the next window.
                        carry.append(contentsOf: bytes)
                        let whole = carry.count - carry.count % 3
                        carry.withUnsafeBytes { encoded.appendBase64Digits(UnsafeRawBufferPointer(rebasing: $0[0..<whole])) }
                        carry.removeSubrange(0..<whole)
                    }
                    try encoded.withUnsafeBytes { try file.write($0) }
                }
                encoded.removeAll()
                carry.withUnsafeBytes { encoded.appendBase64Digits($0) }
                encoded.append(UInt8(ascii: "\""))
                try file.write(encoded)
            }
            try file.flush()
            flags.redactedBy = redactions
            return SpooledEnvelope(head: writer.head(id: id, locator: locator, encoding: encoding), recordPath: path,
                                   recordLength: file.length, tail: writer.tail(columns: nil, flags: flags))
        } catch {
            unlink(path)
            throw error
        }
    }

    /// Streams the record through the redactor; returns the number of replacements.
    private func redacted(source: String, length: Int, read: Read, emit: (UnsafeRawBufferPointer) throws -> Void) throws -> RedactionCounts {
        var stream = RedactingStream(redactor: redactor)
        var window = [UInt8](repeating: 0, count: Self.windowBytes)
        var offset = 0
        var failure: Error?
        func pass(_ bytes: UnsafeRawBufferPointer) {
            guard failure == nil else { return }
            do { try emit(bytes) } catch { failure = error }
        }
        while offset < length {
            let count = try window.withUnsafeMutableBytes { raw in
                try read(offset, UnsafeMutableRawBufferPointer(rebasing: raw[0..<min(raw.count, length - offset)]))
            }
            guard count > 0 else { throw ReadError(path: source, reason: "the record ended early while it was read (file rewritten?)", isTransient: true) }
            window.withUnsafeBytes { stream.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count]), emit: pass) }
            if let failure { throw failure }
            offset += count
        }
        stream.finish(emit: pass)
        if let failure { throw failure }
        return stream.counts
    }
}
