import Logging

/// The per-day rollups of `model_usage` (migration 005): one row per UTC day and
/// service, and per day and model, kept exact by a trigger that appends every
/// change to `providerd_usage_delta`, and by `compact`, which moves those deltas
/// in. A report reads a rollup plus the deltas in one statement (one snapshot),
/// which always equals `model_usage` for the same days.
///
/// Reports cost a row per day and key instead of a row per day, service and
/// model: a year of 100 services × 20 models is 36,500 or 7,300 rows to add up,
/// not 730,000.
package enum UsageRollup {
    /// Which rollup a report reads.
    package enum Dimension: String, Sendable {
        case service = "service_name"
        case model = "model_string"

        var table: String {
            switch self {
            case .service: "public.providerd_usage_by_service"
            case .model: "public.providerd_usage_by_model"
            }
        }
    }

    /// Rows `(day, key, row_count, request_count, total_tokens, estimated_cost)`
    /// for the days from `$since` through `$until` (placeholders, `date`s), each
    /// day and key possibly several times (the rollup's row and its deltas): a
    /// report sums them, and keeps a key only while `SUM(row_count) > 0`.
    static func rows(_ dimension: Dimension, since: String, until: String) -> String {
        """
        SELECT day, \(dimension.rawValue) AS key, row_count, request_count, total_tokens, estimated_cost
        FROM \(dimension.table) WHERE day BETWEEN \(since) AND \(until)
        UNION ALL
        SELECT day, \(dimension.rawValue), row_count, request_count, total_tokens, estimated_cost
        FROM public.providerd_usage_delta WHERE day BETWEEN \(since) AND \(until)
        """
    }

    /// One row `(day, key, cost)` per day and key with rows, from `$since` through
    /// `$until`, in no particular order: the rollup's row plus that day and key's
    /// deltas, joined rather than summed again (a quarter of 100 services is 9,000
    /// rollup rows against a handful of deltas). The cost keeps the sum's scale:
    /// `x + 0` has the scale of `x`, as `SUM` of `x` alone has.
    static func perDay(_ dimension: Dimension, since: String, until: String) -> String {
        let column = dimension.rawValue
        return """
            WITH d AS (
                SELECT day, \(column) AS key, SUM(row_count) AS n, SUM(estimated_cost) AS c FROM public.providerd_usage_delta
                WHERE day BETWEEN \(since) AND \(until) GROUP BY 1, 2)
            SELECT COALESCE(r.day, d.day) AS day, COALESCE(r.\(column), d.key) AS key,
                   COALESCE(r.estimated_cost, 0) + COALESCE(d.c, 0) AS cost
            FROM (SELECT day, \(column), row_count, estimated_cost FROM \(dimension.table) WHERE day BETWEEN \(since) AND \(until)) r
            FULL JOIN d ON r.day = d.day AND r.\(column) = d.key
            WHERE COALESCE(r.row_count, 0) + COALESCE(d.n, 0) > 0
            """
    }

    /// Whether this database has the rollups (a database not yet at migration
    /// 005 is read from `model_usage` itself, as before).
    package static func available(on connection: PostgresConnection) throws(PostgresError) -> Bool {
        try connection.query("SELECT to_regclass('public.providerd_usage_delta') IS NOT NULL AS present").rows.first?
            .optionalBool("present") ?? false
    }

    /// Whether a compactor's database has the rollups, looked up in the catalog
    /// once and, while they are missing, again every 10 minutes (`migrate` may
    /// run meanwhile): a call to a function that does not exist would put an
    /// ERROR in the server's log at every compaction.
    package struct Availability: Sendable {
        private var known: (available: Bool, at: Double)?
        static let recheck = 600.0

        package init() {}

        /// Whether to compact now (`now` on the monotonic clock). Says once when the
        /// rollups are missing.
        package mutating func check(on connection: PostgresConnection, now: Double, logger: Logger) throws(PostgresError) -> Bool {
            if let known, known.available || now - known.at < Self.recheck { return known.available }
            let available = try UsageRollup.available(on: connection)
            if !available, known == nil {
                logger.notice("this database has no usage rollups (migration 005): reports read model_usage; run `providerd migrate`")
            }
            known = (available, now)
            return available
        }
    }

    /// How many deltas one compaction moves at most: a bulk load's millions are
    /// moved over several calls, each well within a statement timeout.
    package static let batch = 100_000

    /// Moves up to `limit` deltas into the rollups, in a transaction of its own.
    /// Returns how many moved (`limit`: there may be more), or nil when another
    /// compaction was at work (which moves them). Keeps reports fast; they are
    /// exact without it.
    package static func compact(on connection: PostgresConnection, limit: Int = batch) throws(PostgresError) -> Int? {
        let moved = try connection.query("SELECT public.providerd_usage_compact($1::int) AS moved", [limit]).rows.first?.int("moved") ?? 0
        return moved < 0 ? nil : moved
    }
}
