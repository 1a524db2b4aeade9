#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The seed's UsageTracker reports over `model_usage`: read from the per-day
/// rollups (`UsageRollup`) where the database has them, from `model_usage`
/// itself where it does not, with the same results.
package struct UsageStore {
    let connection: PostgresConnection
    /// Whether to read the rollups; nil: look once per report.
    let rollups: Bool?

    /// `rollups`: whether the database has them, when the caller knows; nil looks
    /// them up at each report (one catalog query), so that a database migrated
    /// while a dashboard runs is read from its rollups from then on.
    package init(connection: PostgresConnection, rollups: Bool? = nil) {
        self.connection = connection
        self.rollups = rollups
    }

    private func readsRollups() throws(PostgresError) -> Bool {
        if let rollups { return rollups }
        return try UsageRollup.available(on: connection)
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

    /// One statement: the by-service lines, the by-model lines and the total.
    /// All services: from the rollups. One service: its own rows of
    /// `model_usage`, on the (service_name, period_start) index, as grouping sets
    /// of one aggregate.
    private func summaryUnchecked(since: String, until: String, service: String?) throws -> Summary {
        let result =
            try service == nil && readsRollups()
            ? connection.query(
                """
                WITH s AS (
                    SELECT key, SUM(request_count) AS r, SUM(total_tokens) AS t, SUM(estimated_cost) AS c
                    FROM (\(UsageRollup.rows(.service, since: "$1::date", until: "$2::date"))) u
                    GROUP BY key HAVING SUM(row_count) > 0
                ), m AS (
                    SELECT key, SUM(request_count) AS r, SUM(total_tokens) AS t, SUM(estimated_cost) AS c
                    FROM (\(UsageRollup.rows(.model, since: "$1::date", until: "$2::date"))) u
                    GROUP BY key HAVING SUM(row_count) > 0
                ), lines AS (
                    SELECT 1 AS g, key, r, t, c FROM s
                    UNION ALL SELECT 2, key, r, t, c FROM m
                    UNION ALL SELECT 3, NULL, COALESCE(SUM(r), 0), COALESCE(SUM(t), 0), COALESCE(SUM(c), 0) FROM s
                )
                SELECT g, key, r::bigint AS r, t::bigint AS t, c::text AS c FROM lines ORDER BY g, lines.c DESC, key
                """, [since, until])
            : connection.query(
                """
                SELECT GROUPING(service_name, model_string)::int AS g, COALESCE(service_name, model_string) AS key,
                       COALESCE(SUM(request_count), 0)::bigint AS r, COALESCE(SUM(total_tokens), 0)::bigint AS t,
                       COALESCE(SUM(estimated_cost), 0)::text AS c
                FROM public.model_usage
                WHERE period_start >= $1::date AND period_start < $2::date + 1 AND ($3::text IS NULL OR service_name = $3)
                GROUP BY GROUPING SETS ((service_name), (model_string), ())
                ORDER BY g, SUM(estimated_cost) DESC, key
                """, [since, until, service])
        var summary = Summary(since: since, until: until, totalRequests: 0, totalTokens: 0, totalCost: "0", byService: [], byModel: [])
        for row in result.rows {
            let requests = Int64(try row.int("r")), tokens = Int64(try row.int("t")), cost = try row.string("c")
            switch try row.int("g") {
            // GROUPING's bits (and the rollup query's g): 1 = model_string aggregated away
            // (a service line), 2 = service_name (a model line), 3 = both.
            case 1: summary.byService.append(Line(key: try row.string("key"), requests: requests, tokens: tokens, cost: cost))
            case 2: summary.byModel.append(Line(key: try row.string("key"), requests: requests, tokens: tokens, cost: cost))
            default: (summary.totalRequests, summary.totalTokens, summary.totalCost) = (requests, tokens, cost)
            }
        }
        return summary
    }

    /// Cost per day for the last `days` days, today included, oldest first; days
    /// without usage are listed with 0.
    package func daily(days: Int) throws -> [(day: String, cost: String)] {
        try daily(since: Self.today(offsetDays: -(days - 1)), until: Self.today())
    }

    /// Cost per day from `since` through `until` (UTC, both included), oldest
    /// first, days without usage listed with 0: a row per day and model from the
    /// rollups (or one range scan of `model_usage`'s `period_start` index without them).
    package func daily(since: String, until: String) throws -> [(day: String, cost: String)] {
        let perDay =
            try readsRollups()
            ? """
            SELECT day, SUM(estimated_cost) AS cost FROM (\(UsageRollup.rows(.model, since: "$1::date", until: "$2::date"))) u
            GROUP BY day HAVING SUM(row_count) > 0
            """
            : """
            SELECT period_start::date AS day, SUM(estimated_cost) AS cost FROM public.model_usage
            WHERE period_start >= $1::date AND period_start < $2::date + 1 GROUP BY 1
            """
        return try connection.query(
            """
            SELECT d::date::text AS day, COALESCE(t.cost, 0)::text AS cost
            FROM generate_series($1::date, $2::date, interval '1 day') AS d
            LEFT JOIN (\(perDay)) t ON t.day = d::date
            ORDER BY d
            """, [since, until]
        ).rows.map { row throws(PostgresError) in (try row.string("day"), try row.string("cost")) }
    }

    /// What a day's cost is split by.
    package enum DailyGrouping: String, Sendable {
        case service = "service_name"
        case model = "model_string"

        var rollup: UsageRollup.Dimension {
            switch self {
            case .service: .service
            case .model: .model
            }
        }
    }

    /// Each day's cost split by service or by model, over the same range as
    /// `daily(since:until:)`: only the (day, key) pairs with rows, in no particular
    /// order (sorting thousands of pairs under the database's collation cost more
    /// than reading them; the caller orders what it shows).
    package func dailyParts(since: String, until: String, by grouping: DailyGrouping) throws -> [(day: String, key: String, cost: String)] {
        try connection.query(
            readsRollups()
                ? """
                SELECT day::text AS day, key, cost::text AS cost
                FROM (\(UsageRollup.perDay(grouping.rollup, since: "$1::date", until: "$2::date"))) u
                """
                : """
                SELECT period_start::date::text AS day, \(grouping.rawValue) AS key, SUM(estimated_cost)::text AS cost
                FROM public.model_usage WHERE period_start >= $1::date AND period_start < $2::date + 1
                GROUP BY 1, 2
                """, [since, until]
        ).rows.map { row throws(PostgresError) in (try row.string("day"), try row.string("key"), try row.string("cost")) }
    }

    /// The rows of `model_usage` for one range, as CSV lines (no header), by day,
    /// service and model: what `GET /api/v1/usage/export` streams, a month at a time.
    package func csvLines(since: String, until: String, service: String?) throws -> [String] {
        try connection.query(
            """
            SELECT period_start::date::text AS day, service_name, model_string, request_count::bigint AS requests,
                   input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, total_tokens::bigint AS total,
                   estimated_cost::text AS cost
            FROM public.model_usage
            WHERE period_start >= $1::date AND period_start < $2::date + 1 AND ($3::text IS NULL OR service_name = $3)
            ORDER BY period_start, service_name, model_string
            """, [since, until, service]
        ).rows.map { row throws(PostgresError) in
            [
                try row.string("day"), CSVField.text(try row.string("service_name")), CSVField.text(try row.string("model_string")),
                try row.string("requests"), try row.string("input_tokens"), try row.string("output_tokens"),
                try row.string("cache_read_tokens"), try row.string("cache_write_tokens"), try row.string("total"), try row.string("cost"),
            ].joined(separator: ",")
        }
    }

    package static let csvHeader =
        "date,service,model,requests,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,total_tokens,cost_usd"

    /// A service's tokens per day and model over the last `days` UTC days (today
    /// included), for recommendations, in no particular order (the recommender
    /// groups them by day itself). Bounded by the date, on the
    /// (service_name, period_start) index.
    package func serviceTokens(service: String, days: Int) throws -> [ServiceTokens] {
        try connection.query(
            """
            SELECT extract(epoch FROM period_start)::bigint AS day, model_string, request_count::bigint AS requests,
                   input_tokens, output_tokens, cache_read_tokens, cache_write_tokens
            FROM public.model_usage
            WHERE service_name = $1 AND period_start >= (now() AT TIME ZONE 'UTC')::date - ($2::int - 1)
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
        let week = "(now() AT TIME ZONE 'UTC')::date - 6"
        let days =
            try readsRollups()
            ? """
            SELECT day AS d, SUM(estimated_cost) AS c FROM (\(UsageRollup.rows(.model, since: week, until: "'infinity'::date"))) u
            GROUP BY day HAVING SUM(row_count) > 0 AND SUM(estimated_cost) > 0
            """
            : """
            SELECT period_start::date AS d, SUM(estimated_cost) AS c FROM public.model_usage
            WHERE period_start >= \(week) GROUP BY 1 HAVING SUM(estimated_cost) > 0
            """
        let row = try connection.query(
            """
            WITH days AS (\(days))
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

    /// A range for the API and the pages: at most `maxDays` days (the reports stay
    /// fast however much `model_usage` holds).
    package static func validateRange(since: String, until: String, maxDays: Int) throws -> (since: String, until: String) {
        let (first, last) = try validateRange(since: since, until: until)
        let seconds = (RFC3339.unixSeconds(last + "T00:00:00Z") ?? 0) - (RFC3339.unixSeconds(first + "T00:00:00Z") ?? 0)
        guard seconds / 86_400 < Int64(maxDays) else {
            throw InputError("--since", "the range \(first) to \(last) is longer than \(maxDays) days")
        }
        return (first, last)
    }

    package static func today(offsetDays: Int = 0) -> String {
        UTCTimestamp.day(UTCTimestamp.now() + Double(offsetDays) * 86_400)
    }
}
