import IngestStore

/// What normalising a run of raw envelopes gives: the statements that store it, the drift it
/// showed, the tenants whose accounts it wrote (their devices are linked again after) and the
/// vendor request ids its usage rows carry (settled again after, see ``OneUsagePerRequest``).
package struct NormalizedStep: Sendable {
    package var statements: [SQLStatement]
    package var drift: [DriftKey: Int]
    package var accountTenants: Set<Int64>
    package var requestIDs: Set<String>
}
