#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The SQL of a segment flush: `model_usage` rows added to, and the
/// `providerd_flush_log` row naming (instance, segment), in one transaction, so a
/// segment is never counted twice. A segment already in the log (a crash between
/// commit and removal) is not written again.
///
/// The transaction spans several calls so that the flusher can put the refused
/// rows' lines in quarantine (through the `Spool`) between the rows and the COMMIT.
/// Blocking, and not `Sendable` (nor is its connection): it stays inside the
/// `UsageFlusher` actor, on that actor's own thread, one segment at a time.
package struct UsageFlushStore {
    let connection: PostgresConnection

    package init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// BEGIN, and whether the segment is in the flush log already (then the
    /// transaction is over and nothing was written). The log row stays locked
    /// until `commit`, so two processes cannot both count the segment.
    package func begin(instance: String, segment: String) throws(PostgresError) -> Bool {
        try connection.query("BEGIN")
        do {
            let done = try connection.query(
                "SELECT 1 FROM public.providerd_flush_log WHERE instance_id = $1::uuid AND segment = $2 FOR UPDATE",
                [instance, segment])
            guard done.rows.isEmpty else {
                try connection.query("COMMIT")
                return true
            }
            return false
        } catch {
            rollback()
            throw error
        }
    }

    /// Adds each (service, model, day) row under a savepoint of its own: a row the
    /// database refuses for good is set aside and returned; the others are written.
    /// A retryable error (a lock or statement timeout, a lost connection) throws.
    package func add(_ aggregate: UsageAggregate) throws(PostgresError) -> [(key: UsageAggregate.Key, error: PostgresError)] {
        var refused: [(key: UsageAggregate.Key, error: PostgresError)] = []
        for (key, totals) in aggregate.sorted {
            try connection.query("SAVEPOINT providerd_row")
            do {
                try connection.query(
                    """
                    INSERT INTO public.model_usage AS u (service_name, model_string, period_start, period_end,
                        request_count, total_tokens, estimated_cost, input_tokens, output_tokens,
                        cache_read_tokens, cache_write_tokens, unpriced_requests)
                    VALUES ($1, $2, to_timestamp($3::bigint), to_timestamp($3::bigint) + INTERVAL '1 day',
                        $4::bigint, $5::bigint, $6::numeric, $7::bigint, $8::bigint, $9::bigint, $10::bigint, $11::bigint)
                    ON CONFLICT (service_name, model_string, period_start) DO UPDATE SET
                        request_count = u.request_count + EXCLUDED.request_count,
                        total_tokens = u.total_tokens + EXCLUDED.total_tokens,
                        estimated_cost = u.estimated_cost + EXCLUDED.estimated_cost,
                        input_tokens = u.input_tokens + EXCLUDED.input_tokens,
                        output_tokens = u.output_tokens + EXCLUDED.output_tokens,
                        cache_read_tokens = u.cache_read_tokens + EXCLUDED.cache_read_tokens,
                        cache_write_tokens = u.cache_write_tokens + EXCLUDED.cache_write_tokens,
                        unpriced_requests = u.unpriced_requests + EXCLUDED.unpriced_requests
                    """,
                    [
                        key.service, key.model, key.day, totals.requests, totals.totalTokens, "\(totals.cost)",
                        totals.inputTokens, totals.outputTokens, totals.cacheReadTokens, totals.cacheWriteTokens,
                        totals.unpricedRequests,
                    ])
                try connection.query("RELEASE SAVEPOINT providerd_row")
            } catch  where !error.isRetryable {
                try connection.query("ROLLBACK TO SAVEPOINT providerd_row")
                refused.append((key, error))
            }
        }
        return refused
    }

    /// Adds the written rows (all of `aggregate` but `refused`) to the budgets they
    /// fall under, through migration 003's `providerd_budget_add`, which records the
    /// thresholds they cross; returns each ledger row as it now stands. Called after
    /// `add`, in the same transaction. The rows go as one JSON parameter: service
    /// names may hold any character but control characters.
    package func addToBudgets(_ aggregate: UsageAggregate, refused: [UsageAggregate.Key]) throws(PostgresError) -> [BudgetLedgerValue] {
        let skip = Set(refused)
        var json: [UInt8] = [UInt8(ascii: "[")]
        var first = true
        for (key, totals) in aggregate.sorted where !skip.contains(key) {
            if !first { json.append(UInt8(ascii: ",")) }
            first = false
            json += Array(#"{"s":"#.utf8)
            SpoolLine.appendString(key.service, to: &json)
            json += Array(#","m":"#.utf8)
            SpoolLine.appendString(key.model, to: &json)
            json += Array(",\"d\":\(key.day),\"c\":\"\(totals.cost)\",\"u\":\(totals.unpricedRequests)}".utf8)
        }
        json.append(UInt8(ascii: "]"))
        guard !first else { return [] }
        let rows = try connection.query(
            """
            WITH i AS (SELECT x, n FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(x, n))
            SELECT budget_id, extract(epoch FROM period_start)::bigint AS period_start, spent_usd::text AS spent,
                   unpriced_requests
            FROM public.providerd_budget_add(
                ARRAY(SELECT x->>'s' FROM i ORDER BY n), ARRAY(SELECT x->>'m' FROM i ORDER BY n),
                ARRAY(SELECT to_timestamp((x->>'d')::bigint) FROM i ORDER BY n),
                ARRAY(SELECT (x->>'c')::numeric FROM i ORDER BY n), ARRAY(SELECT (x->>'u')::bigint FROM i ORDER BY n))
            """, [String(decoding: json, as: UTF8.self)]
        ).rows
        return try rows.map { row throws(PostgresError) in
            BudgetLedgerValue(
                budgetID: Int64(try row.int("budget_id")), periodStart: Int64(try row.int("period_start")),
                spent: PriceTable.decimal(try row.string("spent")) ?? 0, unpricedRequests: Int64(try row.int("unpriced_requests")))
        }
    }

    /// Whether migration 003 is in (`providerd_budget_add` exists): before it,
    /// usage is flushed as before and budgets are not kept.
    package func budgetsAvailable() throws(PostgresError) -> Bool {
        try connection.query("SELECT to_regproc('public.providerd_budget_add') IS NOT NULL AS present").rows[0].string("present") == "t"
    }

    /// The flush log row, then COMMIT.
    package func commit(instance: String, segment: String, records: Int) throws(PostgresError) {
        try connection.query(
            "INSERT INTO public.providerd_flush_log (instance_id, segment, records) VALUES ($1::uuid, $2, $3)",
            [instance, segment, records])
        try connection.query("COMMIT")
    }

    /// Ends a transaction that failed part-way: nothing of it stays.
    package func rollback() {
        _ = try? connection.query("ROLLBACK")
    }
}
