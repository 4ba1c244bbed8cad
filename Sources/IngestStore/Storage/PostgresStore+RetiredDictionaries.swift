import Foundation
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// Makes again every frame made with a retired dictionary, with its owner's newer one (or
    /// none), then deletes the dictionary (``DictionaryRetirement``). Several servers may sweep
    /// at once: each frame they make is whole and readable, whichever lands last. Returns the
    /// dictionaries deleted.
    public func repackRetiredDictionaries() async throws -> Int {
        // Every retention pass asks: most find nothing to sweep and load nothing.
        let retiredRows = try await query(SQLStatement(DictionaryRetirement.retired))
        guard !retiredRows.isEmpty else { return 0 }
        try await loadDictionaries()
        var swept = 0
        for row in retiredRows {
            let retired = DictionaryRetirement.Retired(row)
            if retired.source != PackedText.dictionarySource, let dictionary = custody.dictionary(id: retired.id) {
                try await repackEnvelopes(made: dictionary, as: retired)
            }
            try await execute([SQLStatement("DELETE FROM raw_dictionaries WHERE id = $1 AND retired = 1", [.integer(Int64(retired.id))])])
            swept += 1
        }
        if swept > 0 { try await loadDictionaries() }
        return swept
    }

    /// The retired dictionary's device's envelopes of its source (for one trained before
    /// owners, every device's), those that arrived since its first use, a batch at a time
    /// along the device's arrival index.
    private func repackEnvelopes(made dictionary: Zstd.Dictionary, as retired: DictionaryRetirement.Retired) async throws {
        var owners: [DictionaryOwner] = []
        if let tenant = retired.tenant, let device = retired.device {
            owners = [DictionaryOwner(tenant: tenant, device: device, source: retired.source)]
        } else {
            let rows = try await client.query("SELECT DISTINCT tenant_id, device FROM raw_envelopes WHERE source = \(retired.source)",
                                              logger: logger)
            for try await (tenant, device) in rows.decode((Int64, String).self) {
                owners.append(DictionaryOwner(tenant: tenant, device: device, source: retired.source))
            }
        }
        let decompressor = Zstd.Decompressor()
        let compressor = Zstd.Compressor(level: RawCustody.level)
        let firstUse = retired.firstUse.flatMap { try? Date($0, strategy: .iso8601) } ?? Date(timeIntervalSince1970: 0)
        for owner in owners {
            if retired.tenant == nil, custody.currentDictionary(of: owner) == nil {
                // A dictionary of every device's: each device with enough envelopes gets its own
                // first, so the store stays as small as it was.
                let rows = try await client.query("""
                    SELECT count(*) FROM raw_envelopes WHERE tenant_id = \(owner.tenant) AND device = \(owner.device) AND source = \(owner.source)
                    """, logger: logger)
                var count: Int64 = 0
                for try await value in rows.decode(Int64.self) { count = value }
                if count >= RawCustody.trainAfter { try await trainDictionary(for: owner) }
            }
            let replacement = custody.currentDictionary(of: owner)
            var after = (receivedAt: firstUse, seq: Int64(0))
            while true {
                let rows = try await client.query("""
                    SELECT seq, received_at, envelope_zstd FROM raw_envelopes
                    WHERE tenant_id = \(owner.tenant) AND device = \(owner.device) AND source = \(owner.source)
                      AND received_at >= \(after.receivedAt) AND (received_at > \(after.receivedAt) OR seq > \(after.seq))
                    ORDER BY received_at, seq LIMIT \(DictionaryRetirement.batch)
                    """, logger: logger)
                var seqs: [Int64] = []
                var frames: [ByteBuffer] = []
                var earliest: Date?
                var read = 0
                for try await (seq, received, stored) in rows.decode((Int64, Date, ByteBuffer?).self) {
                    read += 1
                    after = (received, seq)
                    guard let stored, let repacked = try DictionaryRetirement.repack(
                        Array(buffer: stored), retired: dictionary, replacement: replacement, decompressor: decompressor, compressor: compressor)
                    else { continue }
                    seqs.append(seq)
                    frames.append(ByteBuffer(bytes: repacked))
                    earliest = min(earliest ?? received, received)
                }
                if !seqs.isEmpty {
                    try await client.withTransaction(logger: logger) { connection in
                        if let replacement, let earliest {
                            // Its own sweep, one day, must find these older rows too.
                            let first = DeviceDirectory.timestamp(earliest)
                            try await connection.query("""
                                UPDATE raw_dictionaries SET first_use = LEAST(coalesce(first_use, \(first)), \(first)) WHERE id = \(Int64(replacement.id))
                                """, logger: self.logger)
                        }
                        try await connection.query("""
                            UPDATE raw_envelopes SET envelope_zstd = u.frame FROM unnest(\(seqs)::int8[], \(frames)::bytea[]) AS u(seq, frame)
                            WHERE raw_envelopes.seq = u.seq AND raw_envelopes.tenant_id = \(owner.tenant) AND raw_envelopes.device = \(owner.device)
                            """, logger: self.logger)
                    }
                }
                if read < DictionaryRetirement.batch { break }
            }
        }
    }
}
