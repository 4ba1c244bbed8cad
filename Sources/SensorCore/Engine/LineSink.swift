import Foundation

/// Writes each envelope as one line (NDJSON) to a file descriptor: `--dry-run` and `--output`.
public final class LineSink: ChunkSink {
    let handle: FileHandle
    public private(set) var envelopes = 0

    public init(handle: FileHandle) {
        self.handle = handle
    }

    public func accept(_ chunk: EnvelopeChunk) async throws {
        guard !chunk.isEmpty else { return }
        if let spooled = chunk.spooled {
            try spooled.forEachWindow { try handle.write(contentsOf: Data($0)) }
            try handle.write(contentsOf: [0x0A])
            spooled.remove()
            envelopes += 1
            return
        }
        var output: [UInt8] = []
        output.reserveCapacity(chunk.bytes.count + chunk.count)
        for index in 0..<chunk.count {
            output.append(contentsOf: chunk.bytes[chunk.range(of: index)])
            output.append(0x0A)
        }
        try handle.write(contentsOf: output)
        envelopes += chunk.count
    }
}
