import Foundation

/// Writes one sealed spool segment into `model_usage`: its records aggregated
/// per (service, model, UTC day), rows in key order, plus a `providerd_flush_log`
/// row naming (instance, segment), all in one transaction. A segment already in
/// the flush log (a crash between commit and removal) is not counted again.
/// Blocking: runs on the flusher's database thread.
package enum SegmentFlush {
    package struct Result: Sendable {
        package var aggregate: UsageAggregate
        package var ids: [(id: String, acceptedAt: Int64)]
        package var alreadyFlushed: Bool
        /// Bytes of an unterminated last line (a crash mid-write): never
        /// acknowledged, so dropped.
        package var tornBytes: Int
        /// Whole lines that do not read as records: not counted, kept in the
        /// quarantine file with the refused rows' lines.
        package var unreadableLines: Int
        /// Rows the database refused for good (a constraint, an overflow); their
        /// records went to the quarantine file instead.
        package var quarantined: [(key: UsageAggregate.Key, error: PostgresError)] = []
    }

    /// `quarantine` receives, before the commit, the spool lines of refused rows
    /// and the lines that do not read as records.
    package static func flush(
        segment: String, bytes: [UInt8], instance: String, pricer: inout UsagePricer,
        on connection: PostgresConnection,
        quarantine: ([UInt8]) throws -> Void = { _ in }
    ) throws -> Result {
        let newline = UInt8(ascii: "\n")
        let whole = bytes.last == newline ? bytes : Array(bytes[..<((bytes.lastIndex(of: newline) ?? -1) + 1)])
        var aggregate = UsageAggregate()
        var ids: [(id: String, acceptedAt: Int64)] = []
        var unreadable: [UInt8] = []
        var unreadableLines = 0
        SpoolLine.forEachLine(in: whole) { line in
            guard let stored = SpoolLine.decodeWithAcceptance(line) else {
                unreadable += line
                unreadable.append(newline)
                unreadableLines += 1
                return
            }
            aggregate.add(stored.record, timestamp: stored.timestamp, pricer: &pricer)
            if let id = stored.record.id { ids.append((id, stored.acceptedAt)) }
        }
        var refused: [(key: UsageAggregate.Key, error: PostgresError)] = []
        let already = try connection.transaction { connection in
            let done = try connection.query(
                "SELECT 1 FROM public.providerd_flush_log WHERE instance_id = $1::uuid AND segment = $2 FOR UPDATE",
                [instance, segment])
            guard done.rows.isEmpty else { return true }
            for (key, totals) in aggregate.sorted {
                // Each row under a savepoint: one row the database refuses for good
                // is set aside; the others are written.
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
                } catch let error as PostgresError where !error.isRetryable {
                    try connection.query("ROLLBACK TO SAVEPOINT providerd_row")
                    refused.append((key, error))
                }
            }
            if !refused.isEmpty || !unreadable.isEmpty {
                try quarantine(linesOf(Set(refused.map(\.key)), in: whole) + unreadable)
            }
            try connection.query(
                "INSERT INTO public.providerd_flush_log (instance_id, segment, records) VALUES ($1::uuid, $2, $3)",
                [instance, segment, aggregate.records])
            return false
        }
        return Result(
            aggregate: aggregate, ids: ids, alreadyFlushed: already, tornBytes: bytes.count - whole.count,
            unreadableLines: already ? 0 : unreadableLines, quarantined: already ? [] : refused)
    }

    /// The spool lines of the refused rows, found again in the segment (refusals
    /// are rare: no copy of every line is kept for them).
    static func linesOf(_ keys: Set<UsageAggregate.Key>, in bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        SpoolLine.forEachLine(in: bytes) { line in
            guard let stored = SpoolLine.decode(line),
                keys.contains(UsageAggregate.key(for: stored.record, timestamp: stored.timestamp))
            else { return }
            out += line
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }
}
