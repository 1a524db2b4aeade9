/// Logs a failure that repeats (the database down) when it starts, then at most
/// once a minute, and when it ends.
package struct RepeatingFailureLog: Sendable {
    package var interval: Double
    private var since: Double?
    private var lastLogged: Double = -.infinity
    private(set) var suppressed = 0

    package init(interval: Double = 60) {
        self.interval = interval
    }

    package var isFailing: Bool { since != nil }
    package var failingSince: Double? { since }

    /// Whether to log this occurrence, and how many were skipped since the last log.
    package mutating func failed(at now: Double) -> (log: Bool, skipped: Int) {
        if since == nil { since = now }
        if now - lastLogged >= interval {
            lastLogged = now
            defer { suppressed = 0 }
            return (true, suppressed)
        }
        suppressed += 1
        return (false, 0)
    }

    /// Returns how long the failure lasted when one was ongoing (to log its end).
    package mutating func recovered(at now: Double) -> Double? {
        guard let started = since else { return nil }
        since = nil
        lastLogged = -.infinity
        suppressed = 0
        return now - started
    }
}
