import IngestStore
import Logging
import SQLiteDB

/// Keeps the estimated cost of every usage row the tool did not price itself in step with the
/// price table. New rows are priced as they are normalised; when the table changes (a new
/// release, an operator's `--prices` file), every stored estimate is recomputed once, at start,
/// and the table's fingerprint is recorded so an unchanged table costs one query.
package struct CostEstimates: Sendable {
    package let store: any NormalizedStore
    package let prices: PriceTable

    /// How many rows one transaction re-prices.
    package static let pageSize = 2000

    /// Re-prices stored estimates unless they were made with this table; returns how many rows
    /// were looked at.
    @discardableResult
    package func refreshIfStale(logger: Logger) async throws -> Int {
        let fingerprint = prices.fingerprint
        let stored = try await store.query(SQLStatement("SELECT fingerprint FROM norm_prices WHERE id = 1")).first?[0].text
        guard stored != fingerprint else {
            logger.info("estimated costs are up to date with the price table", metadata: ["prices": "\(prices.origin)"])
            return 0
        }
        var after = ""
        var rows = 0
        while true {
            let page = try await store.query(SQLStatement("""
                SELECT u.usage_key, coalesce(u.model, s.model), u.created_at, u.input_tokens, u.output_tokens, u.cache_read_tokens,
                       u.cache_write_tokens
                FROM norm_usage u LEFT JOIN norm_sessions s ON s.session_key = u.session_key
                WHERE u.usage_key > $1 AND u.cost IS NULL ORDER BY u.usage_key LIMIT \(Self.pageSize)
                """, [.text(after)]))
            guard let last = page.last?[0].text else { break }
            var values: [SQLiteValue] = []
            var tuples: [String] = []
            for row in page {
                let cost = prices.cost(model: row[1].text, at: row[2].text, tokens: .init(
                    input: row[3].int ?? 0, output: row[4].int ?? 0, cacheRead: row[5].int ?? 0, cacheWrite: row[6].int ?? 0))
                values += [.text(row[0].text ?? ""), cost.map { .real($0) } ?? .null]
                tuples.append("(CAST($\(values.count - 1) AS TEXT), CAST($\(values.count) AS DOUBLE PRECISION))")
            }
            // A VALUES list's columns are column1, column2… in both stores (SQLite takes no column aliases).
            try await store.execute([SQLStatement("""
                UPDATE norm_usage SET estimated_cost = v.column2 FROM (VALUES \(tuples.joined(separator: ", "))) AS v
                WHERE norm_usage.usage_key = v.column1
                """, values)])
            rows += page.count
            after = last
        }
        try await store.execute([SQLStatement("""
            INSERT INTO norm_prices(id, fingerprint) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint
            """, [.text(fingerprint)])])
        logger.info("estimated costs brought up to date with the price table", metadata: [
            "prices": "\(prices.origin)", "usage_rows": "\(rows)"])
        return rows
    }
}
