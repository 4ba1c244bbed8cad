import Foundation
import IngestStore

/// Secrets redacted on the laptops, summed by rule (see ``RawRedactions``): never a value,
/// only which kind of secret and how many. What a security team reads to learn that keys are
/// pasted into AI tools.
extension NormalizedReader {
    /// Secrets of one rule redacted on one device on one day.
    public struct RedactionSum: Codable, Sendable, Equatable {
        public var day: String
        public var device: String
        public var rule: String
        public var count: Int
    }

    /// Sums by day, device and rule, newest day first; `device`, `since` and `until`
    /// (YYYY-MM-DD, inclusive) narrow them. In `tenant` when given.
    public func redactions(tenant: Int64?, device: String? = nil, since: String? = nil, until: String? = nil) async throws -> [RedactionSum] {
        try await store.query(SQLStatement("""
            SELECT day, device, rule, CAST(sum(count) AS BIGINT) FROM raw_redactions
            WHERE ($1 < 0 OR tenant_id = $1) AND ($2 = '' OR device = $2) AND ($3 = '' OR day >= $3) AND ($4 = '' OR day <= $4)
            GROUP BY day, device, rule ORDER BY day DESC, device, rule
            """, [.integer(tenant ?? -1), .text(device ?? ""), .text(since.map { String($0.prefix(10)) } ?? ""),
                  .text(until.map { String($0.prefix(10)) } ?? "")]))
            .map { RedactionSum(day: $0[0].text ?? "", device: $0[1].text ?? "", rule: $0[2].text ?? "", count: Int($0[3].int ?? 0)) }
    }

    /// By rule, most first, for every device since `since` (a day), or for one.
    public func redactedRules(tenant: Int64?, device: String? = nil, since: String? = nil) async throws -> [String: [(rule: String, count: Int)]] {
        var byDevice: [String: [(rule: String, count: Int)]] = [:]
        for sum in try await redactions(tenant: tenant, device: device, since: since) {
            var rules = byDevice[sum.device, default: []]
            if let index = rules.firstIndex(where: { $0.rule == sum.rule }) {
                rules[index].count += sum.count
            } else {
                rules.append((sum.rule, sum.count))
            }
            byDevice[sum.device] = rules
        }
        return byDevice.mapValues { $0.sorted { ($1.count, $0.rule) < ($0.count, $1.rule) } }
    }

    /// By rule, most first, in the records of a session's files (on its device; a file that
    /// holds several sessions, a tool's database, counts for each of them).
    public func redactedRules(session id: String, tenant: Int64?) async throws -> [(rule: String, count: Int)] {
        try await store.query(SQLStatement("""
            SELECT r.rule, CAST(sum(r.count) AS BIGINT) FROM raw_redactions r
            JOIN norm_sessions s ON s.session_key = $1 AND r.device = s.device AND r.tenant_id = s.tenant_id
            WHERE ($2 < 0 OR s.tenant_id = $2) AND r.path IN (SELECT path FROM norm_session_files WHERE session_key = $1)
            GROUP BY r.rule ORDER BY 2 DESC, 1
            """, [.text(id), .integer(tenant ?? -1)])).map { (rule: $0[0].text ?? "", count: Int($0[1].int ?? 0)) }
    }

    /// "2 secrets redacted: aws-access-token, generic-secret", or nil when there were none.
    public static func redactionLine(_ rules: [(rule: String, count: Int)]) -> String? {
        let total = rules.reduce(0) { $0 + $1.count }
        guard total > 0 else { return nil }
        return "\(total) secret\(total == 1 ? "" : "s") redacted: " + rules.map(\.rule).joined(separator: ", ")
    }
}
