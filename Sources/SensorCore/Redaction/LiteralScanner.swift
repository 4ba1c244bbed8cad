import CHyperscan
import Crypto
import Foundation

/// Finds every occurrence of a set of literals in a buffer in one pass, whatever their number:
/// Hyperscan's literal matchers (Teddy, FDR) compare 16 to 64 bytes at a time, where a
/// byte-at-a-time automaton (Aho-Corasick) or a table of two-byte prefixes looks at each byte
/// in turn. See the README's redaction section for the figures behind the choice.
///
/// A compiled database is immutable and shared; each concurrent scan needs a scratch region
/// of its own, which the scanner keeps in a small pool.
final class LiteralScanner: @unchecked Sendable {
    /// One literal: its bytes, and whether case is ignored (a rule's keywords are, its prefix is not).
    struct Literal: Hashable, Sendable {
        var bytes: [UInt8]
        var caseless = false
    }

    /// Where literal `literal` (its index in the list given to `init`) starts.
    struct Occurrence: Comparable {
        var start: Int
        var literal: Int
        static func < (a: Occurrence, b: Occurrence) -> Bool {
            (a.start, a.literal) < (b.start, b.literal)
        }
    }

    private let database: OpaquePointer
    private let lengths: [Int]
    private let lock = NSLock()
    private var idle: [OpaquePointer] = []
    private let prototype: OpaquePointer

    /// Compiled databases by their literals: every scanner of a process (one per scan) shares one.
    private static let compiled = CompiledCache()

    /// nil when there is nothing to look for (or, never seen in practice, when the library
    /// refuses a literal). With a `cacheDirectory`, the compiled database is kept there by a
    /// hash of the literals and the library's version, and read back by the next process
    /// instead of compiled again (compiling is most of a short run's start-up).
    init?(literals: [Literal], cacheDirectory: URL? = nil) {
        guard !literals.isEmpty, let database = Self.compiled.database(for: literals, cacheDirectory: cacheDirectory) else { return nil }
        var scratch: OpaquePointer?
        guard hs_alloc_scratch(database, &scratch) == HS_SUCCESS, let scratch else { return nil }
        self.database = database
        self.prototype = scratch
        self.lengths = literals.map(\.bytes.count)
    }

    deinit {
        for scratch in idle { hs_free_scratch(scratch) }
        hs_free_scratch(prototype)
    }

    /// Every occurrence in `bytes`, by start (then by literal), appended to `found`.
    func occurrences(in bytes: UnsafeRawBufferPointer, into found: inout [Occurrence]) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let scratch = takeScratch()
        defer { putBack(scratch) }
        let first = found.count
        lengths.withUnsafeBufferPointer { lengths in
            var collector = Collector(lengths: lengths, found: [])
            swap(&collector.found, &found)
            withUnsafeMutablePointer(to: &collector) { context in
                _ = hs_scan(database, base.assumingMemoryBound(to: CChar.self), UInt32(clamping: bytes.count), 0, scratch,
                            { id, _, to, _, context in
                                let collector = context!.assumingMemoryBound(to: Collector.self)
                                let start = Int(to) - collector.pointee.lengths[Int(id)]
                                collector.pointee.found.append(Occurrence(start: start, literal: Int(id)))
                                return 0
                            }, context)
            }
            swap(&collector.found, &found)
        }
        // Reported by where they end; the redactor reads them by where they start.
        found[first...].sort()
    }

    private struct Collector {
        let lengths: UnsafeBufferPointer<Int>
        var found: [Occurrence]
    }

    private func takeScratch() -> OpaquePointer {
        lock.lock()
        if let scratch = idle.popLast() {
            lock.unlock()
            return scratch
        }
        lock.unlock()
        var clone: OpaquePointer?
        guard hs_clone_scratch(prototype, &clone) == HS_SUCCESS, let clone else {
            fatalError("Hyperscan could not allocate scratch space (out of memory)")
        }
        return clone
    }

    private func putBack(_ scratch: OpaquePointer) {
        lock.lock()
        idle.append(scratch)
        lock.unlock()
    }

    /// The process's compiled databases, by literal set (built-in rules and configured ones
    /// change rarely; a scan per minute must not compile them each time).
    private final class CompiledCache: @unchecked Sendable {
        private let lock = NSLock()
        private var databases: [[Literal]: OpaquePointer] = [:]

        func database(for literals: [Literal], cacheDirectory: URL?) -> OpaquePointer? {
            lock.lock()
            defer { lock.unlock() }
            if let database = databases[literals] { return database }
            let file = cacheDirectory.map { $0.appendingPathComponent("literals-\(Self.key(literals)).hs") }
            if let file, let database = Self.read(file) {
                databases[literals] = database
                return database
            }
            guard let database = Self.compile(literals) else { return nil }
            databases[literals] = database
            if let file { Self.write(database, to: file) }
            return database
        }

        /// What a compiled database depends on: the literals, their flags, the library's version.
        private static func key(_ literals: [Literal]) -> String {
            var hasher = SHA256()
            hasher.update(data: Data(String(cString: hs_version()).utf8))
            for literal in literals {
                hasher.update(data: [literal.caseless ? 1 : 0, UInt8(truncatingIfNeeded: literal.bytes.count >> 8),
                                     UInt8(truncatingIfNeeded: literal.bytes.count)])
                hasher.update(data: literal.bytes)
            }
            return hasher.finalize().prefix(16).map { String(format: "%02x", $0) }.joined()
        }

        /// A database kept by an earlier run; nil when there is none or it does not load (the
        /// library checks its own format, version and platform).
        private static func read(_ file: URL) -> OpaquePointer? {
            guard let data = try? Data(contentsOf: file) else { return nil }
            var database: OpaquePointer?
            let status = data.withUnsafeBytes { bytes in
                hs_deserialize_database(bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count, &database)
            }
            return status == HS_SUCCESS ? database : nil
        }

        private static func write(_ database: OpaquePointer, to file: URL) {
            var bytes: UnsafeMutablePointer<CChar>?
            var length = 0
            guard hs_serialize_database(database, &bytes, &length) == HS_SUCCESS, let bytes else { return }
            defer { free(bytes) }
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? Data(bytes: bytes, count: length).write(to: file, options: .atomic)
        }

        private static func compile(_ literals: [Literal]) -> OpaquePointer? {
            // Each byte written as \xHH: a literal is matched as it is, whatever it holds.
            let expressions = literals.map { literal in
                literal.bytes.map { String(format: "\\x%02x", $0) }.joined()
            }
            let flags = literals.map { UInt32($0.caseless ? HS_FLAG_CASELESS : 0) }
            let ids = (0..<literals.count).map(UInt32.init)
            var cStrings = expressions.map { strdup($0) }
            defer { cStrings.forEach { free($0) } }
            var database: OpaquePointer?
            var error: UnsafeMutablePointer<hs_compile_error_t>?
            let status = cStrings.withUnsafeMutableBufferPointer { strings in
                strings.withMemoryRebound(to: UnsafePointer<CChar>?.self) { strings in
                    hs_compile_multi(strings.baseAddress, flags, ids, UInt32(literals.count), UInt32(HS_MODE_BLOCK), nil,
                                     &database, &error)
                }
            }
            if status != HS_SUCCESS {
                if let error { hs_free_compile_error(error) }
                return nil
            }
            return database
        }
    }
}
