import Foundation
import SQLiteDB

/// What a sensor says of its machine in each batch (`sensor` of the batch document): kept per
/// device, with when it was first and last heard from, so that a device is a machine with a
/// name, a system and an account rather than a hash.
public struct SensorInfo: Sendable, Equatable {
    public var device: String
    public var version: String
    public var os: String?
    public var osVersion: String?
    public var host: String?
    public var user: String?

    public init(device: String, version: String, os: String? = nil, osVersion: String? = nil, host: String? = nil, user: String? = nil) {
        self.device = device
        self.version = version
        self.os = os
        self.osVersion = osVersion
        self.host = host
        self.user = user
    }

    /// The longest value kept of each field.
    static let maxField = 200
}

/// One device as the server knows it.
public struct DeviceRecord: Codable, Sendable, Equatable {
    public var device: String
    public var host: String?
    public var os: String?
    public var osVersion: String?
    public var user: String?
    public var sensorVersion: String?
    public var firstSeen: String
    public var lastSeen: String
    /// The name of the enrollment secret that enrolled it, when one did.
    public var enrolledBy: String?
    /// The email of the person it belongs to, when it is linked to one.
    public var person: String?
    /// How it was linked to that person: `admin`, `enrollment` or `account`.
    public var personLink: String?
}

/// The `devices` table: written with each stored batch, read by the API and the explorer.
package enum DeviceDirectory {
    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            """
            CREATE TABLE devices (
                tenant_id \(int) NOT NULL, device TEXT NOT NULL, host TEXT, os TEXT, os_version TEXT, os_user TEXT,
                sensor_version TEXT, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, PRIMARY KEY (tenant_id, device))
            """,
        ]
    }

    /// The statement that records a batch's `sensor` at `now` (RFC 3339), in `tenant`.
    static func upsert(_ info: SensorInfo, tenant: Int64, now: String) -> SQLStatement {
        func field(_ value: String?) -> SQLiteValue {
            value.map { .text(String($0.prefix(SensorInfo.maxField))) } ?? .null
        }
        return SQLStatement("""
            INSERT INTO devices(tenant_id, device, host, os, os_version, os_user, sensor_version, first_seen, last_seen)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
            ON CONFLICT (tenant_id, device) DO UPDATE SET host = coalesce(excluded.host, devices.host),
              os = coalesce(excluded.os, devices.os), os_version = coalesce(excluded.os_version, devices.os_version),
              os_user = coalesce(excluded.os_user, devices.os_user), sensor_version = excluded.sensor_version,
              last_seen = excluded.last_seen
            """, [.integer(tenant), field(info.device), field(info.host), field(info.os), field(info.osVersion), field(info.user),
                  field(info.version), .text(now)])
    }

    /// Every device of `tenant` (nil: every tenant's), last heard from first.
    package static func devices(in store: any NormalizedStore, tenant: Int64?) async throws -> [DeviceRecord] {
        try await store.query(SQLStatement("""
            SELECT d.device, d.host, d.os, d.os_version, d.os_user, d.sensor_version, d.first_seen, d.last_seen, t.name, p.email, o.link
            FROM devices d LEFT JOIN enrolled_devices e ON e.tenant_id = d.tenant_id AND e.device = d.device
            LEFT JOIN tokens t ON t.id = e.enrollment_id
            LEFT JOIN device_people o ON o.tenant_id = d.tenant_id AND o.device = d.device LEFT JOIN people p ON p.id = o.person_id
            WHERE ($1 < 0 OR d.tenant_id = $1) ORDER BY d.last_seen DESC, d.device
            """, [.integer(tenant ?? -1)])).map { row in
            DeviceRecord(device: row[0].text ?? "", host: row[1].text, os: row[2].text, osVersion: row[3].text, user: row[4].text,
                         sensorVersion: row[5].text, firstSeen: row[6].text ?? "", lastSeen: row[7].text ?? "", enrolledBy: row[8].text,
                         person: row[9].text, personLink: row[10].text)
        }
    }

    /// Now, as the table keeps it.
    package static func timestamp(_ date: Date = Date()) -> String {
        date.ISO8601Format()
    }
}
