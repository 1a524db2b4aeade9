/// Capped exponential backoff with jitter, so that many hosts losing the same
/// database do not reconnect in step.
package struct Backoff: Sendable {
    package var base: Double
    package var cap: Double
    private var attempt = 0

    package init(base: Double = 0.2, cap: Double = 30) {
        self.base = base
        self.cap = cap
    }

    /// The next delay in seconds: random in [d/2, d] with d = min(cap, base * 2^attempt).
    /// `random` picks within the range (tests pass a fixed choice).
    package mutating func next(random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) -> Double {
        let delay = min(cap, base * Double(1 << min(attempt, 20)))
        attempt += 1
        return random((delay / 2)...delay)
    }

    package mutating func reset() { attempt = 0 }

    /// `seconds` ± `fraction` (the poll interval's ±10%).
    package static func jittered(_ seconds: Double, fraction: Double = 0.1) -> Double {
        seconds * Double.random(in: (1 - fraction)...(1 + fraction))
    }
}

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
