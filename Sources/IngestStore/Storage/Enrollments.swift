import Foundation
import SQLiteDB

/// Enrollment: a secret an admin deploys to many laptops (a token of scope `enroll`, with an
/// expiry and a number of devices), exchanged once per device for a device credential (scope
/// `device`, bound to the device), which gets short-lived ingest tokens of that device.
/// `enrolled_devices` says which secret enrolled which device and its current credential; a
/// device enrolled again gets a new credential and stays one device.
package enum Enrollments {
    /// How long an access token lives.
    package static let accessLifetime: TimeInterval = 15 * 60

    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            "CREATE TABLE enrollments (token_id \(int) PRIMARY KEY, max_devices \(int))",
            """
            CREATE TABLE enrolled_devices (
                tenant_id \(int) NOT NULL, device TEXT NOT NULL, enrollment_id \(int) NOT NULL, credential_id \(int) NOT NULL,
                enrolled_at TEXT NOT NULL, revoked_at TEXT, PRIMARY KEY (tenant_id, device))
            """,
        ]
    }

    /// The token names of a device's credential and of its access tokens.
    package static func credentialName(_ device: String) -> String { "device:\(device)" }
    package static func accessName(_ device: String) -> String { "access:\(device)" }

    package struct Enrolled: Sendable, Equatable {
        package var enrollmentID: Int64
        package var credentialID: Int64
        package var revoked: Bool
    }

    package static func maxDevices(enrollment: Int64, in store: any IngestStore) async throws -> Int? {
        try await store.query(SQLStatement("SELECT max_devices FROM enrollments WHERE token_id = $1", [.integer(enrollment)]))
            .first?[0].int.map(Int.init)
    }

    /// The person a personal enrollment secret was made for.
    package static func person(enrollment: Int64, in store: any IngestStore) async throws -> String? {
        try await store.query(SQLStatement("SELECT person_email FROM enrollments WHERE token_id = $1", [.integer(enrollment)]))
            .first?[0].text
    }

    package static func enrolledCount(enrollment: Int64, in store: any IngestStore) async throws -> Int {
        Int(try await store.query(SQLStatement("SELECT count(*) FROM enrolled_devices WHERE enrollment_id = $1", [.integer(enrollment)]))
            .first?[0].int ?? 0)
    }

    package static func enrolled(device: String, tenant: Int64, in store: any IngestStore) async throws -> Enrolled? {
        try await store.query(SQLStatement("""
            SELECT enrollment_id, credential_id, revoked_at FROM enrolled_devices WHERE tenant_id = $1 AND device = $2
            """, [.integer(tenant), .text(device)])).first.map {
            Enrolled(enrollmentID: $0[0].int ?? 0, credentialID: $0[1].int ?? 0, revoked: $0[2].text != nil)
        }
    }

    /// Whether `device` is not for a laptop token to claim by sending as it: enrolled (and not
    /// revoked: its credential sends for it), or a person's by an admin's or an enrollment's word.
    /// A token an admin makes for it (`token create --device`) is bound without asking this.
    package static func isHeld(device: String, tenant: Int64, in store: any IngestStore) async throws -> Bool {
        if let enrolled = try await enrolled(device: device, tenant: tenant, in: store), !enrolled.revoked { return true }
        return try await !store.query(SQLStatement("""
            SELECT 1 FROM device_people WHERE tenant_id = $1 AND device = $2 AND link IN ('admin', 'enrollment')
            """, [.integer(tenant), .text(device)])).isEmpty
    }

    /// Whether the device's current credential is still live (not revoked by a revocation or a
    /// let-back): then only its holder may enroll the device again.
    package static func credentialIsLive(_ enrolled: Enrolled, in store: any IngestStore) async throws -> Bool {
        try await store.query(SQLStatement("SELECT 1 FROM tokens WHERE id = $1 AND revoked_at IS NULL", [.integer(enrolled.credentialID)]))
            .isEmpty == false
    }

    package static func record(device: String, tenant: Int64, enrollment: Int64, credential: Int64) -> SQLStatement {
        SQLStatement("""
            INSERT INTO enrolled_devices(tenant_id, device, enrollment_id, credential_id, enrolled_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (tenant_id, device) DO UPDATE SET credential_id = excluded.credential_id, enrolled_at = excluded.enrolled_at
            """, [.integer(tenant), .text(device), .integer(enrollment), .integer(credential), .text(Date().ISO8601Format())])
    }

    /// Revokes a device: its credential and access tokens stop working at their next request,
    /// and it cannot enroll again until it is let back (`let back`: nil `revokedAt`).
    package static func revoke(device: String, tenant: Int64, in store: any IngestStore, letBack: Bool = false) async throws -> Bool {
        guard try await enrolled(device: device, tenant: tenant, in: store) != nil else { return false }
        try await store.execute([SQLStatement("UPDATE enrolled_devices SET revoked_at = $3 WHERE tenant_id = $1 AND device = $2",
                                              [.integer(tenant), .text(device), letBack ? .null : .text(Date().ISO8601Format())])])
        if !letBack { try await revokeTokens(of: device, tenant: tenant, in: store) }
        return true
    }

    /// Revokes a device's credential and every access token it got.
    package static func revokeTokens(of device: String, tenant: Int64, in store: any IngestStore) async throws {
        _ = try await store.revokeTokens(.name(credentialName(device), tenantID: tenant))
        _ = try await store.revokeTokens(.name(accessName(device), tenantID: tenant))
    }

    /// Access tokens of `device` that expired: deleted as new ones are made, so a device's
    /// rows stay a handful whatever how long it has run.
    package static func dropExpiredAccess(device: String, tenant: Int64, dialect: SQLDialect) -> SQLStatement {
        let now = dialect == .sqlite ? "$3" : "CAST($3 AS TIMESTAMPTZ)"
        return SQLStatement("DELETE FROM tokens WHERE name = $1 AND tenant_id = $2 AND expires_at IS NOT NULL AND expires_at < \(now)",
                            [.text(accessName(device)), .integer(tenant), .text(Date().addingTimeInterval(-60).ISO8601Format())])
    }
}
