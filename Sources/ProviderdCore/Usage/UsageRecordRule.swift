/// The rules a usage record meets, wherever it comes from. The socket's parser
/// applies them to every line it accepts; a spool line read back from disk meets
/// the same ones, because a damaged file, a restored backup or a hand edit can
/// hold anything: an `Int64.max` token count or a year-300-million timestamp
/// would otherwise overflow the day and the sums (a trap, at every start), and a
/// negative count would reach `model_usage`.
package enum UsageRecordRule {
    /// 9999-12-31T23:59:59Z: the last second PostgreSQL's `to_timestamp` and the
    /// day arithmetic both take. A stored timestamp or acceptance time must lie
    /// in 1970 ... 9999.
    package static let latestStoredSecond: Int64 = 253_402_300_799

    /// The first rule `record` breaks, as the message a client gets; nil when it
    /// meets them all. The timestamp window is not here: it depends on when the
    /// line arrived, so the parser checks it at arrival and a stored line only
    /// against `latestStoredSecond`.
    package static func violation(of record: UsageRecord) -> UsageLineError? {
        switch ServiceName.violation(record.serviceName) {
        case .length?: return UsageLineError("service_name must be 1 to 256 bytes")
        case .controlCharacter?: return UsageLineError("service_name must not contain control characters")
        case nil: break
        }
        guard record.modelString.utf8.count <= 256 else { return UsageLineError("model_string must be at most 256 bytes") }
        guard ModelString.isUsable(record.modelString) else {
            return UsageLineError("model_string must be provider:model with provider matching ^[a-z][a-z0-9_-]{0,63}$ and a non-empty model")
        }
        // One comparison per count on the hot path (no array per record); the name
        // is looked up only for the error.
        let tokens = 0...UsageLimits.maxTokens
        guard tokens.contains(record.inputTokens), tokens.contains(record.outputTokens), tokens.contains(record.cacheReadTokens),
            tokens.contains(record.cacheWriteTokens)
        else {
            let name =
                !tokens.contains(record.inputTokens)
                ? "input_tokens"
                : !tokens.contains(record.outputTokens)
                    ? "output_tokens" : !tokens.contains(record.cacheReadTokens) ? "cache_read_tokens" : "cache_write_tokens"
            return UsageLineError("\(name) must be an integer from 0 to \(UsageLimits.maxTokens)")
        }
        guard (0...UsageLimits.maxRequests).contains(record.requestCount) else {
            return UsageLineError("request_count must be an integer from 0 to \(UsageLimits.maxRequests)")
        }
        guard record.cacheReadTokens + record.cacheWriteTokens <= record.inputTokens else {
            return UsageLineError("cache_read_tokens + cache_write_tokens must not exceed input_tokens (input includes cache tokens)")
        }
        if let id = record.id {
            guard !id.isEmpty, id.utf8.count <= 128 else { return UsageLineError("id must be a string of 1 to 128 bytes") }
            guard !ControlCharacters.contains(id) else { return UsageLineError("id must not contain control characters") }
        }
        return nil
    }

    /// A spooled record's times: its timestamp and acceptance second within
    /// 1970 ... 9999.
    package static func isStorable(second: Int64) -> Bool {
        (0...latestStoredSecond).contains(second)
    }
}
