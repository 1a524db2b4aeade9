#if canImport(Glibc)
    import Glibc
#endif

/// ISO 8601 UTC timestamps ("2026-12-02T22:01:24Z") and days ("2026-12-02"), made
/// by libc's `gmtime_r` and `strftime`.
///
/// Why not `Date.formatted(.iso8601)`: on Linux it resolves the GMT time zone
/// through ICU, which maps megabytes of ICU data into the daemon the first time a
/// log line is written. The output is the same text.
package enum UTCTimestamp {
    /// Seconds since the epoch, truncated to the second.
    package static func iso8601(_ seconds: Double) -> String {
        format(seconds, "%Y-%m-%dT%H:%M:%SZ")
    }

    /// The UTC calendar day of `seconds`.
    package static func day(_ seconds: Double) -> String {
        format(seconds, "%Y-%m-%d")
    }

    package static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    private static func format(_ seconds: Double, _ pattern: String) -> String {
        var time = time_t(seconds.rounded(.down))
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "?" }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            let count = strftime(buffer.baseAddress!, buffer.count, pattern, &parts)
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: count), as: UTF8.self)
        }
    }
}
