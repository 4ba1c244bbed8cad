import SQLiteDB

/// Who holds each lane now, and how far it is normalised: what `sensor-ingest status` shows.
package struct LaneStatus: Sendable, Codable, Equatable {
    package var lane: Int
    /// The last arrival number normalised.
    package var watermark: Int64
    /// Envelopes of the lane past the watermark.
    package var pending: Int64
    /// The normaliser holding the lane, when its lease has not expired.
    package var holder: String?
    /// Milliseconds left of the holder's lease.
    package var expiresIn: Int64?

    package static func all(in store: any NormalizedStore) async throws -> [LaneStatus] {
        let now = NormalizerLease.milliseconds()
        let pending = "(SELECT count(*) FROM raw_envelopes r WHERE \(NormalizationLanes.pending("r", in: "p", dialect: store.dialect)))"
        return try await store.query(SQLStatement("""
            SELECT p.id, p.last_seq, \(pending), l.holder, l.expires_at FROM norm_progress p JOIN norm_lease l ON l.id = p.id ORDER BY p.id
            """)).map { row in
            let expires = row[4].int ?? 0
            let held = expires > now && !(row[3].text ?? "").isEmpty
            return LaneStatus(lane: Int(row[0].int ?? 0), watermark: row[1].int ?? 0, pending: row[2].int ?? 0,
                              holder: held ? row[3].text : nil, expiresIn: held ? expires - now : nil)
        }
    }
}
