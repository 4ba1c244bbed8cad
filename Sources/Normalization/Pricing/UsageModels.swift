import IngestStore
import SQLiteDB

/// Prices the usage rows that name no model (Cursor's bubbles) with their session's model, as
/// ``CostEstimates`` prices them, whichever step of normalising brought the model: stored
/// before the usage (read back here), or arriving after it (the stored rows priced again).
/// Without this, a usage row's estimate depended on whether its session's model came in the same
/// step, and a reparse, which steps through the records differently from a running server, gave
/// other estimates for the same rows.
package struct UsageModels: Sendable {
    package let store: any NormalizedStore
    package let prices: PriceTable

    /// The stored models of sessions whose usage rows in `batch` need one the batch does not
    /// give, and the statements that price stored rows again with a model the batch gives.
    package func resolve(_ batch: NormalizedBatch) async throws -> (stored: [String: String], repriced: [SQLStatement]) {
        let batchModels = batch.sessionModels
        let wanting = Set(batch.usage.filter { $0.model == nil && $0.cost == nil && batchModels[$0.sessionKey] == nil }.map(\.sessionKey))
        var stored: [String: String] = [:]
        for row in try await store.query("SELECT session_key, model FROM norm_sessions WHERE model IS NOT NULL AND session_key IN", in: wanting) {
            if let key = row[0].text, let model = row[1].text { stored[key] = model }
        }
        var repriced: [SQLStatement] = []
        let unmodelled = """
            SELECT usage_key, session_key, created_at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, estimated_cost
            FROM norm_usage WHERE model IS NULL AND cost IS NULL AND session_key IN
            """
        for row in try await store.query(unmodelled, in: batchModels.keys) {
            guard let key = row[0].text, let session = row[1].text else { continue }
            let cost = prices.cost(model: batchModels[session], at: row[2].text, tokens: .init(
                input: row[3].int ?? 0, output: row[4].int ?? 0, cacheRead: row[5].int ?? 0, cacheWrite: row[6].int ?? 0))
            guard cost != row[7].double else { continue }  // priced with this model already
            repriced.append(SQLStatement("UPDATE norm_usage SET estimated_cost = CAST($1 AS DOUBLE PRECISION) WHERE usage_key = $2",
                                         [cost.map { .real($0) } ?? .null, .text(key)]))
        }
        return (stored, repriced)
    }
}
