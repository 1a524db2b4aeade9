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
