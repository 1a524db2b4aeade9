/// One usage report: what a model call (or several) used, as PydanticAI counts it.
/// `inputTokens` includes cache reads and writes.
package struct UsageRecord: Sendable, Equatable, Hashable {
    package var serviceName: String
    package var modelString: String
    package var inputTokens: Int64 = 0
    package var outputTokens: Int64 = 0
    package var cacheReadTokens: Int64 = 0
    package var cacheWriteTokens: Int64 = 0
    package var requestCount: Int64 = 1
    /// Unix seconds (UTC) from `timestamp`, or nil for "now".
    package var timestamp: Int64?
    /// Idempotency key: a resend with the same id is counted once.
    package var id: String?

    package init(
        serviceName: String, modelString: String, inputTokens: Int64 = 0, outputTokens: Int64 = 0,
        cacheReadTokens: Int64 = 0, cacheWriteTokens: Int64 = 0, requestCount: Int64 = 1,
        timestamp: Int64? = nil, id: String? = nil
    ) {
        self.serviceName = serviceName
        self.modelString = modelString
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.requestCount = requestCount
        self.timestamp = timestamp
        self.id = id
    }
}
