/// Seconds on a clock that never steps: `ContinuousClock` (the kernel's
/// `CLOCK_BOOTTIME`), counted from the process's first use. Deadlines, pauses,
/// backoff and "how long since" are measured on it; the wall clock
/// (`UTCTimestamp`) only says when something happened. A wall-clock step of an
/// hour back (NTP after a bad RTC, an operator's `date -s`) must not stop polling
/// and reconnecting for that hour.
package enum MonotonicSeconds {
    private static let origin = ContinuousClock.now

    package static func now() -> Double {
        let elapsed = origin.duration(to: .now).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    }
}
