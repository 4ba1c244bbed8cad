import SQLiteDB

extension SQLiteStore {
    /// Makes again every frame made with a retired dictionary, then deletes the dictionary
    /// (``DictionaryRetirement``). A raw envelope's frame is made with its owner's newer
    /// dictionary (or none); normalised text with the text's current one (or none). Returns the
    /// dictionaries deleted.
    public func repackRetiredDictionaries() throws -> Int {
        try commitHeldSteps()
        // Every retention pass asks: most find nothing to sweep and load nothing.
        let retiredRows = try query(SQLStatement(DictionaryRetirement.retired))
        guard !retiredRows.isEmpty else { return 0 }
        try loadDictionaries()
        var swept = 0
        for row in retiredRows {
            let retired = DictionaryRetirement.Retired(row)
            if let dictionary = custody.dictionary(id: retired.id) {
                if retired.source == PackedText.dictionarySource {
                    for sql in PackedText.repackStatements {
                        repeat { try execute([SQLStatement(sql, [.integer(Int64(retired.id))])]) } while database.changes > 0
                    }
                } else {
                    try repackEnvelopes(made: dictionary, as: retired)
                }
            }
            try execute([SQLStatement("DELETE FROM raw_dictionaries WHERE id = $1 AND retired = 1", [.integer(Int64(retired.id))])])
            swept += 1
        }
        if swept > 0 { try loadDictionaries() }
        return swept
    }

    /// The frames of the retired dictionary's streams (its device's of its source, or for one
    /// trained before owners every stream of its source) that arrived since its first use, a
    /// batch at a time along the stream's arrival index.
    private func repackEnvelopes(made dictionary: Zstd.Dictionary, as retired: DictionaryRetirement.Retired) throws {
        let streams = if let tenant = retired.tenant, let device = retired.device {
            try query(SQLStatement("SELECT id, tenant_id, device FROM raw_streams WHERE tenant_id = $1 AND device = $2 AND source = $3",
                                   [.integer(tenant), .text(device), .text(retired.source)]))
        } else {
            try query(SQLStatement("SELECT id, tenant_id, device FROM raw_streams WHERE source = $1", [.text(retired.source)]))
        }
        let decompressor = Zstd.Decompressor()
        let compressor = Zstd.Compressor(level: RawCustody.level)
        for stream in streams {
            let owner = DictionaryOwner(tenant: stream[1].int ?? 0, device: stream[2].text ?? "", source: retired.source)
            if retired.tenant == nil, custody.currentDictionary(of: owner) == nil, try query(SQLStatement("""
                SELECT count(*) FROM raw_envelope_rows WHERE stream IN (SELECT id FROM raw_streams WHERE tenant_id = $1 AND device = $2 AND source = $3)
                """, [.integer(owner.tenant), .text(owner.device), .text(owner.source)])).first?.first?.int ?? 0 >= RawCustody.trainAfter {
                // A dictionary of every device's: each device with enough envelopes gets its own
                // first, so the store stays as small as it was.
                try trainDictionary(for: owner)
            }
            let replacement = custody.currentDictionary(of: owner)
            var after: (receivedAt: String, rowid: Int64) = (retired.firstUse ?? "", 0)
            while true {
                let rows = try query(SQLStatement("""
                    SELECT rowid, received_at, envelope FROM raw_envelope_rows
                    WHERE stream = $1 AND received_at >= $2 AND (received_at > $2 OR rowid > $3) ORDER BY received_at, rowid LIMIT $4
                    """, [stream[0], .text(after.receivedAt), .integer(after.rowid), .integer(Int64(DictionaryRetirement.batch))]))
                guard let last = rows.last else { break }
                after = (last[1].text ?? "", last[0].int ?? 0)
                var updates: [SQLStatement] = []
                var earliest: String?
                for row in rows {
                    guard case .blob(let frame) = row[2],
                          let repacked = try DictionaryRetirement.repack(frame, retired: dictionary, replacement: replacement,
                                                                         decompressor: decompressor, compressor: compressor)
                    else { continue }
                    updates.append(SQLStatement("UPDATE raw_envelope_rows SET envelope = $1 WHERE rowid = $2", [.blob(repacked), row[0]]))
                    earliest = min(earliest ?? (row[1].text ?? ""), row[1].text ?? "")
                }
                if let replacement, let earliest {
                    // Its own sweep, one day, must find these older rows too.
                    updates.append(SQLStatement("UPDATE raw_dictionaries SET first_use = min(coalesce(first_use, $1), $1) WHERE id = $2",
                                                [.text(earliest), .integer(Int64(replacement.id))]))
                }
                if !updates.isEmpty { try execute(updates) }
            }
        }
    }
}
