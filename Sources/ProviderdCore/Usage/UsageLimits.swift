/// The limits a line is checked against (the record fields the README lists).
package struct UsageLimits: Sendable {
    package static let maxTokens: Int64 = 1_000_000_000
    package static let maxRequests: Int64 = 1_000_000
    package static let maxBatch = 10_000
    package static let maxDepth = 32
    /// Keys of one object that providerd ignores; more is an error (bounds the work per line).
    package static let maxOtherKeys = 1_000

    /// Unix seconds of "now", for the timestamp window.
    package var now: Int64
    /// How far back a timestamp may be (seconds; `usage.timestamp_window`).
    package var windowBack: Int64
    /// How far ahead a timestamp may be (seconds).
    package var windowAhead: Int64

    package init(now: Int64, windowBack: Int64 = 604_800, windowAhead: Int64 = 300) {
        self.now = now
        self.windowBack = windowBack
        self.windowAhead = windowAhead
    }
}
