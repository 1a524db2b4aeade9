#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The seed's UsageTracker reports over `model_usage`.
package struct UsageStore {
    let connection: PostgresConnection

    package init(connection: PostgresConnection) {
        self.connection = connection
    }

    package struct Line: Sendable, Codable, Equatable {
        package var key: String
        package var requests: Int64
        package var tokens: Int64
        package var cost: String
    }

    package struct Summary: Sendable, Codable, Equatable {
        package var since: String
        package var until: String
        package var totalRequests: Int64
        package var totalTokens: Int64
        package var totalCost: String
        package var byService: [Line]
        package var byModel: [Line]

        enum CodingKeys: String, CodingKey {
            case since, until
            case totalRequests = "total_requests"
            case totalTokens = "total_tokens"
            case totalCost = "total_cost"
            case byService = "by_service"
            case byModel = "by_model"
        }
    }

    /// Days from `since` through `until` (both included, UTC), optionally one service.
    /// Totals past a bigint (a damaged or hand-edited `model_usage`) are an
    /// error that says so, not PostgreSQL's `bigint out of range`.
    package func summary(since: String, until: String, service: String?) throws -> Summary {
        do {
            return try summaryUnchecked(since: since, until: until, service: service)
        } catch let error as PostgresError where error.sqlState == "22003" {
            throw StoreError.outOfRange(
                "the totals from \(since) to \(until) exceed 9223372036854775807 (model_usage holds rows too large to add up); narrow --since/--until or --service, and look for damaged rows"
            )
        }
    }

    private func summaryUnchecked(since: String, until: String, service: String?) throws -> Summary {
        let filter = """
            FROM public.model_usage
            WHERE period_start >= $1::date AND period_start < $2::date + 1 AND ($3::text IS NULL OR service_name = $3)
            """
        func lines(_ column: String) throws -> [Line] {
            try connection.query(
                """
                SELECT \(column) AS key, SUM(request_count)::bigint AS r, SUM(total_tokens)::bigint AS t, SUM(estimated_cost)::text AS c
                \(filter) GROUP BY \(column) ORDER BY SUM(estimated_cost) DESC, \(column)
                """, [since, until, service]
            ).rows.map { row throws(PostgresError) in
                Line(
                    key: try row.string("key"), requests: Int64(try row.int("r")), tokens: Int64(try row.int("t")),
                    cost: try row.string("c"))
            }
        }
        let total = try connection.query(
            """
            SELECT COALESCE(SUM(request_count), 0)::bigint AS r, COALESCE(SUM(total_tokens), 0)::bigint AS t,
                   COALESCE(SUM(estimated_cost), 0)::text AS c \(filter)
            """, [since, until, service]
        ).rows[0]
        return Summary(
            since: since, until: until, totalRequests: Int64(try total.int("r")), totalTokens: Int64(try total.int("t")),
            totalCost: try total.string("c"), byService: try lines("service_name"), byModel: try lines("model_string"))
    }

    /// Cost per day for the last `days` days, today included, oldest first; days
    /// without usage are listed with 0.
    package func daily(days: Int) throws -> [(day: String, cost: String)] {
        try connection.query(
            """
            SELECT d::date::text AS day, COALESCE(SUM(u.estimated_cost), 0)::text AS cost
            FROM generate_series((now() AT TIME ZONE 'UTC')::date - ($1::int - 1), (now() AT TIME ZONE 'UTC')::date, interval '1 day') AS d
            LEFT JOIN public.model_usage u ON u.period_start >= d::date AND u.period_start < d::date + 1
            GROUP BY d ORDER BY d
            """, [days]
        ).rows.map { row throws(PostgresError) in (try row.string("day"), try row.string("cost")) }
    }

    /// A service's tokens per day and model over the last `days` UTC days (today
    /// included), for recommendations. Bounded by the date, on the
    /// (service_name, period_start) index.
    package func serviceTokens(service: String, days: Int) throws -> [ServiceTokens] {
        try connection.query(
            """
            SELECT extract(epoch FROM period_start)::bigint AS day, model_string, request_count::bigint AS requests,
                   input_tokens, output_tokens, cache_read_tokens, cache_write_tokens
            FROM public.model_usage
            WHERE service_name = $1 AND period_start >= (now() AT TIME ZONE 'UTC')::date - ($2::int - 1)
            ORDER BY period_start, model_string
            """, [service, days]
        ).rows.map { row throws(PostgresError) in
            ServiceTokens(
                day: Int64(try row.int("day")), model: try row.string("model_string"), requests: Int64(try row.int("requests")),
                input: Int64(try row.int("input_tokens")), output: Int64(try row.int("output_tokens")),
                cacheRead: Int64(try row.int("cache_read_tokens")), cacheWrite: Int64(try row.int("cache_write_tokens")))
        }
    }

    /// The seed's monthly estimate: the average cost of the days with usage among
    /// the last 7, times 30.
    package func monthlyEstimate() throws -> (estimate: String, daysWithUsage: Int) {
        let row = try connection.query(
            """
            WITH days AS (
                SELECT period_start::date AS d, SUM(estimated_cost) AS c FROM public.model_usage
                WHERE period_start >= (now() AT TIME ZONE 'UTC')::date - 6 GROUP BY 1 HAVING SUM(estimated_cost) > 0)
            SELECT COALESCE(AVG(c) * 30, 0)::numeric(20, 6)::text AS estimate, COUNT(*)::int AS n FROM days
            """
        ).rows[0]
        return (try row.string("estimate"), try row.int("n"))
    }

    /// `YYYY-MM-DD` from year 0001 to 9999, checked (PostgreSQL has no year 0).
    package static func validateDay(_ text: String, flag: String) throws -> String {
        guard RFC3339.unixSeconds(text + "T00:00:00Z") != nil, text.count == 10 else {
            throw InputError(flag, "'\(text)' must be a date YYYY-MM-DD")
        }
        guard !text.hasPrefix("0000") else { throw InputError(flag, "'\(text)': years run from 0001 to 9999") }
        return text
    }

    /// `--since` and `--until` together: both dates, the first not after the last.
    package static func validateRange(since: String, until: String) throws -> (since: String, until: String) {
        let first = try validateDay(since, flag: "--since"), last = try validateDay(until, flag: "--until")
        guard first <= last else { throw InputError("--since", "\(first) is after --until \(last)") }
        return (first, last)
    }

    package static func today(offsetDays: Int = 0) -> String {
        UTCTimestamp.day(UTCTimestamp.now() + Double(offsetDays) * 86_400)
    }
}
