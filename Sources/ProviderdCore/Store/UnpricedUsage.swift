/// A model whose requests had no price in a range: the price table does not know
/// it, so its cost is the fallback rule's (`prices.unknown`), not a list price.
/// The overview flags it; `budgets.unpriced: block` refuses it.
package struct UnpricedUsage: Sendable, Equatable, Codable {
    package var model: String
    /// Unpriced requests in the range.
    package var requests: Int64
    /// The services that sent them, sorted.
    package var services: [String]

    package init(model: String, requests: Int64, services: [String]) {
        self.model = model
        self.requests = requests
        self.services = services
    }
}

extension UsageStore {
    /// The models with unpriced requests from `since` to `until` (UTC days), the
    /// most requests first, at most `limit`. Migration 006's partial index holds
    /// only such rows, so this reads none of the range's priced ones.
    package func unpriced(since: String, until: String, limit: Int = 50) throws -> [UnpricedUsage] {
        let (since, until) = try UsageStore.validateRange(since: since, until: until)
        let result = try connection.query(
            """
            SELECT model_string AS model, SUM(unpriced_requests)::bigint AS requests,
                   string_agg(DISTINCT service_name, E'\\n' ORDER BY service_name) AS services
            FROM public.model_usage
            WHERE unpriced_requests > 0 AND period_start >= $1::date AND period_start < $2::date + 1
            GROUP BY model_string ORDER BY requests DESC, model LIMIT $3::int
            """, [since, until, limit])
        return try result.rows.map { row in
            UnpricedUsage(
                model: try row.string("model"), requests: Int64(try row.int("requests")),
                services: try row.string("services").split(separator: "\n").map(String.init))
        }
    }
}
