/// One usage report: what a model call (or several) used, as PydanticAI counts it.
/// `inputTokens` includes cache reads and writes.
public struct UsageRecord: Sendable, Equatable, Hashable {
    public var serviceName: String
    public var modelString: String
    public var inputTokens: Int64 = 0
    public var outputTokens: Int64 = 0
    public var cacheReadTokens: Int64 = 0
    public var cacheWriteTokens: Int64 = 0
    public var requestCount: Int64 = 1
    /// Unix seconds (UTC) from `timestamp`, or nil for "now".
    public var timestamp: Int64?
    /// Idempotency key: a resend with the same id is counted once.
    public var id: String?

    public init(
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

/// What one line of the usage socket asks for.
public enum UsageRequest: Sendable, Equatable {
    case record(UsageRecord)
    /// A JSON array of records: all accepted or none.
    case batch([UsageRecord])
    case ping
    case stats
}

/// Why a line was refused. The message names the field and the rule; it goes back
/// to the client as `{"ok":false,"error":...}`.
public struct UsageLineError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The limits a line is checked against (the record fields the README lists).
public struct UsageLimits: Sendable {
    public static let maxTokens: Int64 = 1_000_000_000
    public static let maxRequests: Int64 = 1_000_000
    public static let maxBatch = 10_000
    public static let maxDepth = 32
    /// Keys of one object that providerd ignores; more is an error (bounds the work per line).
    public static let maxOtherKeys = 1_000

    /// Unix seconds of "now", for the timestamp window.
    public var now: Int64
    /// How far back a timestamp may be (seconds; `usage.timestamp_window`).
    public var windowBack: Int64
    /// How far ahead a timestamp may be (seconds).
    public var windowAhead: Int64

    public init(now: Int64, windowBack: Int64 = 604_800, windowAhead: Int64 = 300) {
        self.now = now
        self.windowBack = windowBack
        self.windowAhead = windowAhead
    }
}
