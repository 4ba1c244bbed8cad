/// How many envelopes each device sent, by day received, with when it last sent and when the
/// newest of them was collected: a row per device and day, added to in the transaction that
/// stores a batch. The devices page reads it instead of counting raw custody, which at fleet
/// size (10M envelopes) was a scan of every envelope and a lookup of each device's newest.
/// Counts are of envelopes received: raw custody dropped by retention stays counted, a
/// device erased with its person loses its rows.
package enum DeviceDays {
    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let day = dialect == .sqlite ? "substr(received_at, 1, 10)" : "to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        let last = dialect == .sqlite ? "max(received_at)"
            : "to_char(max(received_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        return [
            """
            CREATE TABLE device_days (
                tenant_id \(int) NOT NULL, device TEXT NOT NULL, day TEXT NOT NULL, envelopes \(int) NOT NULL,
                last_received TEXT NOT NULL, last_collected TEXT, PRIMARY KEY (tenant_id, device, day))
            """,
            """
            INSERT INTO device_days(tenant_id, device, day, envelopes, last_received)
            SELECT tenant_id, device, \(day), count(*), \(last) FROM raw_envelopes GROUP BY 1, 2, 3
            """,
        ]
    }

    /// What one device's newly stored envelopes add to its day.
    package struct Arrival: Sendable, Equatable {
        package var device: String
        package var envelopes: Int64
        /// The latest `collected_at` among them.
        package var lastCollected: String
    }

    /// The stored envelopes of a batch, summed by device.
    package static func arrivals(_ stored: some Sequence<ValidEnvelope>) -> [Arrival] {
        var byDevice: [String: Arrival] = [:]
        for envelope in stored {
            var arrival = byDevice[envelope.device] ?? Arrival(device: envelope.device, envelopes: 0, lastCollected: "")
            arrival.envelopes += 1
            arrival.lastCollected = max(arrival.lastCollected, envelope.collectedAt)
            byDevice[envelope.device] = arrival
        }
        return byDevice.values.sorted { $0.device < $1.device }
    }

    /// The statement that adds `arrival` to its device's day, received at `now` (RFC 3339 UTC).
    package static func add(_ arrival: Arrival, tenant: Int64, now: String) -> SQLStatement {
        SQLStatement("""
            INSERT INTO device_days(tenant_id, device, day, envelopes, last_received, last_collected) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (tenant_id, device, day) DO UPDATE SET envelopes = device_days.envelopes + excluded.envelopes,
              last_received = excluded.last_received,
              last_collected = CASE WHEN device_days.last_collected IS NULL OR excluded.last_collected > device_days.last_collected
                                    THEN excluded.last_collected ELSE device_days.last_collected END
            """, [.integer(tenant), .text(arrival.device), .text(String(now.prefix(10))), .integer(arrival.envelopes), .text(now),
                  arrival.lastCollected.isEmpty ? .null : .text(arrival.lastCollected)])
    }
}
