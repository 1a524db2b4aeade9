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
